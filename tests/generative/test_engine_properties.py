"""The promises the engine makes, checked on random populations and agreements (hypothesis).

For every generated agreement and population, on both backends:

1. no row reaches a recipient whose row filter it fails (checked against an oracle written
   here, independently of the engine);
2. no column outside the flow's projection (after drops) appears in an extract;
3. no person on an applied opt-out list appears in an extract;
4. exceptions + opted out + not entitled + delivered == input rows;

and the DuckDB backend gives exactly what the in-memory reference gives (same bytes); so does
the Spark engine, on fewer examples (each Spark run costs seconds).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engines import REFERENCE, SPARK_MISSING, SPARK_REASON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine import RunResult, run_agreement
from accord.model import Agreement, example_document

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECRET = b"generative-instance-secret-00001"
RECIPIENTS = ("E09000011", "E06000002", "E10000003")
GEO = {
    "SE10 9AA": ("E01001001", "E09000011", "E09000011"),
    "TS1 1AA": ("E01002001", "E06000002", "E06000002"),
    "CB2 1TN": ("E01003001", "E07000008", "E10000003"),
}
POSTCODES = pa.table(
    {
        "postcode": list(GEO),
        "lsoa21": [v[0] for v in GEO.values()],
        "lad_code": [v[1] for v in GEO.values()],
        "utla_code": [v[2] for v in GEO.values()],
    }
)
VALID_NHS = ["9990000018", "9990000026", "9990000034", "9990000042", "9990000050"]


def _utla(row: dict[str, str]) -> str | None:
    pc = row["postcode"].replace(" ", "").upper()
    pc = f"{pc[:-3]} {pc[-3:]}" if len(pc) > 3 else pc
    return GEO[pc][2] if pc in GEO else None


def _age(row: dict[str, str]) -> int | None:
    try:
        born = date.fromisoformat(row["date_of_birth"])
    except ValueError:
        return None
    return NOW.year - born.year - ((born.month, born.day) > (NOW.month, NOW.day))


def _score(row: dict[str, str]) -> int | None:
    return int(row["score"]) if row["score"].isdigit() else None


Oracle = Callable[[dict[str, str], str], bool]
FILTERS: list[tuple[str, Oracle]] = [
    ("utla(postcode) == recipient.gss", lambda r, c: _utla(r) == c),
    ("group == 'A'", lambda r, c: r["group"] == "A"),
    (
        "group in ('A', 'B') and utla(postcode) == recipient.gss",
        lambda r, c: r["group"] in {"A", "B"} and _utla(r) == c,
    ),
    ("not group == 'C'", lambda r, c: r["group"] not in {"C", ""}),
    (
        "score >= 3 or age(date_of_birth) > 50",
        lambda r, c: (_score(r) or 0) >= 3 or (_age(r) or 0) > 50,
    ),
]
ITEMS = ["rid", "nhs_number", "postcode", "group", "date_of_birth", "score"]


def _items() -> list[dict[str, Any]]:
    def it(name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "classification": "other_personal", "justification": "t", **extra}

    return [
        it("rid"),
        it("nhs_number", standard="NHS_NUMBER"),
        it("postcode", standard="POSTCODE"),
        it("group"),
        it("date_of_birth", table_schema={"type": "date"}),
        it("score", table_schema={"type": "integer"}),
    ]


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "nhs_number": st.sampled_from([*VALID_NHS, "9990000019", "", "12345"]),
            "postcode": st.sampled_from(["SE10 9AA", "ts11aa", "CB2 1TN", "ZZ9 9ZZ", "?", ""]),
            "group": st.sampled_from(["A", "B", "C", ""]),
            "date_of_birth": st.sampled_from(["1950-01-01", "2000-12-31", "1960-03-21", "x", ""]),
            "score": st.sampled_from(["1", "3", "7", "", "x"]),
        }
    ),
    max_size=25,
)


@st.composite
def flows_strategy(draw: st.DrawFn, *, one_shape: bool = False) -> list[dict[str, Any]]:
    """Flows to one to three recipients, each its own projection, transforms and row filter;
    with ``one_shape``, every flow the same projection and transforms and the row filter
    ``utla(postcode) == recipient.gss`` (a row then reaches at most one flow: the Spark
    engine runs such a plan in one pass)."""
    codes = draw(st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=3, unique=True))
    flows = []
    shape: tuple[list[str], list[dict[str, Any]]] | None = None
    for code in codes:
        if shape is None or not one_shape:
            shape = _shape(draw)
        projection, transforms = shape
        rule = 0 if one_shape else draw(st.integers(0, len(FILTERS) - 1))
        flows.append(
            {
                "id": f"f{code.lower()}",
                "recipient": f"gss:{code}",
                "projection": projection,
                "row_filter": FILTERS[rule][0],
                "transforms": transforms,
            }
        )
    return flows


def _shape(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    """A flow's projection and transforms."""
    extra = draw(st.lists(st.sampled_from(ITEMS[1:]), unique=True, max_size=5))
    projection = ["rid", *extra]
    transforms: list[dict[str, Any]] = []
    if "nhs_number" in projection and draw(st.booleans()):
        transforms.append({"op": "pseudonymise", "field": "nhs_number"})
    if "date_of_birth" in projection and draw(st.booleans()):
        transforms.append({"op": "generalise", "field": "date_of_birth"})
    if "postcode" in projection and draw(st.booleans()):
        level = draw(st.sampled_from(["lsoa", "district", "upper_tier"]))
        transforms.append({"op": "postcode_to", "field": "postcode", "level": level})
    if "group" in projection and draw(st.booleans()):
        transforms.append({"op": "drop", "field": "group"})
    return projection, transforms


