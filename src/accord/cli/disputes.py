"""`accord dispute ...`: raise, offer, escalate, decide, withdraw, show, list, sweep.

Thin over :mod:`accord.service.disputes`. Whoever acts names their party, role and name
(``--party gss:E09000011 --role dpo --name "Greenwich DPO"``). An offer is the flow's current
terms with ``--add``/``--drop`` fields, a YAML or JSON ``--offer-file``, or ``--stop``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, settings, workspace_at
from accord.disputes.model import Actor, ActorRole, Dispute, describe_terms
from accord.errors import InputError, Problem
from accord.service import disputes as service

app = typer.Typer(help="Disputes: raised, narrowed at once, decided on a clock.")

PartyOpt = typer.Option(..., "--party", help="Your organisation id, e.g. gss:E09000011.")
RoleOpt = typer.Option(..., "--role", help="ig_lead, dpo, siro, caldicott_guardian, arbiter...")
NameOpt = typer.Option(..., "--name", help="Your name, as it goes on the record.")
AddOpt = typer.Option([], "--add", help="Offer the current terms plus this field (repeat).")
DropOpt = typer.Option([], "--drop", help="Offer the current terms without this field (repeat).")
FileOpt = typer.Option(None, "--offer-file", help="The offer's terms as YAML or JSON.")
StopOpt = typer.Option(False, "--stop", help="Offer that the flow does not run.")


def _actor(party: str, role: str, name: str) -> Actor:
    try:
        return Actor(party=party, role=ActorRole(role), name=name)
    except ValueError as exc:
        raise InputError(
            "who is acting is not valid", [Problem("--party/--role", str(exc))]
        ) from None


def _read(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {path.name}", [Problem(path.name, str(exc))]) from None
    if not isinstance(data, dict):
        raise InputError("an offer file holds a mapping", [Problem(path.name, "not a mapping")])
    return data


def _summary(d: Dispute) -> str:
    due = f", decide by {d.deadline:%Y-%m-%d %H:%M %Z}" if d.deadline else ""
    text = f"Dispute {d.id}: {d.state} (tier {d.tier}{due}); flow: {describe_terms(d.current)}"
    return esc(text)


@app.command("raise")
def raise_(
    ctx: typer.Context,
    agreement_id: str = typer.Option(..., "--agreement"),
    flow_id: str = typer.Option(..., "--flow"),
    ground: str = typer.Option(..., "--ground", help="no_lawful_basis, excessive_data, ..."),
    statement: str = typer.Option(..., "--statement", help="What is disputed and why."),
    party: str = PartyOpt,
    role: str = RoleOpt,
    name: str = NameOpt,
    field: list[str] = typer.Option([], "--field", help="A disputed field (repeat)."),
    evidence: list[str] = typer.Option([], "--evidence", help="An evidence reference (repeat)."),
    add: list[str] = AddOpt,
    drop: list[str] = DropOpt,
    offer_file: Path | None = FileOpt,
    stop: bool = StopOpt,
    at: str | None = AT_OPTION,
) -> None:
    """Raise a dispute with your final offer; the flow narrows at once and the ladder starts."""
    ws = workspace_at(ctx, at)
    base = service.current_terms(ws, agreement_id, flow_id)
    terms, items = service.parse_offer(_read(offer_file), base=base, add=add, drop=drop, stop=stop)
    d = service.raise_dispute(
        ws,
        agreement_id=agreement_id,
        flow_id=flow_id,
        actor=_actor(party, role, name),
        ground=ground,
        statement=statement,
        offer=terms,
        offer_items=items,
        disputed_fields=field,
        evidence=evidence,
    )
    console().print(_summary(d))


@app.command()
def offer(
    ctx: typer.Context,
    dispute_id: str = typer.Argument(..., metavar="ID"),
    party: str = PartyOpt,
    role: str = RoleOpt,
    name: str = NameOpt,
    add: list[str] = AddOpt,
    drop: list[str] = DropOpt,
    offer_file: Path | None = FileOpt,
    stop: bool = StopOpt,
    note: str = typer.Option("", "--note"),
    at: str | None = AT_OPTION,
) -> None:
    """Make (or revise) your final offer."""
    ws = workspace_at(ctx, at)
    d = service.show(ws, dispute_id).dispute
    base = d.original if d.original is not None else d.current
    terms, items = service.parse_offer(_read(offer_file), base=base, add=add, drop=drop, stop=stop)
    d = service.offer(
        ws, dispute_id, actor=_actor(party, role, name), terms=terms, data_items=items, note=note
    )
    console().print(_summary(d))


@app.command()
def escalate(
    ctx: typer.Context,
    dispute_id: str = typer.Argument(..., metavar="ID"),
    party: str = PartyOpt,
    role: str = RoleOpt,
    name: str = NameOpt,
    reason: str = typer.Option(..., "--reason"),
    at: str | None = AT_OPTION,
) -> None:
    """Send the dispute up a tier now (deciders of the current tier)."""
    d = service.escalate(
        workspace_at(ctx, at), dispute_id, actor=_actor(party, role, name), reason=reason
    )
    console().print(_summary(d))


@app.command()
def decide(
    ctx: typer.Context,
    dispute_id: str = typer.Argument(..., metavar="ID"),
    choose: str = typer.Option(..., "--choose", help="The party whose final offer you choose."),
    reasons: str = typer.Option(..., "--reasons", help="Your written reasons."),
    party: str = PartyOpt,
    role: str = RoleOpt,
    name: str = NameOpt,
    at: str | None = AT_OPTION,
) -> None:
    """Decide: choose exactly one party's final offer, with reasons."""
    d = service.decide(
        workspace_at(ctx, at),
        dispute_id,
        decider=_actor(party, role, name),
        chosen_party=choose,
        reasons=reasons,
    )
    assert d.decision is not None
    console().print(_summary(d))
    console().print(
        f"{d.decision.outcome}; expires {d.decision.expires_at or 'never'}", markup=False
    )


