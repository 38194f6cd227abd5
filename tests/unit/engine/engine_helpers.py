"""Small builders shared by the engine unit tests."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from accord.engine import RunResult, run_agreement
from accord.model import Agreement, example_agreement

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECRET = b"unit-test-instance-secret-000001"
GEO = pa.table(
    {
        "postcode": ["SE10 9AA", "TS1 1AA", "TS1 2BB"],
        "lsoa21": ["E01001001", "E01002001", "E01002002"],
        "lad_code": ["E09000011", "E06000002", "E06000002"],
        "utla_code": ["E09000011", "E06000002", "E06000002"],
    }
)
NHS = ["9990000018", "9990000026", "9990000034", "9990000042", "9990000050"]
COLUMNS = [
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "phone",
    "diagnosis_snomed",
]


def person(i: int, postcode: str, **extra: str) -> dict[str, str]:
    return {
        "nhs_number": NHS[i],
        "given_name": f"G{i}",
        "family_name": "F",
        "date_of_birth": "1950-01-01",
        "postcode": postcode,
        "phone": "01234",
        "diagnosis_snomed": "1234567",
        **extra,
    }


POP = [person(0, "SE10 9AA"), person(1, "TS1 1AA"), person(2, "TS1 2BB"), person(3, "XX1 1XX")]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, columns or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def run(tmp: Path, source: Path, *, agreement: Agreement | None = None, **kw: Any) -> RunResult:
    params: dict[str, Any] = {
        "status": "active",
        "source": source,
        "out_dir": tmp / "out",
        "secret": SECRET,
        "geography": GEO,
        "now": NOW,
    }
    params.update(kw)
    return run_agreement(agreement or example_agreement(), **params)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (relative paths)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
