"""`accord template list` and `accord template new NAME ...`: pre-approved emergency templates.

Parties and incidents come from YAML (or JSON) files: ``--discloser`` one party, ``--recipients``
a list of parties (or ``upper-tier`` for every English upper-tier authority in force on the day
the agreement starts, ``--at`` or today, from the packaged ONS reference data: after the 2025
recodes Barnsley is E08000038), ``--processor`` one party, ``--incident`` one incident. ``--set
path=value`` supplies a fact the template needs (``--set transparency.dea_register_id=ISA-1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at
from accord.errors import InputError, Problem
from accord.model import Incident, Party, dump_yaml
from accord.model.io import problems_from
from accord.playbook import instantiate, list_templates
from accord.service.parties import upper_tier_parties

M = TypeVar("M", bound=BaseModel)
app = typer.Typer(help="Pre-approved agreement templates for foreseeable emergencies.")


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path} cannot be read as YAML", [Problem(str(path), str(exc))]) from None


def _model(model: type[M], data: Any, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(f"{source}: {p.where}", p.reason) for p in problems_from(exc)]
        raise InputError(f"{source} is not a valid {model.__name__.lower()}", problems) from None


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        path, sep, raw = pair.partition("=")
        if not sep or not path:
            raise InputError("--set takes path=value", [Problem("--set", pair)])
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = yaml.safe_load(raw)
    return out


@app.command("list")
def list_() -> None:
    """Every template: id, scenario, mode, version and title."""
    table = Table("id", "scenario", "mode", "version", "title")
    for t in list_templates():
        table.add_row(*(esc(x) for x in (t.id, t.scenario, t.mode.value, t.version, t.title)))
    console().print(table)


@app.command()
def new(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Template id (see `accord template list`)."),
    incident: Path | None = typer.Option(None, "--incident", help="Incident YAML file."),
    discloser: Path = typer.Option(..., "--discloser", help="Discloser party YAML file."),
    recipients: str = typer.Option(
        ..., "--recipients", help="Recipient parties YAML file (a list), or 'upper-tier'."
    ),
    processor: Path | None = typer.Option(None, "--processor", help="Processor party YAML file."),
    set_: list[str] = typer.Option([], "--set", help="path=value for a fact the template needs."),
    agreement_id: str | None = typer.Option(None, "--id", help="Agreement id (default derived)."),
    out: Path | None = typer.Option(None, "--out", help="Write the agreement here, not stdout."),
    at: str | None = AT_OPTION,
) -> None:
    """Instantiate template NAME into an agreement document (YAML)."""
    now = now_at(ctx, at)
    if recipients == "upper-tier":
        parties = upper_tier_parties(on=now.date())  # the flows start now: the councils of today
    else:
        data = _read(Path(recipients))
        if not isinstance(data, list):
            raise InputError(f"{recipients} must hold a list of parties")
        parties = [_model(Party, p, f"{recipients}: {i}") for i, p in enumerate(data)]
    agreement = instantiate(
        name,
        incident=_model(Incident, _read(incident), str(incident)) if incident else None,
        discloser=_model(Party, _read(discloser), str(discloser)),
        recipients=parties,
        processor=_model(Party, _read(processor), str(processor)) if processor else None,
        now=now,
        agreement_id=agreement_id,
        overrides=_overrides(set_),
    )
    text = dump_yaml(agreement)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console().print(
            f"Wrote {agreement.id} ({len(agreement.flows)} flows) to {out}", markup=False
        )
