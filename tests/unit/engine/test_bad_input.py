"""Bad input gets a clear error naming the problem, and nothing is delivered."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_helpers import COLUMNS, POP, run, write_csv

from accord.errors import (
    AgreementInvalid,
    NotActive,
    NotPermitted,
    PredicateError,
    SourceError,
    UnsupportedClause,
)
from accord.model import Agreement, example_agreement, example_document, parse_agreement


def _nothing_delivered(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert not (out / "deliveries").exists()
    assert not (out / "runs").exists()


def _agreement(**flow_changes: object) -> Agreement:
    doc = example_document()
    doc["flows"] = [{**f, **flow_changes} for f in doc["flows"]]
    return Agreement.model_validate(doc)


@pytest.mark.parametrize("status", ["draft", "approved", "suspended", "expired", "terminated"])
def test_agreement_not_active(tmp_path: Path, status: str) -> None:
    with pytest.raises(NotActive) as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), status=status)
    assert status in err.value.diagnostics()
    _nothing_delivered(tmp_path)


@pytest.mark.parametrize("backend", ["in_memory", "duckdb"])
def test_missing_column(tmp_path: Path, backend: str) -> None:
    cols = [c for c in COLUMNS if c != "phone"]
    rows = [{k: v for k, v in r.items() if k != "phone"} for r in POP]
    with pytest.raises(SourceError) as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", rows, cols), backend=backend)
    assert [(p.where, p.reason) for p in err.value.problems] == [
        ("source.phone", "column is missing")
    ]
    _nothing_delivered(tmp_path)


def test_wrong_column_type_in_parquet(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(POP)
    table = table.set_column(
        table.schema.get_field_index("date_of_birth"), "date_of_birth", pa.array([True] * 4)
    )
    pq.write_table(table, tmp_path / "s.parquet")
    with pytest.raises(SourceError) as err:
        run(tmp_path, tmp_path / "s.parquet")
    assert err.value.problems[0].where == "source.date_of_birth"
    assert "bool" in err.value.problems[0].reason
    _nothing_delivered(tmp_path)


def test_typed_parquet_source_is_accepted(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(POP)
    dates = pa.array([None] * 4, pa.date32())
    table = table.set_column(table.schema.get_field_index("date_of_birth"), "date_of_birth", dates)
    pq.write_table(table, tmp_path / "s.parquet")
    assert run(tmp_path, tmp_path / "s.parquet").delivered_rows == 3


def test_source_not_the_declared_format(tmp_path: Path) -> None:
    fake = tmp_path / "s.parquet"
    fake.write_text("nhs_number\n9990000018\n")
    with pytest.raises(SourceError, match="not a Parquet file"):
        run(tmp_path, fake)
    parquet_as_csv = tmp_path / "t.csv"
    pq.write_table(pa.Table.from_pylist(POP), parquet_as_csv)
    with pytest.raises(SourceError, match="not a CSV file"):
        run(tmp_path, parquet_as_csv)
    _nothing_delivered(tmp_path)


def test_unparsable_predicate_is_refused_when_the_agreement_is_validated() -> None:
    doc = example_document()
    doc["flows"] = [{**f, "row_filter": "utla(postcode) === recipient.gss"} for f in doc["flows"]]
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(doc)
    assert err.value.problems[0].where == "flows.spl-e09000011.row_filter:17"


def test_unparsable_predicate_is_refused_by_the_engine_too(tmp_path: Path) -> None:
    """An agreement copied without validation (``model_copy``) still cannot run a bad filter."""
    a = example_agreement()
    bad = "utla(postcode) === recipient.gss"
    a = a.model_copy(update={"flows": [f.model_copy(update={"row_filter": bad}) for f in a.flows]})
    with pytest.raises(PredicateError) as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=a)
    assert err.value.problems[0].where == "flows.spl-e09000011.row_filter:17"
    _nothing_delivered(tmp_path)


def test_shared_pseudonym_key_without_linkage_is_refused(tmp_path: Path) -> None:
    a = _agreement(
        transforms=[{"op": "pseudonymise", "field": "nhs_number", "key_scope": "agreement"}],
        linkage_permitted=[],
    )
    with pytest.raises(NotPermitted, match="agreed linkage"):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=a)
    _nothing_delivered(tmp_path)


def test_clause_the_engine_cannot_enforce_is_refused(tmp_path: Path) -> None:
    a = _agreement(transforms=[{"op": "suppress_small", "profile": "nhs_secondary_care"}])
    with pytest.raises(UnsupportedClause):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=a)
    _nothing_delivered(tmp_path)


def test_opt_out_list_required_by_the_decision(tmp_path: Path) -> None:
    doc = example_document()
    doc["opt_out_policy"] = {"apply_ndoo": True, "apply_type1": False, "rationale": "s251"}
    with pytest.raises(SourceError) as err:
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=Agreement.model_validate(doc))
    assert err.value.problems[0].where == "opt_out_lists.ndoo"
    _nothing_delivered(tmp_path)


def test_confidential_data_without_opt_out_decision(tmp_path: Path) -> None:
    doc = example_document()
    doc["opt_out_policy"] = None
    with pytest.raises(NotPermitted, match="opt-out decision"):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=Agreement.model_validate(doc))


def test_unknown_constraint_is_unsupported(tmp_path: Path) -> None:
    doc = example_document()
    doc["data_items"][0]["table_schema"] = {"type": "string", "constraints": {"unique": True}}
    with pytest.raises(UnsupportedClause):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=Agreement.model_validate(doc))


def test_bad_constraint_value(tmp_path: Path) -> None:
    doc = example_document()
    doc["data_items"][1]["table_schema"] = {"type": "string", "constraints": {"minLength": "x"}}
    with pytest.raises(AgreementInvalid):
        run(tmp_path, write_csv(tmp_path / "s.csv", POP), agreement=Agreement.model_validate(doc))


def test_errors_never_carry_row_values(tmp_path: Path) -> None:
    rows = [{**r, "date_of_birth": "Jane's birthday"} for r in POP]
    result = run(tmp_path, write_csv(tmp_path / "s.csv", rows))
    assert result.exceptions_by_reason == {
        "not_in_directory:postcode": 1,
        "type:date_of_birth": 4,
    }
    assert "Jane" not in repr(result)