def _agreement(flows: list[dict[str, Any]], apply_ndoo: bool) -> Agreement:
    doc = example_document()
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": c, "org_type": "la_unitary", **la} for c in RECIPIENTS
    ]
    doc["data_items"] = _items()
    doc["flows"] = flows
    doc["opt_out_policy"] = {"apply_ndoo": apply_ndoo, "apply_type1": False, "rationale": "t"}
    return Agreement.model_validate(doc)


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ["rid", "nhs_number", "postcode", "group", "date_of_birth", "score"])
        w.writeheader()
        for i, r in enumerate(rows):
            w.writerow({"rid": f"r{i}", **r})


def _run(backend: str, a: Agreement, folder: Path, opted: list[str] | None) -> RunResult:
    lists = None
    if opted is not None:
        optouts = folder / "ndoo.csv"
        with optouts.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["nhs_number"])
            w.writerows([n] for n in opted)
        lists = {"ndoo": optouts}
    return run_agreement(
        a,
        status="active",
        source=folder / "source.csv",
        out_dir=folder / backend,
        secret=SECRET,
        geography=POSTCODES,
        now=NOW,
        opt_out_lists=lists,
        backend=backend,
    )


def _extract(result: RunResult, flow_id: str) -> pa.Table:
    return pq.read_table(result.delivery(flow_id).directory / "extract.parquet")


@settings(
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    rows=rows_strategy,
    flows=flows_strategy(),
    apply_ndoo=st.booleans(),
    opted=st.lists(st.sampled_from(VALID_NHS), unique=True, max_size=3),
)
def test_engine_promises(
    rows: list[dict[str, str]], flows: list[dict[str, Any]], apply_ndoo: bool, opted: list[str]
) -> None:
    _promises("duckdb", rows, flows, apply_ndoo, opted)


@pytest.mark.spark
@pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)
@pytest.mark.parametrize("one_shape", [False, True], ids=["any-plan", "one-pass"])
@settings(
    derandomize=True,
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.data(),
    rows=rows_strategy,
    apply_ndoo=st.booleans(),
    opted=st.lists(st.sampled_from(VALID_NHS), unique=True, max_size=3),
)
def test_engine_promises_on_spark(
    spark_session: object,
    one_shape: bool,
    data: st.DataObject,
    rows: list[dict[str, str]],
    apply_ndoo: bool,
    opted: list[str],
) -> None:
    """Any plan, and plans the Spark engine runs in one pass (one shape, one route a row)."""
    flows = data.draw(flows_strategy(one_shape=one_shape))
    _promises("spark", rows, flows, apply_ndoo, opted)


def _promises(
    engine: str,
    rows: list[dict[str, str]],
    flows: list[dict[str, Any]],
    apply_ndoo: bool,
    opted: list[str],
) -> None:
    a = _agreement(flows, apply_ndoo)
    folder = Path(tempfile.mkdtemp(prefix="accord-gen-"))
    try:
        _write(folder / "source.csv", rows)
        results = {
            b: _run(b, a, folder, opted if apply_ndoo else None) for b in (REFERENCE, engine)
        }
        reference, duck = results[REFERENCE], results[engine]
        by_rid = {f"r{i}": r for i, r in enumerate(rows)}

        for result in results.values():
            # 4. every input row is counted exactly once
            assert result.input_rows == len(rows)
            assert (
                result.exception_rows
                + result.opted_out_rows
                + result.not_entitled_rows
                + result.delivered_rows
                == len(rows)
            )
            assert pq.read_table(result.exceptions_path).num_rows == result.exception_rows
            delivered_rids: set[str] = set()
            for f in flows:
                table = _extract(result, f["id"])
                dropped = {t["field"] for t in f["transforms"] if t["op"] == "drop"}
                # 2. nothing outside the projection
                assert table.schema.names == [c for c in f["projection"] if c not in dropped]
                code = f["recipient"].split(":")[1]
                oracle = next(o for text, o in FILTERS if text == f["row_filter"])
                for rid in table["rid"].to_pylist():
                    source = by_rid[rid]
                    # 1. the row passes this recipient's filter
                    assert oracle(source, code)
                    # 3. no opted-out person where opt-outs apply
                    if apply_ndoo:
                        assert source["nhs_number"] not in opted
                    delivered_rids.add(rid)
            assert len(delivered_rids) == result.delivered_rows

        # the engine equals the in-memory reference, byte for byte
        for d in reference.deliveries:
            assert duck.delivery(d.flow_id).files == d.files
            assert duck.delivery(d.flow_id).manifest_sha256 == d.manifest_sha256
        assert (duck.exceptions_by_reason, duck.opted_out_rows, duck.not_entitled_rows) == (
            reference.exceptions_by_reason,
            reference.opted_out_rows,
            reference.not_entitled_rows,
        )
        assert pq.read_table(duck.exceptions_path).equals(pq.read_table(reference.exceptions_path))
    finally:
        shutil.rmtree(folder)
