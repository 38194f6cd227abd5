"""Read the geography reference files packaged in ``accord/refdata/data/geography``.

The files are copies of the OGL-licensed ONS data described in that folder's README; they are
read with :mod:`importlib.resources`, so they work from a wheel or a zip as well as a checkout.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from importlib import resources

_PACKAGE = "accord.refdata"
_FOLDER = ("data", "geography")


def _rows(name: str) -> list[dict[str, str]]:
    resource = resources.files(_PACKAGE).joinpath(*_FOLDER, name)
    text = resource.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@dataclass(frozen=True)
class AuthorityRow:
    lad_code: str
    lad_name: str
    lad_type: str
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class CodeChange:
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    effective_date: date


@dataclass(frozen=True)
class LsoaRow:
    lsoa21_code: str
    lsoa21_name: str
    lad_code: str


def authorities() -> list[AuthorityRow]:
    """The 296 English LADs (LAD 2024 set) with their upper tier and region."""
    return [AuthorityRow(**row) for row in _rows("local_authorities.csv")]


def lsoas() -> list[LsoaRow]:
    """The 33,755 English LSOA 2021 codes, names and LAD 2024 codes."""
    return [LsoaRow(**row) for row in _rows("lsoa21_to_lad.csv")]


def _changes(name: str) -> list[CodeChange]:
    return [
        CodeChange(
            old_code=row["old_code"],
            old_name=row["old_name"],
            new_code=row["new_code"],
            new_name=row["new_name"],
            effective_date=date.fromisoformat(row["effective_date"]),
        )
        for row in _rows(name)
    ]


def boundary_changes_2023() -> list[CodeChange]:
    """Districts and counties abolished on 2023-04-01 and their successor unitaries."""
    return _changes("boundary_changes_2023.csv")


def lad_code_changes_2025() -> list[CodeChange]:
    """The LAD 2025 recodes (Barnsley, Sheffield) effective 2025-04-01."""
    return _changes("lad_code_changes_2025.csv")
