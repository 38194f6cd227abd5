"""A small world across the 2025-04-01 recode of Barnsley and Sheffield, for the exit tests.

Residents in Barnsley, Sheffield and Greenwich (real LSOA 2021 codes, a postcode directory in the
NSPL layout), and the packaged example agreement widened to three councils, with dates moved to
an incident declared on 2025-03-03 so that its life crosses the recode.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.model import Agreement, example_document
from accord.refdata import check_digit

DECLARED = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
RECODE = datetime(2025, 4, 1, 0, 0, tzinfo=UTC)
BARNSLEY, BARNSLEY_25 = "gss:E08000016", "gss:E08000038"
SHEFFIELD, SHEFFIELD_25 = "gss:E08000019", "gss:E08000039"
GREENWICH = "gss:E09000011"
# postcode, LSOA 2021, LAD in the directory's vintage (LAD 2024)
PLACES = [
    ("S70 1AA", "E01007317", "E08000016"),
    ("S70 1AB", "E01007318", "E08000016"),
    ("S1 1AA", "E01007823", "E08000019"),
    ("SE10 9AA", "E01001571", "E09000011"),
    ("SE10 9AB", "E01001572", "E09000011"),
]
COLUMNS = ["nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "phone"]


def nhs_number(i: int) -> str:
    for start in range(i * 10, i * 10 + 10):
        body = f"{400000000 + start:09d}"
        digit = check_digit(body)
        if digit is not None:
            return body + str(digit)
    raise AssertionError("no valid NHS number in the range")


def write_directory(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["pcds", "dointr", "doterm", "lsoa21", "laua"])
        for postcode, lsoa, lad in PLACES:
            w.writerow([postcode, "198001", "", lsoa, lad])
    return path


def residents() -> list[dict[str, str]]:
    """Two residents per place: row i lives at PLACES[i // 2]."""
    rows = []
    for i in range(2 * len(PLACES)):
        postcode = PLACES[i // 2][0]
        rows.append(
            {
                "nhs_number": nhs_number(i),
                "given_name": f"Given{i}",
                "family_name": "Family",
                "date_of_birth": "1950-01-01",
                "postcode": postcode,
                "phone": "0123456789",
            }
        )
    return rows


def write_source(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        w.writerows(rows if rows is not None else residents())
    return path


def council(org_id: str, name: str) -> dict[str, Any]:
    code = org_id.partition(":")[2].lower()
    return {
        "org_id": org_id,
        "name": name,
        "org_type": "la_metropolitan" if code.startswith("e08") else "la_london_borough",
        "role": "recipient",
        "cca_category": "cat1",
        "dspt_status": "standards_met",
        "health_professional_or_duty_of_confidentiality": True,
        "contacts": {"dpo": f"dpo@{code}.example", "siro": f"siro@{code}.example"},
    }


def agreement_document() -> dict[str, Any]:
    doc = example_document()
    flow = {k: v for k, v in doc["flows"][0].items() if k not in {"id", "recipient"}}
    flow["projection"] = [c for c in COLUMNS]
    councils = [(BARNSLEY, "Barnsley"), (SHEFFIELD, "Sheffield"), (GREENWICH, "Greenwich")]
    doc["parties"] = [doc["parties"][0]] + [council(o, n) for o, n in councils]
    doc["flows"] = [
        {**flow, "id": f"spl-{o.partition(':')[2].lower()}", "recipient": o} for o, _ in councils
    ]
    doc["data_items"] = [d for d in doc["data_items"] if d["name"] in COLUMNS]
    doc["incident"]["incident_id"] = "INC-2025-001"
    doc["incident"]["declared_at"] = DECLARED.isoformat()
    doc["incident"]["review_by"] = "2026-03-01T09:00:00+00:00"
    doc["dpia"] = {**doc["dpia"], "status": "complete", "due_by": None}
    doc["review"] = {"review_date": "2025-09-01", "review_interval": "P6M"}
    doc["rights"]["lead_party"] = doc["parties"][0]["org_id"]
    return doc


def agreement() -> Agreement:
    return Agreement.model_validate(agreement_document())
