"""`accord rights ...`: people's rights requests on the statutory clock, and the per-person lookup.

Thin over :mod:`accord.service.rights`, which holds every rule about who may see and decide
what. Every command acts as a signed-in handler (``--user`` and a password) and takes ``--at``.
The NHS number is read from a prompt or ``--nhs-number-file`` (never an argument, so it stays out
of shell history); only its keyed hash is ever stored or printed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from accord.cli._context import AT_OPTION, console, esc, workspace_at
from accord.cli.release import PASSWORD_OPTION, USER_OPTION, authenticated
from accord.errors import InputError, Problem
from accord.service import rights
from accord.service.rights import Request

app = typer.Typer(help="People's rights: requests, decisions, the statutory clock, lookups.")

NHS_FILE_OPTION = typer.Option(
    None, "--nhs-number-file", help="Read the person's NHS number from this file (else a prompt)."
)


def _nhs_number(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").strip()
    return str(typer.prompt("The person's NHS number", hide_input=True))


def _received(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--received is not an ISO date: {text!r}", [Problem("--received", "YYYY-MM-DD")]
        ) from None


def _print(r: Request, today: date) -> None:
    left = r.days_left(today)
    clock = f"{left} day(s) left" if left >= 0 else f"{-left} day(s) overdue"
    extended = ", extended" if r.extended else ""
    console().print(
        f"[bold]{esc(r.request_id)}[/bold] {esc(r.kind)} under {esc(r.agreement_id)}: "
        f"{esc(r.state)}; received by {esc(r.received_by)} on {r.received_on.isoformat()}, "
        f"lead {esc(r.lead_party)}, due {r.due_on.isoformat()}{extended} ({clock})"
    )
    if r.suppressed_in:
        console().print("  suppressed in: " + ", ".join(esc(a) for a in r.suppressed_in))


@app.command()
def receive(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT_ID"),
    kind: str = typer.Option(
        ..., "--kind", help="access, objection, rectification, erasure, restriction."
    ),  # fmt: skip
    received: str | None = typer.Option(
        None, "--received", help="The day it was received (YYYY-MM-DD; default: today)."
    ),
    note: str | None = typer.Option(None, "--note", help="Your own note (never in the ledger)."),
    nhs_number_file: Path | None = NHS_FILE_OPTION,
    user: str = USER_OPTION,
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Record a request your party received; it is routed to the lead party and the clock starts."""
    ws = workspace_at(ctx, at)
    handler = authenticated(ws, user, password_file)
    r = rights.receive(
        ws,
        handler,
        agreement_id,
        kind,
        _nhs_number(nhs_number_file),
        received_on=_received(received),
        note=note,
    )
    _print(r, ws.clock.now().date())


@app.command()
def show(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="REQUEST_ID"),
    user: str = USER_OPTION,
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Show a request your party received or leads, with its deadline clock."""
    ws = workspace_at(ctx, at)
    r = rights.get(ws, authenticated(ws, user, password_file), request_id)
    _print(r, ws.clock.now().date())
    if r.note:
        console().print(f"  note: {esc(r.note)}")


@app.command("list")
def list_command(
    ctx: typer.Context,
    state: str | None = typer.Option(None, "--state", help="open, upheld, refused, answered..."),
    user: str = USER_OPTION,
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Requests your party received or leads, soonest due first."""
    ws = workspace_at(ctx, at)
    found = rights.list_requests(ws, authenticated(ws, user, password_file), state=state)
    if not found:
        console().print("No rights requests.")
    for r in found:
        _print(r, ws.clock.now().date())


@app.command()
def decide(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="REQUEST_ID"),
    decision: str = typer.Option(..., "--decision", help="extend, uphold, refuse, answer, lift."),
    note: str | None = typer.Option(None, "--note", help="Your reasons (never in the ledger)."),
    user: str = USER_OPTION,
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """The lead party's decision; an upheld objection stops every flow sending the person."""
    ws = workspace_at(ctx, at)
    r = rights.decide(ws, authenticated(ws, user, password_file), request_id, decision, note=note)
    _print(r, ws.clock.now().date())


@app.command()
def lookup(
    ctx: typer.Context,
    nhs_number_file: Path | None = NHS_FILE_OPTION,
    user: str = USER_OPTION,
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Which deliveries of your party's agreements included a person (a ledger event)."""
    ws = workspace_at(ctx, at)
    handler = authenticated(ws, user, password_file)
    found = rights.lookup(ws, handler, _nhs_number(nhs_number_file))
    if not found:
        console().print("No delivery of your party's agreements included this person.")
        return
    out = console()
    for h in found:
        out.print(
            f"{esc(h.created)} {esc(h.agreement_id)} flow {esc(h.flow_id)} to {esc(h.recipient)}"
            f" (delivery {esc(h.delivery_id)}): {esc(', '.join(h.fields))}"
        )
