"""`accord sweep`: apply everything due now (run it on a timer, e.g. every few minutes)."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli._context import console, settings
from accord.service import disputes, lifecycle


def sweep_command(ctx: typer.Context) -> None:
    """Expire, suspend and notify as the clock requires; escalate disputes whose tier ran out."""
    ws = settings(ctx).workspace()
    done = lifecycle.sweep(ws)
    escalated = disputes.sweep(ws)
    table = Table("agreement", "v", "action", "detail")
    for s in done:
        table.add_row(s.agreement_id, str(s.seq), s.action, s.detail)
    out = console()
    out.print(table if done else "No agreement changes were due.")
    out.print(f"{len(escalated)} dispute deadline(s) applied.")
