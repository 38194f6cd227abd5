"""Day-0 and day-1 populations and the agreement shared by the engine's generative tests.

Used by ``test_engine_incremental.py`` and ``test_engine_delta_mode.py`` (tests/ has no packages;
``conftest.py`` puts this folder on the path).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from hypothesis import strategies as st

from accord.model import Agreement, example_document

DAY0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
DAY1 = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
SECRET = b"incremental-instance-secret-0001"
RECIPIENTS = ("E09000011", "E06000002", "E10000003")
POSTCODES = pa.table(
    {
        "postcode": ["SE10 9AA", "TS1 1AA", "CB2 1TN"],
        "lsoa21": ["E01001001", "E01002001", "E01003001"],
        "lad_code": ["E09000011", "E06000002", "E07000008"],
        "utla_code": ["E09000011", "E06000002", "E10000003"],
    }
)
NHS = ["9990000018", "9990000026", "9990000034", "9990000042", "9990000050", "9990000069"]
COLUMNS = ["nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "phone"]

person = st.fixed_dictionaries(
    {
        "nhs_number": st.sampled_from([*NHS, "9990000019", ""]),
        "given_name": st.sampled_from(["Ann", "Bo", ""]),
        "family_name": st.just("F"),
        "date_of_birth": st.sampled_from(["1950-01-01", "1990-06-30", "x"]),
        "postcode": st.sampled_from(["SE10 9AA", "ts11aa", "CB2 1TN", "ZZ9 9ZZ", ""]),
        "phone": st.sampled_from(["01234", ""]),
    }
)


@st.composite
def days(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    day0 = draw(st.lists(person, min_size=1, max_size=20))
    day1 = list(day0)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["add", "remove", "move", "invalid", "duplicate"]))
        if op == "add" or not day1:
            day1.insert(draw(st.integers(0, len(day1))), draw(person))
            continue
        i = draw(st.integers(0, len(day1) - 1))
        if op == "remove":
            del day1[i]
        elif op == "move":
            day1[i] = {**day1[i], "postcode": draw(st.sampled_from(["SE10 9AA", "TS1 1AA"]))}
        elif op == "invalid":
            day1[i] = {**day1[i], "nhs_number": "12345"}
        else:
            day1.insert(i, dict(day1[i]))
    return day0, day1


def agreement(version: str = "1.0.0") -> Agreement:
    doc = example_document()
    template = doc["flows"][0]
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": c, "org_type": "la_unitary", **la} for c in RECIPIENTS
    ]
    doc["flows"] = [
        {**template, "id": f"spl-{c.lower()}", "recipient": f"gss:{c}"} for c in RECIPIENTS
    ]
    doc["opt_out_policy"] = {"apply_ndoo": True, "apply_type1": False, "rationale": "t"}
    doc["version"] = version
    return Agreement.model_validate(doc)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def write_optouts(path: Path, numbers: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("nhs_number\n" + "".join(f"{n}\n" for n in numbers))
    return path
