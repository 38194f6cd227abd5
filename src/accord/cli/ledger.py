"""`accord ledger export|sign-head|prove|witness ...` and the top-level `accord verify DIR`.

Thin commands over :mod:`accord.ledger` and :mod:`accord.service.heads`: the workspace gives
the database, keys and clock.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from accord.cli._context import AT_OPTION, console, esc, now_at, settings, workspace_at
from accord.errors import InputError, VerificationError
from accord.ledger.checkpoint import SignedTreeHead
from accord.ledger.log import Ledger
from accord.ledger.verify import load_heads, verify_export
from accord.service import heads as head_service

app = typer.Typer(help="The tamper-evident log: export it for anyone to verify, prove an event.")
witness_app = typer.Typer(
    help="Witnesses: who cosigns this instance's heads, whose heads it cosigns."
)
app.add_typer(witness_app, name="witness")


def _ledger(ctx: typer.Context) -> Ledger:
    return settings(ctx).workspace().ledger


@app.command()
def export(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Folder to write the export into."),
    at: str | None = AT_OPTION,
) -> None:
    """Sign a tree head over the whole log, then write the log, heads and public keys as files.

    The new head's timestamp is ``--at`` (default: now).
    """
    ledger = _ledger(ctx)
    ledger.export(directory, now=now_at(ctx, at))
    head = ledger.latest_head()
    size = head.size if head else 0
    console().print(
        f"Exported {size} events and their signed tree heads to {directory}", markup=False
    )


@app.command("sign-head")
def sign_head(ctx: typer.Context, at: str | None = AT_OPTION) -> None:
    """Sign a tree head over the whole log and send it to the configured witnesses.

    The head's timestamp is ``--at`` (default: now). Refuses (exit 6) if the stored log is not
    consistent with the last signed head.
    """
    signed = head_service.sign_head(workspace_at(ctx, at))
    out = console()
    out.print(f"Signed tree head: size {signed.head.size} root {signed.head.root_hash.hex()}")
    for w in signed.witnesses:
        out.print(f"  witness {esc(w.witness)}: {esc(w.outcome)} ({esc(w.detail)})")
    if signed.refused:
        raise VerificationError(
            "a witness refused the new head: "
            + "; ".join(f"{w.witness}: {w.detail}" for w in signed.refused)
            + ". Find out why before signing again (`accord verify DIR --against` the witness's"
            " checkpoint)"
        )


@app.command()
def prove(
    ctx: typer.Context,
    event_id: str | None = typer.Argument(None, help="The event id (ev-...) to prove."),
    size: int | None = typer.Option(
        None, "--size", help="Prove against the signed head of this size (default: the latest)."
    ),
    old: int | None = typer.Option(None, "--old", help="Consistency proof from this size..."),
    new: int | None = typer.Option(None, "--new", help="...to this size (default: the log's)."),
    at: str | None = AT_OPTION,
) -> None:
    """Print an RFC 9162 proof as JSON: inclusion of EVENT_ID, or consistency --old N --new M.

    If no signed head covers the event yet, one is signed with the timestamp ``--at`` (or now).
    """
    ledger = _ledger(ctx)
    if old is not None:
        if event_id is not None:
            raise InputError("give an event id, or --old (and --new), not both")
        typer.echo(json.dumps(ledger.consistency(old, new or ledger.size()), indent=2))
        return
    if event_id is None:
        raise InputError("give an event id to prove, or --old N [--new M] for consistency")
    now = None if size is not None else now_at(ctx, at)
    proof = ledger.prove(event_id, size=size, now=now)
    typer.echo(json.dumps(proof, indent=2))


@witness_app.command("add")
def witness_add(
    ctx: typer.Context,
    verifier_key: str = typer.Argument(..., help="The witness's key: name+keyid+base64."),
    url: str = typer.Argument(..., help="Its add-checkpoint URL."),
) -> None:
    """Send every new head to this witness and keep its cosignatures."""
    verifier = head_service.add_witness(settings(ctx).workspace(), verifier_key, url)
    console().print(f"New heads will be sent to witness {verifier.name} at {url}", markup=False)


@witness_app.command("follow")
def witness_follow(
    ctx: typer.Context,
    verifier_key: str = typer.Argument(..., help="The log's instance key: name+hash+base64."),
    origin: str = typer.Option("accord/ledger", "--origin", help="The log's origin line."),
) -> None:
    """Witness another party's log: cosign its heads only while they stay consistent."""
    ws = settings(ctx).workspace()
    verifier = head_service.follow_log(ws, verifier_key, origin)
    console().print(
        f"Witnessing {origin} signed by {verifier.name}; give its operator this witness key:"
        f" {ws.keystore.witness_verifier().to_string()}",
        markup=False,
    )


def _saved_heads(paths: list[Path]) -> list[SignedTreeHead]:
    found: list[SignedTreeHead] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VerificationError(f"cannot read the head in {path}: {exc.strerror}") from exc
        found.extend(load_heads(text, str(path)))
    return found


def verify_command(
    directory: Path = typer.Argument(..., help="A folder written by `accord ledger export`."),
    instance_key: str | None = typer.Option(
        None,
        "--instance-key",
        help="The instance's published verifier key (name+hash+base64); without it the key in"
        " the export is trusted.",
    ),
    against: list[Path] = typer.Option(
        [],
        "--against",
        help="A saved tree head or checkpoint (from the register's feed, a witness, an earlier"
        " export's tree-heads.jsonl); the export must be consistent with each. Repeatable.",
    ),
    witness_keys: list[str] = typer.Option(
        [],
        "--witness-key",
        metavar="KEY",
        help="A witness's cosigner key (name+keyid+base64, as `accord ledger witness follow`"
        " prints it): every head given with --against must carry its valid cosignature."
        " Repeatable; needs --against.",
    ),
) -> None:
    """Verify an exported ledger offline; print a one-line verdict (exit 6 when it fails)."""
    try:
        summary = verify_export(
            directory,
            trusted_instance_key=instance_key,
            against=_saved_heads(against),
            witness_keys=witness_keys,
        )
    except VerificationError as exc:
        typer.echo(f"FAILED: {exc.message}")
        raise typer.Exit(VerificationError.exit_code) from exc
    typer.echo(summary.verdict())
