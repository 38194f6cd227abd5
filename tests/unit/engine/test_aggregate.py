"""The aggregate output stage (issue 15): a flow's rows leave only as disclosure-controlled
counts, in the same run as record-level flows, with the same bytes on every backend."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from engine_helpers import NHS, person, run, tree, write_csv

from accord.errors import UnsupportedClause
from accord.law import check, decide_opt_outs
from accord.model import Agreement, example_document

BACKENDS = ["in_memory", "duckdb"]
POSTCODES = ["SE10 9AA", "TS1 1AA", "TS1 2BB"]
COUNTED = {
    "identifiability": "aggregate",
    "projection": ["date_of_birth", "postcode"],
    "transforms": [
        {"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"},
        {"op": "postcode_to", "field": "postcode", "level": "lsoa"},
    ],
    "aggregate": {"group_by": ["date_of_birth", "postcode"]},
}


def _people(n: int = 60) -> list[dict[str, str]]:
    return [
        person(i % 5, POSTCODES[i % 3], date_of_birth=f"19{40 + (i * 7) % 40}-01-01")
        for i in range(n)
    ]


def _agreement(*, only: int | None = None, **changes: Any) -> Agreement:
    doc = example_document()
    for i, f in enumerate(doc["flows"]):
        if only is None or i == only:
            f.update({**COUNTED, **changes})
    return Agreement.model_validate(doc)


def _rows(result, flow_id: str) -> list[dict[str, Any]]:
    return pq.read_table(result.delivery(flow_id).directory / "extract.parquet").to_pylist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_controlled_counts_leave(tmp_path: Path, backend: str) -> None:
    a = _agreement()
    assert check(a, date(2026, 3, 20)).blocking == []
    people = _people()
    result = run(tmp_path, write_csv(tmp_path / "s.csv", people), agreement=a, backend=backend)
    cells = _rows(result, "spl-e06000002")
    assert set(cells[0]) == {
        "date_of_birth",
        "postcode",
        "count",
        "suppressed",
        "is_total",
        "partial",
    }
    published = [c["count"] for c in cells if not c["suppressed"]]
    assert published and all(v == 0 or (v >= 8 and v % 5 == 0) for v in published)
    grand = [
        c for c in cells if c["is_total"] and c["date_of_birth"] is None and c["postcode"] is None
    ]
    assert grand[0]["count"] == 40  # 40 Middlesbrough residents
    assert {c["postcode"] for c in cells} == {"E01002001", "E01002002", None}
    manifest = json.loads(result.delivery("spl-e06000002").manifest_path.read_bytes())
    assert manifest["disclosure"]["profile"] == "nhs_secondary_care"
    assert manifest["disclosure"]["suppressed"][0]["advice"]
    assert [c["name"] for c in manifest["columns"]][-4:] == [
        "count",
        "suppressed",
        "is_total",
        "partial",
    ]
    # No person's value is anywhere in what was delivered.
    delivered = b"".join(tree(tmp_path / "out" / "deliveries").values())
    for p in people:
        for value in (p["nhs_number"], p["given_name"], p["phone"], p["postcode"]):
            assert value.encode() not in delivered


def test_backends_deliver_the_same_bytes(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", _people(90))
    a = _agreement()
    files = {}
    for backend in BACKENDS:
        r = run(tmp_path / backend, src, agreement=a, backend=backend)
        files[backend] = {d.flow_id: d.files for d in r.deliveries}
    assert files["in_memory"] == files["duckdb"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_record_level_and_aggregate_flows_in_one_run(tmp_path: Path, backend: str) -> None:
    a = _agreement(only=1)  # Greenwich keeps its record-level list; Middlesbrough gets counts
    result = run(tmp_path, write_csv(tmp_path / "s.csv", _people()), agreement=a, backend=backend)
    greenwich = _rows(result, "spl-e09000011")
    assert len(greenwich) == 20 and "nhs_number" in greenwich[0]
    assert "count" in _rows(result, "spl-e06000002")[0]
    # A second run with one more resident cannot build on the first for the counts: it runs in
    # full and asks for deltas in vain (counts have no person key); the table is whole.
    again = run(
        tmp_path,
        write_csv(tmp_path / "t.csv", _people(63)),
        agreement=a,
        backend=backend,
        delivery="delta",
    )
    assert again.delivery_mode == "full" and "person key" in (again.delivery_note or "")
    totals = [
        c
        for c in _rows(again, "spl-e06000002")
        if c["is_total"] and c["postcode"] is None and c["date_of_birth"] is None
    ]
    assert totals[0]["count"] == 40  # 42 residents, rounded to the nearest 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_counting_by_an_identifier_is_refused(tmp_path: Path, backend: str) -> None:
    a = _agreement(
        projection=["nhs_number", "postcode"],
        transforms=[{"op": "postcode_to", "field": "postcode"}],
        aggregate={"group_by": ["nhs_number", "postcode"]},
    )
    assert "label.not-anonymous" in check(a, date(2026, 3, 20)).blocking.codes
    with pytest.raises(UnsupportedClause) as err:
        run(tmp_path, tmp_path / "never-read.csv", agreement=a, backend=backend)
    assert err.value.problems[0].where == "flows.spl-e09000011.projection.nhs_number"


def test_counting_by_a_date_needs_an_age_band(tmp_path: Path) -> None:
    # (Labelled aggregate, a raw date of birth is a direct identifier: the label rule refuses
    # it first. Labelled identifiable, the stage itself refuses counting by a whole date.)
    a = _agreement(
        identifiability="identifiable",
        transforms=[{"op": "postcode_to", "field": "postcode", "level": "lsoa"}],
    )
    with pytest.raises(UnsupportedClause, match="counts by text, age bands and areas"):
        run(tmp_path, tmp_path / "never-read.csv", agreement=a)


@pytest.mark.parametrize("backend", BACKENDS)
def test_opted_out_people_are_counted_in_anonymised_aggregates(
    tmp_path: Path, backend: str
) -> None:
    # domain/rules.md §d.4: data anonymised to the ICO standard (aggregates) is outside the
    # national data opt-out, so a wholly aggregate agreement counts everyone, even under s251.
    doc = _agreement().model_dump(mode="json")
    doc["legal_basis"].update(
        confidentiality_basis="s251_support", s251_ref="CAG 1", gateways=["s251_reg5"]
    )
    decision = decide_opt_outs(Agreement.model_validate(doc))
    assert (decision.apply_ndoo, decision.apply_type1) == (False, False)
    doc["opt_out_policy"] = decision.model_dump(mode="json")
    a = Agreement.model_validate(doc)
    people = _people()
    opted = write_csv(tmp_path / "ndoo.csv", [{"nhs_number": n} for n in NHS])
    result = run(
        tmp_path,
        write_csv(tmp_path / "s.csv", people),
        agreement=a,
        backend=backend,
        opt_out_lists={"ndoo": opted},
    )
    assert result.opted_out_rows == 0
    grand = [
        c
        for c in _rows(result, "spl-e09000011")
        if c["is_total"] and c["postcode"] is None and c["date_of_birth"] is None
    ]
    assert grand[0]["count"] == 20
    # The same people in a record-level flow under s251: opt-outs apply.
    doc["flows"][0] = example_document()["flows"][0]
    assert decide_opt_outs(Agreement.model_validate(doc)).apply_ndoo is True


@pytest.mark.parametrize("profile", ["opensafely", "acro"])
def test_the_flows_profile_decides(tmp_path: Path, profile: str) -> None:
    a = _agreement(aggregate={"group_by": ["postcode"], "profile": profile})
    result = run(tmp_path, write_csv(tmp_path / "s.csv", _people()), agreement=a)
    manifest = json.loads(result.delivery("spl-e06000002").manifest_path.read_bytes())
    assert manifest["disclosure"]["profile"] == profile
    cells = _rows(result, "spl-e06000002")
    assert [(c["postcode"], c["count"], c["is_total"]) for c in cells] == [
        ("E01002001", 20, False),
        ("E01002002", 20, False),
        (None, 40, True),
    ]


def test_a_three_way_table_carries_every_margin_on_every_backend(tmp_path: Path) -> None:
    people = [
        {**p, "diagnosis_snomed": ("1234567", "7654321")[i % 2]} for i, p in enumerate(_people(90))
    ]
    doc = _agreement(
        projection=["date_of_birth", "postcode", "diagnosis_snomed"],
        aggregate={"group_by": ["date_of_birth", "postcode", "diagnosis_snomed"]},
    ).model_dump(mode="json")
    for item in doc["data_items"]:  # counted by, not dropped
        if item["name"] == "diagnosis_snomed":
            item["transform"] = "none"
    a = Agreement.model_validate(doc)
    src = write_csv(tmp_path / "s.csv", people)
    results = {b: run(tmp_path / b, src, agreement=a, backend=b) for b in BACKENDS}
    assert {d.flow_id: d.files for d in results["in_memory"].deliveries} == {
        d.flow_id: d.files for d in results["duckdb"].deliveries
    }
    cells = _rows(results["duckdb"], "spl-e06000002")
    keys = ("date_of_birth", "postcode", "diagnosis_snomed")
    shapes = {tuple(c[k] is None for k in keys) for c in cells}
    assert len(shapes) == 8  # the cells, three two-way margins, three one-way, the grand total
    grand = [c for c in cells if all(c[k] is None for k in keys)]
    assert grand[0]["count"] == 60  # 60 Middlesbrough residents
    assert all(c["is_total"] == any(c[k] is None for k in keys) for c in cells)
    published = [c["count"] for c in cells if not c["suppressed"]]
    assert all(v == 0 or (v >= 8 and v % 5 == 0) for v in published)
    assert any(c["suppressed"] for c in cells)
    manifest = json.loads(results["duckdb"].delivery("spl-e06000002").manifest_path.read_bytes())
    reported = manifest["disclosure"]["suppressed"]
    assert len(reported) == sum(c["suppressed"] for c in cells)
    assert {len(s["cell"]) for s in reported} == {3}


def test_a_custom_profile_states_its_own_figures(tmp_path: Path) -> None:
    figures = {
        "suppress_at_or_below": 25,
        "round_to": 6,
        "rounding": "midpoint",
        "source": "ISA schedule 3: counts of 25 or fewer withheld, midpoint 6",
    }
    a = _agreement(aggregate={"group_by": ["postcode"], "custom_profile": figures})
    result = run(tmp_path, write_csv(tmp_path / "s.csv", _people(78)), agreement=a)
    manifest = json.loads(result.delivery("spl-e06000002").manifest_path.read_bytes())
    assert manifest["disclosure"]["profile"] == "custom"
    assert manifest["disclosure"]["citation"] == figures["source"]
    cells = _rows(result, "spl-e06000002")
    # 26 residents in each of the two LSOAs: above 25, published as the midpoint of 25-30.
    assert [(c["postcode"], c["count"]) for c in cells] == [
        ("E01002001", 27),
        ("E01002002", 27),
        (None, 51),
    ]


def test_custom_figures_are_validated() -> None:
    with pytest.raises(ValueError, match="midpoint rounding needs round_to"):
        _agreement(
            aggregate={
                "group_by": ["postcode"],
                "custom_profile": {
                    "suppress_at_or_below": 5,
                    "rounding": "midpoint",
                    "source": "x rule",
                },
            }
        )
    with pytest.raises(ValueError, match="not a packaged one"):
        _agreement(
            aggregate={
                "group_by": ["postcode"],
                "profile": "opensafely",
                "custom_profile": {"suppress_at_or_below": 5, "source": "x rule"},
            }
        )
    with pytest.raises(ValueError, match="needs its figures"):
        _agreement(aggregate={"group_by": ["postcode"], "profile": "custom"})
    # The agreement's own profile custom, and a flow without figures: refused before a read.
    doc = _agreement(aggregate={"group_by": ["postcode"]}).model_dump(mode="json")
    doc["disclosure_control_profile"] = "custom"
    with pytest.raises(UnsupportedClause, match="custom_profile"):
        run(Path("never"), Path("never-read.csv"), agreement=Agreement.model_validate(doc))


def _measured_agreement(profile: str) -> Agreement:
    doc = example_document()
    for f in doc["flows"]:
        f.update(
            {
                **COUNTED,
                "projection": ["postcode", "length_of_stay", "admitted"],
                "transforms": [{"op": "postcode_to", "field": "postcode", "level": "lsoa"}],
                "aggregate": {
                    "group_by": ["postcode"],
                    "profile": profile,
                    "measures": [
                        {"kind": "sum", "field": "length_of_stay"},
                        {"kind": "mean", "field": "length_of_stay"},
                        {"kind": "rate", "field": "admitted", "per": 1000},
                    ],
                },
            }
        )
    for name, kind in (("length_of_stay", "integer"), ("admitted", "boolean")):
        doc["data_items"].append(
            {
                "name": name,
                "classification": "special_category_health",
                "table_schema": {"type": kind},
                "justification": "Measured, never delivered",
            }
        )
    return Agreement.model_validate(doc)


@pytest.mark.parametrize("backend", BACKENDS)
def test_measures_are_controlled_beside_their_counts(tmp_path: Path, backend: str) -> None:
    people = []
    for i, p in enumerate(_people(120)):  # 40 in each Middlesbrough LSOA
        first = p["postcode"] == "TS1 1AA"
        stay = (3000 if i == 1 else 3) if first else 2 + i % 5
        admitted = (i % 2 == 0) if first else (i != 2)  # 20 of 40 in TS1 1AA; 39 of 40 else
        people.append({**p, "length_of_stay": str(stay), "admitted": str(admitted).lower()})
    a = _measured_agreement("acro")
    result = run(tmp_path, write_csv(tmp_path / "s.csv", people), agreement=a, backend=backend)
    cells = {c["postcode"]: c for c in _rows(result, "spl-e06000002")}
    first, second, total = cells["E01002001"], cells["E01002002"], cells[None]
    # One stay of 3,000 days dominates its LSOA's sum: sum and mean withheld (n-k rule) ...
    assert (first["count"], first["sum_length_of_stay"], first["mean_length_of_stay"]) == (
        40,
        None,
        None,
    )
    assert first["rate_admitted_per_1000"] == 500.0
    # ... the other LSOA's are published; its rate (39 of 40) describes nearly everyone.
    stays = [2 + i % 5 for i, p in enumerate(_people(120)) if p["postcode"] == "TS1 2BB"]
    assert second["sum_length_of_stay"] == float(sum(stays))
    assert second["mean_length_of_stay"] == round(sum(stays) / len(stays), 2)
    assert second["rate_admitted_per_1000"] is None
    # The total covers the withheld ones: its sum less the other's would give them away.
    assert total["count"] == 80
    assert total["sum_length_of_stay"] is None and total["rate_admitted_per_1000"] is None


def test_a_measure_of_a_suppressed_count_is_withheld(tmp_path: Path) -> None:
    people = [
        {**p, "length_of_stay": "4", "admitted": "true"}
        for p in _people(120)
        if p["postcode"] != "TS1 2BB" or p["nhs_number"] == NHS[2]
    ]
    result = run(
        tmp_path,
        write_csv(tmp_path / "s.csv", people),
        agreement=_measured_agreement("ons_srs_10"),
    )
    cells = {c["postcode"]: c for c in _rows(result, "spl-e06000002")}
    small = cells["E01002002"]
    assert small["suppressed"] and small["mean_length_of_stay"] is None
    assert small["sum_length_of_stay"] is None and small["rate_admitted_per_1000"] is None
