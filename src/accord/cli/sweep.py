"""`accord sweep`: apply everything due now (run it daily, or let `accord serve` run it)."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, workspace_at
from accord.service import disputes, heads, lifecycle


def sweep_command(
    ctx: typer.Context,
    at: str | None = AT_OPTION,
    warn_days: str = typer.Option(
        "30,14,7", "--warn-days", help="Days before a date to warn its owners, comma-separated."
    ),
) -> None:
    """Re-check every live agreement at the date: expire, suspend flows or agreements whose
    basis, assurance or law no longer holds, resume those that hold again, warn the owners of
    what ends soon; escalate disputes whose tier ran out; sign a tree head."""
    ws = workspace_at(ctx, at)
    try:
        days = tuple(int(d) for d in warn_days.split(",") if d.strip())
    except ValueError:
        days = ()
    policy = lifecycle.Policy(warn_days=days)
    done = lifecycle.sweep(ws, policy=policy)
    escalated = disputes.sweep(ws)
    table = Table("agreement", "v", "action", "detail")
    for s in done:
        table.add_row(s.agreement_id or "-", str(s.seq or "-"), s.action, s.detail)
    out = console()
    out.print(table if done else "No agreement changes were due.")
    out.print(f"{len(escalated)} dispute deadline(s) applied.")
    signed = heads.sign_head(ws)  # heads are signed on the instance's schedule, here
    out.print(f"Signed tree head of size {signed.head.size}.")
    for w in signed.witnesses:
        out.print(f"  witness {w.witness}: {w.outcome} ({w.detail})")
