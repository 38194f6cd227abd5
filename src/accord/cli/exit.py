"""`accord exit ...`: end sharing with a recipient or one flow, certify deletion, show states."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at, workspace_at
from accord.errors import InputError, Problem
from accord.service import retention

app = typer.Typer(help="Exit and retention: cease, withdraw, certify deletion, show.")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("not an ISO date", [Problem(option, "use YYYY-MM-DD")]) from None


@app.command()
def cease(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    party: str | None = typer.Option(None, "--party", help="One recipient (default: all)."),
    purpose: str | None = typer.Option(None, "--purpose", help="Why copies are retained."),
    until: str | None = typer.Option(None, "--until", help="Retention review date."),
    by: str = typer.Option("operator", "--by", help="Who ends it (kept in the ledger)."),
    at: str | None = AT_OPTION,
) -> None:
    """End sharing with one recipient, or every recipient (the discloser's act)."""
    ws = workspace_at(ctx, at)
    steps = retention.cease(
        ws,
        agreement_id,
        party=party,
        purpose=purpose,
        until=_date(until, "--until"),
        actor=by,
        at=now_at(ctx, at),
    )
    for s in steps:
        console().print(f"{esc(s.party)}: {esc(s.describe)}")


@app.command()
def withdraw(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    flow_id: str = typer.Argument(..., metavar="FLOW"),
    party: str = typer.Option(..., "--party", help="The recipient withdrawing (the flow's own)."),
    purpose: str | None = typer.Option(None, "--purpose"),
    until: str | None = typer.Option(None, "--until"),
    at: str | None = AT_OPTION,
) -> None:
    """A recipient withdraws from its own flow: that flow ends, the agreement goes on."""
    ws = workspace_at(ctx, at)
    s = retention.withdraw(
        ws,
        agreement_id,
        flow_id,
        party=party,
        purpose=purpose,
        until=_date(until, "--until"),
        at=now_at(ctx, at),
    )
    console().print(f"{esc(s.party)} flow {esc(flow_id)}: {esc(s.describe)}")


@app.command("certify-deletion")
def certify_deletion(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    delivery_id: str = typer.Argument(..., metavar="DELIVERY"),
    party: str = typer.Option(..., "--party", help="The recipient that deleted it."),
    deleted_on: str | None = typer.Option(None, "--deleted-on", help="Default: today."),
    at: str | None = AT_OPTION,
) -> None:
    """Record the recipient's signed certificate that it deleted DELIVERY."""
    ws = workspace_at(ctx, at)
    now = now_at(ctx, at)
    cert = retention.certify_deletion(
        ws,
        agreement_id,
        party=party,
        delivery_id=delivery_id,
        deleted_on=_date(deleted_on, "--deleted-on") or now.date(),
        at=now,
    )
    console().print(f"Certified: {esc(cert.delivery_id)} deleted by {esc(cert.party)}.")


@app.command()
def show(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    at: str | None = AT_OPTION,
) -> None:
    """Each recipient's exit history and deletion certificates."""
    ws = workspace_at(ctx, at)
    table = Table("recipient", "flow", "state", "at")
    for s in retention.history(ws, agreement_id):
        table.add_row(esc(s.party), esc(s.flow_id or "all"), esc(s.describe), s.at.isoformat())
    out = console()
    out.print(table)
    for c in retention.certificates(ws, agreement_id):
        out.print(f"certificate: {esc(c.delivery_id)} by {esc(c.party)} on {c.deleted_on}")
