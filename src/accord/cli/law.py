"""`accord check FILE`: the rules engine's findings for an agreement file.

Prints a table (or ``--json``); exits 1 when any finding is blocking (raising the base
:class:`~accord.errors.AccordError`, whose exit code is 1), 2 when the file is not a valid
agreement. The date of evaluation is ``--at`` or today by the injected clock.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at
from accord.errors import AccordError
from accord.law import Severity, check
from accord.model import load_agreement
from accord.service.parties import organisation_lookup

STYLE = {Severity.blocking: "bold red", Severity.warning: "yellow", Severity.info: "dim"}


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
    findings = check(agreement, at=on, organisations=organisation_lookup())
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
    if findings.blocking:
        # AccordError's exit code is 1: "the agreement is not permitted as it stands".
        raise AccordError(f"{agreement.id} has {len(findings.blocking)} blocking finding(s)")
