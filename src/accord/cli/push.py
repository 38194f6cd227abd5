"""`accord push ...`: the deliveries sent to recipients by MESH or into the outbox.

Thin over :mod:`accord.service.push` (the queue, retries and withdrawal) and
:mod:`accord.service.chasing` (deliveries without a receipt).
"""

from __future__ import annotations

from pathlib import Path

import typer

from accord.cli._context import AT_OPTION, console, esc, workspace_at
from accord.push.mesh import DEFAULT_CHUNK, MeshSettings
from accord.service import chasing, push

app = typer.Typer(help="Deliveries pushed to recipients by MESH or into the outbox.")


def _show(pushes: list[push.Push]) -> None:
    """One block per push: ids and reasons print whole, whatever the terminal's width."""
    out = console()
    for p in pushes:
        out.print(
            f"{p.delivery_id}: {p.state}, by {p.method} to {p.address} for {p.recipient} "
            f"({p.attempts} tries)",
            markup=False,
        )
        if p.message_id:
            out.print(f"  MESH message {p.message_id} (workflow {p.workflow_id})", markup=False)
        if p.state == push.QUEUED and p.attempts:
            out.print(f"  next try at {p.next_attempt_at}", markup=False)
        note = p.withdrawn_reason or p.last_error
        if note:
            out.print(f"  {note}", markup=False)


@app.command("list")
def list_command(
    ctx: typer.Context,
    state: str | None = typer.Option(
        None, "--state", help="Only this state: queued, sent, acknowledged, withdrawn, failed."
    ),
    agreement_id: str | None = typer.Option(None, "--agreement", help="Only this agreement."),
    at: str | None = AT_OPTION,
) -> None:
    """The push queue, oldest first."""
    ws = workspace_at(ctx, at)
    found = push.listing(ws, state=state, agreement_id=agreement_id)
    _show(found) if found else console().print("Nothing has been pushed.")


@app.command("send")
def send_command(ctx: typer.Context, at: str | None = AT_OPTION) -> None:
    """Send every queued push that is due and record MESH acknowledgements now (`accord sweep`
    does this too)."""
    ws = workspace_at(ctx, at)
    tried = push.send_due(ws)
    acknowledged = push.poll_acknowledgements(ws)
    _show(tried) if tried else console().print("Nothing was due to send.")
    console().print(f"{len(acknowledged)} acknowledgement(s) recorded.")


@app.command("retry")
def retry_command(
    ctx: typer.Context,
    delivery_id: str = typer.Argument(..., help="The delivery id (`accord push list`)."),
    at: str | None = AT_OPTION,
) -> None:
    """Queue a failed push again with fresh attempts, and try it now."""
    ws = workspace_at(ctx, at)
    _show([push.retry(ws, delivery_id)])


@app.command("withdraw")
def withdraw_command(
    ctx: typer.Context,
    delivery_id: str = typer.Argument(..., help="The delivery id (`accord push list`)."),
    reason: str = typer.Option(..., "--reason", help="Why; the recipient is told."),
    actor: str = typer.Option(..., "--by", help="Who withdraws it (recorded in the ledger)."),
    at: str | None = AT_OPTION,
) -> None:
    """Withdraw a push not yet sent; the recipient's SIRO and DPO are told why."""
    ws = workspace_at(ctx, at)
    _show([push.withdraw(ws, delivery_id, reason=reason, actor=actor)])


@app.command("unreceived")
def unreceived_command(
    ctx: typer.Context,
    days: int = typer.Option(0, "--days", min=0, help="Only those made this many days ago."),
    at: str | None = AT_OPTION,
) -> None:
    """Deliveries without a receipt of their manifest (signed receipt or MESH acknowledgement)."""
    ws = workspace_at(ctx, at)
    found = chasing.unreceived(ws, after_days=days)
    out = console()
    for u in found:
        out.print(
            f"{u.delivery_id}: to {u.recipient}, made {u.made_at.isoformat()} ({u.days} days "
            f"ago), {'pushed: ' + u.push_state if u.push_state else 'pulled'}; manifest "
            f"{u.manifest_sha256}",
            markup=False,
        )
    if not found:
        out.print("Every delivery has a receipt.")


@app.command("mesh-setup")
def mesh_setup_command(
    ctx: typer.Context,
    url: str = typer.Option(..., "--url", help="The MESH server, https://..."),
    mailbox: str = typer.Option(..., "--mailbox", help="Your sending mailbox id."),
    password_file: Path = typer.Option(..., "--password-file", help="The mailbox password."),
    shared_key_file: Path = typer.Option(
        ..., "--shared-key-file", help="The environment's shared key (from NHS England)."
    ),
    cert: Path = typer.Option(..., "--cert", help="The mailbox's client certificate (PEM)."),
    key: Path = typer.Option(..., "--key", help="Its private key (PEM)."),
    ca: Path | None = typer.Option(
        None, "--ca", help="CA bundle of the server; leave out for NHS England's endpoints."
    ),
    chunk_mib: int = typer.Option(
        DEFAULT_CHUNK // (1024 * 1024), "--chunk-mib", min=1, max=100, help="Chunk size, MiB."
    ),
) -> None:
    """Keep the sending mailbox's settings in the workspace (keys/mesh.json, mode 0600)."""
    ws = workspace_at(ctx, None)
    settings = MeshSettings.from_json(
        {
            "url": url,
            "mailbox": mailbox,
            "password": password_file.read_text(encoding="utf-8").strip(),
            "shared_key": shared_key_file.read_text(encoding="utf-8").strip(),
            "cert": str(cert.resolve()),
            "key": str(key.resolve()),
            "ca": str(ca.resolve()) if ca is not None else None,
            "max_chunk_size": chunk_mib * 1024 * 1024,
        }
    )
    path = push.configure_mesh(ws, settings)
    console().print(f"MESH mailbox {esc(mailbox)} at {esc(url)} kept in {esc(path.name)}.")
