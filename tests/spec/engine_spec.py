"""Helpers for the engine spec suite: a small agreement builder, fixtures data, readers."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from accord.engine import RunResult
from accord.model import Agreement, example_document

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECRET = b"spec-suite-instance-secret-0001"
GREENWICH, MIDDLESBROUGH, CAMBRIDGE, CAMBS = "E09000011", "E06000002", "E07000008", "E10000003"
# Four valid NHS numbers (mod 11) and one whose check digit is wrong.
NHS = ["9434765919", "9990000018", "9990000026", "9990000034"]
BAD_NHS = "9434765918"

POSTCODES = pa.table(
    {
        "postcode": ["SE10 9AA", "SE10 9BB", "TS1 1AA", "CB2 1TN"],
        "lsoa21": ["E01001001", "E01001002", "E01002001", "E01003001"],
        "lad_code": [GREENWICH, GREENWICH, MIDDLESBROUGH, CAMBRIDGE],
        "utla_code": [GREENWICH, GREENWICH, MIDDLESBROUGH, CAMBS],
    }
)


def item(name: str, *, standard: str | None = None, **schema: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name,
        "classification": "direct_identifier",
        "justification": "spec",
        "table_schema": {"type": "string", **schema},
    }
    if standard:
        doc["standard"] = standard
    return doc


DEFAULT_ITEMS = [
    item("nhs_number", standard="NHS_NUMBER"),
    item("given_name"),
    item("date_of_birth", type="date"),
    item("postcode", standard="POSTCODE"),
    item("group"),
]


def agreement(
    *,
    flows: list[dict[str, Any]],
    items: list[dict[str, Any]] | None = None,
    opt_outs: dict[str, Any] | None = None,
    recipients: tuple[str, ...] = (GREENWICH, MIDDLESBROUGH, CAMBS),
) -> Agreement:
    """The example agreement with these data items and flows (one per recipient)."""
    doc = example_document()
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": f"Council {c}", "org_type": "la_unitary", **la}
        for c in recipients
    ]
    doc["data_items"] = items or DEFAULT_ITEMS
    doc["flows"] = flows
    doc["opt_out_policy"] = opt_outs or {
        "apply_ndoo": False,
        "apply_type1": False,
        "rationale": "COPI regulation 3",
    }
    return Agreement.model_validate(doc)


def flow(code: str, projection: list[str], row_filter: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"f-{code.lower()}",
        "recipient": f"gss:{code}",
        "projection": projection,
        "row_filter": row_filter,
        **extra,
    }


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass
class Outcome:
    result: RunResult
    extracts: dict[str, list[dict[str, Any]]]
    exceptions: list[dict[str, Any]]

    def rows(self, code: str) -> list[dict[str, Any]]:
        return self.extracts[f"f-{code.lower()}"]


def read_delivery(result: RunResult, flow_id: str) -> pa.Table:
    d = result.delivery(flow_id)
    name = next(n for n in d.files if n.startswith("extract."))
    path = d.directory / name
    if name.endswith(".csv"):
        return pcsv.read_csv(path)
    return pq.read_table(path)


Runner = Callable[..., Outcome]
