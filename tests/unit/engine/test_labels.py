"""A label never weakens protection: the engine refuses a flow labelled aggregate or anonymised
that would deliver person-level rows (issue 12 item 2), on every backend, before reading a row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from engine_helpers import POP, run, write_csv

from accord.errors import UnsupportedClause
from accord.model import Agreement, example_document

BACKENDS = ["in_memory", "duckdb"]


def _agreement(label: str, **flow: Any) -> Agreement:
    doc = example_document()
    doc["data_items"].append(
        {
            "name": "site_code",
            "description": "The hospital site that holds the record",
            "classification": "non_personal",
            "justification": "Counts by site",
        }
    )
    doc["flows"] = [{**f, "identifiability": label, **flow} for f in doc["flows"]]
    return Agreement.model_validate(doc)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("label", ["aggregate", "anonymised_ico_compliant"])
def test_mislabelled_flow_is_refused_naming_flow_and_field(
    tmp_path: Path, backend: str, label: str
) -> None:
    # The example's flows deliver NHS numbers, names, phone numbers: labelled, not anonymous.
    # The source does not exist: the refusal comes before anything is read.
    with pytest.raises(UnsupportedClause) as err:
        run(tmp_path, tmp_path / "never-read.csv", agreement=_agreement(label), backend=backend)
    where = [p.where for p in err.value.problems]
    assert "flows.spl-e09000011.projection.nhs_number" in where
    assert "flows.spl-e06000002.projection.phone" in where
    reasons = {p.where: p.reason for p in err.value.problems}
    assert reasons["flows.spl-e09000011.projection.given_name"] == (
        f"flow spl-e09000011 is labelled {label} but given_name is a direct identifier"
    )
    assert err.value.exit_code == 5
    assert not (tmp_path / "out" / "deliveries").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_pseudonyms_and_coarsened_fields_are_still_one_row_per_person(
    tmp_path: Path, backend: str
) -> None:
    a = _agreement(
        "anonymised_ico_compliant",
        projection=["nhs_number", "date_of_birth", "diagnosis_snomed"],
        transforms=[
            {"op": "pseudonymise", "field": "nhs_number"},
            {"op": "generalise", "field": "date_of_birth"},
        ],
    )
    with pytest.raises(UnsupportedClause) as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=a, backend=backend)
    first = [p for p in err.value.problems if p.where.startswith("flows.spl-e09000011")]
    assert [p.where.rsplit(".", 1)[1] for p in first] == ["nhs_number", "date_of_birth"]
    assert "pseudonym of a direct identifier" in first[0].reason
    # diagnosis_snomed is dropped by its data item's default transform: it never leaves.
    assert "one row per person (date_of_birth);" in first[1].reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_aggregate_label_without_the_aggregate_stage_is_refused(
    tmp_path: Path, backend: str
) -> None:
    a = _agreement("aggregate", projection=["site_code"])
    rows = [{**r, "site_code": "RGT01"} for r in POP]
    with pytest.raises(UnsupportedClause, match="only through the aggregate stage") as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", rows), agreement=a, backend=backend)
    assert [p.where for p in err.value.problems] == [
        "flows.spl-e09000011.aggregate",
        "flows.spl-e06000002.aggregate",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_physically_anonymous_flow_runs_and_still_removes_opt_outs(
    tmp_path: Path, backend: str
) -> None:
    # Only a non-personal field leaves; the opt-out decision recorded for the agreement still
    # removes opted-out people before anything is counted or written.
    doc = _agreement("anonymised_ico_compliant", projection=["site_code"]).model_dump(mode="json")
    doc["opt_out_policy"] = {"apply_ndoo": True, "apply_type1": False, "rationale": "s251"}
    a = Agreement.model_validate(doc)
    rows = [{**r, "site_code": f"S{i}"} for i, r in enumerate(POP)]
    opted = write_csv(tmp_path / "ndoo.csv", [{"nhs_number": POP[0]["nhs_number"]}])
    result = run(
        tmp_path,
        write_csv(tmp_path / "s.csv", rows),
        agreement=a,
        backend=backend,
        opt_out_lists={"ndoo": opted},
    )
    assert result.opted_out_rows == 1
    delivered = {
        d.flow_id: sorted(
            row["site_code"]
            for name in d.files
            if name.endswith(".parquet") and "extract" in name
            for row in pq.read_table(d.directory / name).to_pylist()
        )
        for d in result.deliveries
    }
    assert delivered == {"spl-e09000011": [], "spl-e06000002": ["S1", "S2"]}
