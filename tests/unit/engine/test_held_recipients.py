"""A flow to a body that no longer exists delivers nothing: its residents are held as exceptions.

Barnsley's GSS code E08000016 ended on 2025-04-01 (recoded E08000038). A run on or after that
date holds the rows the Barnsley flow's filter matches in the successor's area, on every backend,
with the fixed reason ``recipient_not_in_existence:<flow>`` and no row value anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_helpers import SECRET, person, write_csv

from accord.engine import compile_plan, run_agreement
from accord.errors import NotPermitted
from accord.model import Agreement, example_document

BEFORE = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
AFTER = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def _geo(barnsley: str) -> pa.Table:
    return pa.table(
        {
            "postcode": ["S70 1AA", "SE10 9AA"],
            "lsoa21": ["E01007317", "E01001571"],
            "lad_code": [barnsley, "E09000011"],
            "utla_code": [barnsley, "E09000011"],
        }
    )


def _agreement(*, only_barnsley: bool = False) -> Agreement:
    doc = example_document()
    doc["parties"][2] = {
        **doc["parties"][2],
        "org_id": "gss:E08000016",
        "name": "Barnsley",
        "org_type": "la_metropolitan",
    }
    doc["flows"][1] = {**doc["flows"][1], "id": "spl-barnsley", "recipient": "gss:E08000016"}
    if only_barnsley:
        doc["flows"] = doc["flows"][1:]
    return Agreement.model_validate(doc)


def test_compile_moves_the_flow_to_held_on_the_recode_date() -> None:
    a = _agreement()
    before = compile_plan(a, effective_date=BEFORE.date())
    after = compile_plan(a, effective_date=AFTER.date())
    assert [fp.flow_id for fp in before.flows] == ["spl-e09000011", "spl-barnsley"]
    assert before.held == ()
    assert [fp.flow_id for fp in after.flows] == ["spl-e09000011"]
    assert [(fp.flow_id, fp.route.recipient.org_id) for fp in after.held] == [
        ("spl-barnsley", "gss:E08000038")
    ]


def test_a_plan_of_only_ceased_recipients_is_refused() -> None:
    with pytest.raises(NotPermitted) as err:
        compile_plan(_agreement(only_barnsley=True), effective_date=AFTER.date())
    assert [p.where for p in err.value.problems] == ["flows.spl-barnsley.recipient"]


@pytest.mark.parametrize("backend", ["in_memory", "duckdb"])
def test_residents_of_a_ceased_recipient_are_held_as_exceptions(
    tmp_path: Path, backend: str
) -> None:
    rows = [person(0, "SE10 9AA"), person(1, "S70 1AA"), person(2, "S70 1AA")]
    source = write_csv(tmp_path / "src.csv", rows)
    common = {"status": "active", "source": source, "secret": SECRET, "backend": backend}
    day_before = run_agreement(
        _agreement(), out_dir=tmp_path / "a", geography=_geo("E08000016"), now=BEFORE, **common
    )
    assert {d.flow_id: d.rows for d in day_before.deliveries} == {
        "spl-e09000011": 1,
        "spl-barnsley": 2,
    }
    after = run_agreement(
        _agreement(), out_dir=tmp_path / "b", geography=_geo("E08000038"), now=AFTER, **common
    )
    assert {d.flow_id: d.rows for d in after.deliveries} == {"spl-e09000011": 1}
    assert after.exception_rows == 2
    assert after.exceptions_by_reason == {"recipient_not_in_existence:spl-barnsley": 2}
    held = pq.read_table(after.exceptions_path).to_pylist()
    assert held == [
        {"row_number": 2, "reason": "recipient_not_in_existence:spl-barnsley"},
        {"row_number": 3, "reason": "recipient_not_in_existence:spl-barnsley"},
    ]
    assert [p.name for p in (tmp_path / "b" / "deliveries").rglob("spl-barnsley")] == []
    assert [p.name for p in (tmp_path / "a" / "deliveries").rglob("spl-barnsley")] != []
