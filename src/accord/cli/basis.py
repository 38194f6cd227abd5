"""`accord basis ...`: legal bases with dates (notices, approvals, directions) and their ends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
import yaml
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at, workspace_at
from accord.errors import InputError, Problem
from accord.service import bases

app = typer.Typer(help="Dated legal bases: COPI notices, s251/REC approvals, directions.")


@app.command()
def record(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A YAML file: id, kind, title, start, end, source..."),
    by: str = typer.Option("operator", "--by", help="Who records it (kept in the ledger)."),
    at: str | None = AT_OPTION,
) -> None:
    """Record a dated basis from FILE (a ledger event)."""
    ws = workspace_at(ctx, at)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(
            "cannot read the basis file", [Problem(str(file), type(exc).__name__)]
        ) from None
    if not isinstance(data, dict):
        raise InputError("the basis file must hold one mapping", [Problem(str(file), "not a map")])
    basis = bases.record_basis(ws, data, actor=by)
    end = basis.final_end.isoformat() if basis.final_end else "no end date"
    console().print(f"Recorded {esc(basis.id)} ({basis.kind.value}): {basis.start} to {end}.")


@app.command()
def extend(
    ctx: typer.Context,
    basis_id: str = typer.Argument(..., metavar="ID"),
    end: str = typer.Option(..., "--end", help="The new last day in force (date)."),
    announced: str | None = typer.Option(None, "--announced", help="When it was announced."),
    source: str | None = typer.Option(None, "--source"),
    by: str = typer.Option("operator", "--by"),
    at: str | None = AT_OPTION,
) -> None:
    """Move a recorded basis's end later (an extension notice)."""
    ws = workspace_at(ctx, at)
    try:
        new_end = date.fromisoformat(end)
        when = date.fromisoformat(announced) if announced else now_at(ctx, at).date()
    except ValueError:
        raise InputError(
            "not an ISO date", [Problem("--end/--announced", "use YYYY-MM-DD")]
        ) from None
    basis = bases.extend_basis(ws, basis_id, end=new_end, announced=when, source=source, actor=by)
    console().print(f"{esc(basis.id)} now holds until {basis.final_end}.")


@app.command("list")
def list_(ctx: typer.Context, at: str | None = AT_OPTION) -> None:
    """Every dated basis (the packaged history and those recorded), as known at the date.

    `accord basis list` names each by id; the titles and sources are in the packaged files and
    in the ledger's basis-recorded events."""
    ws = workspace_at(ctx, at)
    on = now_at(ctx, at).date()
    table = Table("id", "kind", "start", "last day (as known)", "in force")
    for b in bases.all_bases(ws).values():
        end = b.end_known_on(on)
        table.add_row(
            esc(b.id),
            b.kind.value,
            b.start.isoformat(),
            end.isoformat() if end else "",
            "yes" if b.in_force(on) else "no",
        )
    console().print(table)
