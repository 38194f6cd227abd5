"""`accord sweep`: apply everything due now (run it daily, or let `accord serve` run it)."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, workspace_at
from accord.errors import InputError, Problem
from accord.service import disputes, heads, lifecycle, rights


def parse_warn_days(text: str) -> tuple[int, ...]:
    """``--warn-days``: whole positive days, comma-separated (``30,14,7``); anything else exit 2."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isascii() and p.isdigit() and int(p) > 0 for p in parts):
        raise InputError(
            f"--warn-days is not a list of positive whole days: {text!r}",
            [Problem("--warn-days", "give whole days above 0, comma-separated, e.g. 30,14,7")],
        )
    return tuple(int(p) for p in parts)


def sweep_command(
    ctx: typer.Context,
    at: str | None = AT_OPTION,
    warn_days: str = typer.Option(
        "30,14,7", "--warn-days", help="Days before a date to warn its owners, comma-separated."
    ),
    chase_days: int = typer.Option(
        3, "--chase-days", min=1, help="Chase a delivery with no receipt after this many days."
    ),
) -> None:
    """Re-check every live agreement at the date: expire, suspend flows or agreements whose
    basis, assurance or law no longer holds, resume those that hold again, warn the owners of
    what ends soon; send queued pushes, record MESH acknowledgements, chase deliveries without a
    receipt; escalate disputes whose tier ran out; remind the handlers of rights requests due soon
    or overdue; index new deliveries by keyed hash for rights lookups; sign a tree head."""
    policy = lifecycle.Policy(warn_days=parse_warn_days(warn_days), chase_days=chase_days)
    ws = workspace_at(ctx, at)
    done = lifecycle.sweep(ws, policy=policy)
    escalated = disputes.sweep(ws)
    reminded = rights.sweep(ws)
    indexed = rights.index_deliveries(ws)
    table = Table("agreement", "v", "action", "detail")
    for s in done:
        table.add_row(esc(s.agreement_id or "-"), str(s.seq or "-"), esc(s.action), esc(s.detail))
    out = console()
    out.print(table if done else "No agreement changes were due.")
    out.print(f"{len(escalated)} dispute deadline(s) applied.")
    out.print(f"{len(reminded)} rights request reminder(s) given.")
    out.print(f"{indexed} delivery(ies) indexed by keyed hash for rights lookups.")
    signed = heads.sign_head(ws)  # heads are signed on the instance's schedule, here
    out.print(f"Signed tree head of size {signed.head.size}.")
    for w in signed.witnesses:
        out.print(f"  witness {esc(w.witness)}: {esc(w.outcome)} ({esc(w.detail)})")