@app.command()
def withdraw(
    ctx: typer.Context,
    dispute_id: str = typer.Argument(..., metavar="ID"),
    party: str = PartyOpt,
    role: str = RoleOpt,
    name: str = NameOpt,
    reason: str = typer.Option(..., "--reason"),
    at: str | None = AT_OPTION,
) -> None:
    """Withdraw a dispute you raised; the terms before it are restored."""
    d = service.withdraw(
        workspace_at(ctx, at), dispute_id, actor=_actor(party, role, name), reason=reason
    )
    console().print(_summary(d))


@app.command()
def show(
    ctx: typer.Context,
    dispute_id: str = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print the dispute as JSON."),
) -> None:
    """A dispute: its state, offers, decision, every step and every notification."""
    record = service.show(settings(ctx).workspace(), dispute_id)
    d = record.dispute
    out = console()
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "dispute": d.model_dump(mode="json"),
                    "steps": [
                        {"seq": s.seq, "name": s.name, "at": s.at.isoformat(), "actor": s.actor}
                        for s in record.steps
                    ],
                }
            )
        )
        return
    out.print(_summary(d))
    out.print(f"raised by {d.raised_by} on {d.ground}: {d.statement}", markup=False)
    for party, terms in d.final_terms().items():
        out.print(f"final offer of {party}: {describe_terms(terms)}", markup=False)
    if d.decision:
        out.print(f"decision: {d.decision.outcome}. Reasons: {d.decision.reasons}", markup=False)
    steps = Table("#", "at", "step", "by")
    for column in steps.columns:
        column.overflow = "fold"
    for s in record.steps:
        steps.add_row(str(s.seq), s.at.isoformat(timespec="minutes"), esc(s.name), esc(s.actor))
    out.print(steps)


@app.command("list")
def list_(
    ctx: typer.Context,
    agreement_id: str | None = typer.Option(None, "--agreement"),
    open_only: bool = typer.Option(False, "--open", help="Only disputes still open."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Disputes, oldest first."""
    found = service.list_disputes(
        settings(ctx).workspace(), agreement_id=agreement_id, open_only=open_only
    )
    if as_json:
        rows = [
            {
                "id": d.id,
                "agreement_id": d.agreement_id,
                "flow_id": d.flow_id,
                "ground": d.ground.value,
                "state": d.state.value,
                "tier": d.tier,
                "deadline": d.deadline.isoformat() if d.deadline else None,
            }
            for d in found
        ]
        console().print_json(json.dumps(rows))
        return
    table = Table("id", "agreement", "flow", "ground", "state", "tier", "deadline")
    for column in table.columns:
        column.overflow = "fold"  # ids are copied from here: never cut them short
    for d in found:
        deadline = d.deadline.isoformat(timespec="minutes") if d.deadline else ""
        table.add_row(
            *(esc(x) for x in (d.id, d.agreement_id, d.flow_id, d.ground.value, d.state.value)),
            str(d.tier),
            deadline,
        )
    console().print(table)


@app.command()
def sweep(ctx: typer.Context, at: str | None = AT_OPTION) -> None:
    """Apply every deadline missed by now (or --at); safe to run as often as you like."""
    swept = service.sweep(workspace_at(ctx, at))
    for s in swept:
        console().print(
            f"{s.dispute_id}: tier {s.missed_tier} missed its deadline -> {s.state}", markup=False
        )
    if not swept:
        console().print("No deadline is due.")
