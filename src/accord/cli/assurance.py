"""`accord assurance ...`: a party's security assurance over time, and the SIRO's exceptions."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at, workspace_at
from accord.model.assurance import AssuranceScheme, CertificateStatus, DsptFramework
from accord.model.enums import DsptStatus
from accord.service import assurance, users


class Published(StrEnum):
    """What ``--status`` accepts: a DSPT status as the toolkit publishes it, or a certificate's
    (the model's ``DsptStatus`` and ``CertificateStatus``; a test keeps the three the same)."""

    standards_exceeded = DsptStatus.standards_exceeded.value
    standards_met = DsptStatus.standards_met.value
    approaching_standards = DsptStatus.approaching_standards.value
    plan_agreed = DsptStatus.plan_agreed.value
    not_met = DsptStatus.not_met.value
    not_published = DsptStatus.not_published.value
    certified = CertificateStatus.certified.value
    withdrawn = CertificateStatus.withdrawn.value


app = typer.Typer(help="Party assurance over time: DSPT status, ISO 27001, Cyber Essentials.")


@app.command()
def record(
    ctx: typer.Context,
    party: str = typer.Argument(..., help="The organisation, e.g. gss:E09000011."),
    scheme: AssuranceScheme = typer.Option(
        AssuranceScheme.dspt, "--scheme", help="What was published."
    ),
    status: Published = typer.Option(
        ..., "--status", help="A DSPT status as the toolkit publishes it, or certified / withdrawn."
    ),
    effective_from: str = typer.Option(..., "--from", help="Published or certified on (date)."),
    valid_until: str | None = typer.Option(
        None, "--until", help="DSPT: republication due by; certificate: expiry (date)."
    ),
    plan_until: str | None = typer.Option(
        None,
        "--plan-until",
        help="approaching_standards or plan_agreed: the improvement plan's last day.",
    ),
    framework: DsptFramework | None = typer.Option(
        None,
        "--framework",
        help="DSPT: caf_aligned (the toolkit aligned with the NCSC CAF) or ndg_standards.",
    ),
    reference: str | None = typer.Option(None, "--reference"),
    source_url: str | None = typer.Option(None, "--source-url"),
    by: str = typer.Option("operator", "--by", help="Who records it (kept in the ledger)."),
    at: str | None = AT_OPTION,
) -> None:
    """Record a published status or certificate for PARTY (a ledger event)."""
    ws = workspace_at(ctx, at)
    data = {
        "party": party,
        "scheme": scheme.value,
        "status": status.value,
        "effective_from": effective_from,
        "valid_until": valid_until,
        "improvement_plan_until": plan_until,
        "framework": framework.value if framework else None,
        "reference": reference,
        "source_url": source_url,
    }
    stored = assurance.record_assurance(ws, {k: v for k, v in data.items() if v}, actor=by)
    console().print(
        f"Recorded {esc(stored.record.scheme.value)} {esc(stored.record.status)} for "
        f"{esc(stored.record.party)} from {stored.record.effective_from.isoformat()}."
    )


def _table(held: dict[str, dict[AssuranceScheme, assurance.StoredAssurance]], on: date) -> Table:
    table = Table("party", "scheme", f"status on {on}", "published", "until", "plan until")
    for party, schemes in held.items():
        for scheme, s in sorted(schemes.items()):
            r = s.record
            table.add_row(
                esc(party),
                scheme.value,
                esc(s.status_on(on)),
                r.effective_from.isoformat(),
                r.valid_until.isoformat() if r.valid_until else "",
                s.plan_ends.isoformat() if s.plan_ends else "",
            )
    return table


@app.command()
def show(
    ctx: typer.Context,
    party: str = typer.Argument(...),
    at: str | None = AT_OPTION,
) -> None:
    """PARTY's assurance in effect at the date, then every record it has."""
    ws = workspace_at(ctx, at)
    on = now_at(ctx, at).date()
    out = console()
    out.print(_table({party: assurance.current(ws, party, on)}, on))
    history = Table("id", "scheme", "status", "from", "until", "recorded", "by", "lapsed")
    for s in assurance.history(ws, party):
        history.add_row(
            str(s.id),
            s.record.scheme.value,
            esc(s.record.status),
            s.record.effective_from.isoformat(),
            s.record.valid_until.isoformat() if s.record.valid_until else "",
            s.recorded_at.isoformat(timespec="seconds"),
            esc(s.recorded_by),
            s.lapsed_at.isoformat(timespec="seconds") if s.lapsed_at else "",
        )
    out.print(history)


@app.command("list")
def list_(ctx: typer.Context, at: str | None = AT_OPTION) -> None:
    """Every party with a record, and its assurance in effect at the date."""
    ws = workspace_at(ctx, at)
    on = now_at(ctx, at).date()
    held = {p: dict(s) for p, s in assurance.parties(ws, on).items()}
    console().print(_table(held, on) if held else "No assurance recorded.")


@app.command()
def exception(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    recipient: str = typer.Argument(..., help="The recipient the exception is for."),
    controls: str | None = typer.Option(
        None, "--controls", help="The compensating controls, in words (required)."
    ),
    starts: str | None = typer.Option(None, "--starts", help="First day (default: today)."),
    ends: str | None = typer.Option(None, "--ends", help="Last day in force (required)."),
    user: str = typer.Option(..., "--user", help="Your email address: the discloser's SIRO."),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="Read your password from this file instead of asking."
    ),
    at: str | None = AT_OPTION,
) -> None:
    """As the discloser's SIRO, let RECIPIENT's paused flows run until --ends (signed)."""
    ws = workspace_at(ctx, at)
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = typer.prompt("Password", hide_input=True)
    person = users.authenticate(ws, user, password)
    stored = assurance.record_exception(
        ws,
        person,
        agreement_id=agreement_id,
        recipient=recipient,
        controls=controls,
        starts=starts,
        ends=ends,
    )
    e = stored.exception
    console().print(
        f"Exception {stored.id} for {esc(e.recipient)} from {e.starts.isoformat()} to "
        f"{e.ends.isoformat()}, signed by {esc(e.discloser)}; it ends by itself."
    )


@app.command("exceptions")
def exceptions_(
    ctx: typer.Context,
    agreement_id: str | None = typer.Argument(None, metavar="[AGREEMENT]"),
    at: str | None = AT_OPTION,
) -> None:
    """The SIRO exceptions recorded (for one agreement, or all), and whether each is in force."""
    ws = workspace_at(ctx, at)
    on = now_at(ctx, at).date()
    table = Table("id", "agreement", "recipient", "from", "to", "in force", "controls")
    for s in assurance.exceptions(ws, agreement_id):
        e = s.exception
        table.add_row(
            s.id,
            esc(e.agreement_id),
            esc(e.recipient),
            e.starts.isoformat(),
            e.ends.isoformat(),
            "yes" if s.in_force(on) else "no",
            esc(e.controls),
        )
    console().print(table)
