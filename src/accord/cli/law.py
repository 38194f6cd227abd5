"""`accord check FILE`: the rules engine's findings for an agreement file.

Prints a table (or ``--json``); exits 1 when any finding is blocking (raising the base
:class:`~accord.errors.AccordError`, whose exit code is 1), 2 when the file is not a valid
agreement. The date of evaluation is ``--at`` or today by the injected clock.

An agreement written for another day (the examples are written for their incident, 2026-03-16)
may block today only because its dates have passed. When it blocks without ``--at`` but has no
blocking finding on the day it is written for (its flows' first start, else its incident's
declaration), one more line says so and gives the ``--at`` to use.

The check is the world at the date (:func:`accord.service.standing.findings_on`, the rule the
daily sweep acts on): a dated legal basis the agreement names that has ended (a COPI notice, s251
support) and a recipient's recorded assurance below the agreement's minimum are findings too. The
records are those of the workspace (``ACCORD_HOME``) when one exists; otherwise only what accord
packages (the COPI notice history) is known.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import (
    AT_OPTION,
    console,
    err_console,
    esc,
    now_at,
    settings,
    workspace_at,
)
from accord.errors import AccordError
from accord.law import Severity
from accord.model import Agreement, load_agreement
from accord.service.parties import organisation_lookup
from accord.service.standing import findings_on
from accord.workspace import MARKER, Workspace

STYLE = {Severity.blocking: "bold red", Severity.warning: "yellow", Severity.info: "dim"}


def written_for(agreement: Agreement) -> date | None:
    """The day an agreement is written for: its flows' first start, else its incident's day."""
    starts = [f.start for f in agreement.flows if f.start is not None]
    if starts:
        return min(starts).date()
    return agreement.incident.declared_at.date() if agreement.incident else None


def _records(ctx: typer.Context, at: str | None) -> Workspace | None:
    """The workspace whose dated records the check reads, if there is one (never made here)."""
    s = settings(ctx)
    if not (s.home / MARKER).exists():
        return None
    return workspace_at(ctx, at)


def check_command(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="An agreement document, YAML or JSON.", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    at: str | None = AT_OPTION,
) -> None:
    """Check an agreement against the law; exit 1 if any finding is blocking."""
    on = now_at(ctx, at).date()
    agreement = load_agreement(file)
    organisations = organisation_lookup()
    ws = _records(ctx, at)
    findings = findings_on(ws, agreement, on, organisations=organisations)
    if json_output:
        typer.echo(findings.to_json())
    else:
        table = Table(title=esc(agreement.title))
        table.add_column("severity", no_wrap=True)
        table.add_column("code", no_wrap=True)
        table.add_column("field", overflow="fold")
        table.add_column("message")
        table.add_column("citation")
        for f in findings:
            style = STYLE[f.severity]
            table.add_row(
                f"[{style}]{f.severity.value}[/{style}]",
                *(esc(x) for x in (f.code, f.field, f.message, f.citation)),
            )
        out = console()
        out.print(table)
        counts = ", ".join(f"{len(findings.with_severity(s))} {s.value}" for s in Severity)
        out.print(f"{agreement.id} on {on.isoformat()}: {counts}", markup=False)
    day = written_for(agreement)
    if (
        findings.blocking
        and at is None
        and day is not None
        and day != on
        and not findings_on(ws, agreement, day, organisations=organisations).blocking
    ):
        hint = (
            f"{file} is written for {day.isoformat()}; it passes on that day: "
            f"accord check {file} --at {day.isoformat()}"
        )
        (err_console() if json_output else console()).print(hint, markup=False)
    if findings.blocking:
        # AccordError's exit code is 1: "the agreement is not permitted as it stands".
        raise AccordError(f"{agreement.id} has {len(findings.blocking)} blocking finding(s)")
