"""The packaged history of dated legal bases: the COVID-19 COPI regulation 3(4) notices.

Each file in ``data/notices/`` lists records with their issue date, start, extensions and last
day in force, each with its source; a date no shared source confirms is null and said so.

>>> from datetime import date
>>> general = packaged_basis("copi-covid19-general-2020")
>>> general.final_end, general.in_force(date(2022, 6, 30)), general.in_force(date(2022, 7, 1))
(datetime.date(2022, 6, 30), True, False)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from accord.errors import ConfigError, NotFound, Problem
from accord.model.bases import DatedBasis

NOTICE_DIR = Path(__file__).parent / "data" / "notices"


@cache
def packaged_bases() -> tuple[DatedBasis, ...]:
    """Every packaged dated basis, in file order."""
    out: list[DatedBasis] = []
    for path in sorted(NOTICE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(data.get("notices", [])):
            try:
                out.append(DatedBasis.model_validate(raw))
            except ValidationError as exc:
                raise ConfigError(
                    f"the packaged notice file {path.name} is invalid",
                    [Problem(f"notices.{i}", str(exc))],
                ) from None
    ids = [b.id for b in out]
    if len(set(ids)) != len(ids):
        raise ConfigError("a packaged notice id is used twice", [Problem("notices", str(ids))])
    return tuple(out)


def packaged_basis(basis_id: str) -> DatedBasis:
    for basis in packaged_bases():
        if basis.id == basis_id:
            return basis
    raise NotFound(f"no packaged basis {basis_id}")
