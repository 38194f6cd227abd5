"""`accord ledger export DIR`, `accord ledger prove EVENT_ID` and the top-level `accord verify DIR`.

Thin commands over :mod:`accord.ledger`: the workspace gives the database, keys and clock.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from accord.cli._context import console, settings
from accord.errors import VerificationError
from accord.ledger.log import Ledger
from accord.ledger.verify import verify_export

app = typer.Typer(help="The tamper-evident log: export it for anyone to verify, prove an event.")


def _ledger(ctx: typer.Context) -> Ledger:
    return settings(ctx).workspace().ledger


@app.command()
def export(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Folder to write the export into."),
) -> None:
    """Sign a tree head over the whole log, then write the log, heads and public keys as files."""
    ledger = _ledger(ctx)
    ledger.export(directory, now=settings(ctx).clock.now())
    head = ledger.latest_head()
    size = head.size if head else 0
    console().print(
        f"Exported {size} events and their signed tree heads to {directory}", markup=False
    )


@app.command()
def prove(
    ctx: typer.Context,
    event_id: str = typer.Argument(..., help="The event id (ev-...) to prove."),
) -> None:
    """Print an RFC 9162 inclusion proof of EVENT_ID against the latest signed tree head (JSON)."""
    ledger = _ledger(ctx)
    proof = ledger.prove(event_id, now=settings(ctx).clock.now())
    typer.echo(json.dumps(proof, indent=2))


def verify_command(
    directory: Path = typer.Argument(..., help="A folder written by `accord ledger export`."),
    instance_key: str | None = typer.Option(
        None,
        "--instance-key",
        help="The instance's published verifier key (name+hash+base64); without it the key in"
        " the export is trusted.",
    ),
) -> None:
    """Verify an exported ledger offline; print a one-line verdict (exit 6 when it fails)."""
    try:
        summary = verify_export(directory, trusted_instance_key=instance_key)
    except VerificationError as exc:
        typer.echo(f"FAILED: {exc.message}")
        raise typer.Exit(VerificationError.exit_code) from exc
    typer.echo(summary.verdict())
