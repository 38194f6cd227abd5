"""Reading a Spark write's part files back in order (``engine/backends/spark_parts.py``).

Part files each sorted on their own are read in the order of a global sort only when their
ranges of source rows follow one another, which the files' statistics must show: property
tests over files cut from random rows, then the Spark engine over a source read in many
partitions, whose extracts and exceptions must be DuckDB's byte for byte, by the fast path.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engines import SPARK_MISSING, SPARK_REASON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine import RunResult, run_agreement
from accord.engine.backends import spark_parts as parts
from accord.model import Agreement, example_document
from accord.refdata import Geography
from accord.synth import write_opt_outs, write_population, write_postcode_directory

from .engine_helpers import NOW, SECRET

SCHEMA = pa.schema([pa.field("__flow", pa.int32()), pa.field("__row", pa.int64())])


def _rows(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[int]]:
    """Rows (flow, source row) with distinct source rows, and cuts of the row numbers into
    consecutive ranges (one part file each)."""
    n = draw(st.integers(1, 300))
    flows = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    rows = sorted(draw(st.sets(st.integers(1, 10_000), min_size=n, max_size=n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=5))) if n > 1 else []
    return list(zip(flows, rows, strict=True)), [0, *cuts, n]


def _write_parts(folder: Path, rows: list[tuple[int, int]], cuts: list[int], order: list[int]):
    """One part file per range of ``cuts``, each sorted by (flow, row), named in ``order``."""
    folder.mkdir()
    for name, k in enumerate(order):
        piece = sorted(rows[cuts[k] : cuts[k + 1]])
        table = pa.table(
            {"__flow": [f for f, _ in piece], "__row": [r for _, r in piece]}, schema=SCHEMA
        )
        pq.write_table(table, folder / f"part-{name:05d}.parquet", row_group_size=7)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_part_files_of_consecutive_rows_read_back_in_the_order_of_a_global_sort(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    rows, cuts = _rows(data.draw)
    order = data.draw(st.permutations(range(len(cuts) - 1)))
    folder = tmp_path_factory.mktemp("parts") / "out"
    _write_parts(folder, rows, cuts, order)
    files = parts.in_row_order(folder, "__row")
    assert files is not None
    got = parts.by_flow(files, SCHEMA).read_all()
    assert list(zip(got["__flow"].to_pylist(), got["__row"].to_pylist(), strict=True)) == sorted(
        rows
    )


def test_overlapping_ranges_of_rows_are_not_read_as_ordered(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for name, rows in enumerate(([1, 5], [4, 9])):
        table = pa.table({"__flow": [0, 0], "__row": rows}, schema=SCHEMA)
        pq.write_table(table, folder / f"part-{name:05d}.parquet")
    assert parts.in_row_order(folder, "__row") is None


def test_part_files_without_statistics_are_not_read_as_ordered(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    table = pa.table({"__flow": [0], "__row": [1]}, schema=SCHEMA)
    pq.write_table(table, folder / "part-00000.parquet", write_statistics=False)
    assert parts.in_row_order(folder, "__row") is None


def test_empty_part_files_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    pq.write_table(SCHEMA.empty_table(), folder / "part-00000.parquet")
    pq.write_table(
        pa.table({"__flow": [2], "__row": [3]}, schema=SCHEMA), folder / "part-00001.parquet"
    )
    assert parts.in_row_order(folder, "__row") == [folder / "part-00001.parquet"]


def _delivered(result_dir: Path) -> dict[tuple[str, ...], bytes]:
    """Each flow's extract bytes, by recipient and flow (the run id left out)."""
    found = sorted((result_dir / "deliveries").rglob("extract.parquet"))
    assert found
    return {p.parts[-4:-2]: p.read_bytes() for p in found}


TOTALS = ("input", "exception", "opted_out", "not_entitled", "delivered")


def _totals(result: RunResult) -> dict[str, object]:
    """The run's totals, its exceptions by reason and each flow's rows and opt-outs."""
    out: dict[str, object] = {k: getattr(result, f"{k}_rows") for k in TOTALS}
    out["reasons"] = result.exceptions_by_reason
    out["flows"] = sorted((d.flow_id, d.rows, d.opted_out_removed) for d in result.deliveries)
    return out


def _agreement(shapes: int) -> Agreement:
    """The example agreement with the NDOO applied; with two shapes, its second flow leaves
    the phone out (the engine then caches the checked rows and exports each shape apart,
    instead of one pass)."""
    doc = example_document()
    doc["opt_out_policy"] = {
        "apply_ndoo": True,
        "apply_type1": False,
        "rationale": "test: opted-out rows are counted and never delivered",
    }
    if shapes == 2:
        doc["flows"][1]["projection"].remove("phone")
    return Agreement.model_validate(doc)


@pytest.mark.spark
@pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)
@pytest.mark.parametrize(
    ("shapes", "writes"), [(1, ["run"]), (2, ["exceptions", "extract_0", "extract_1"])]
)
def test_a_source_read_in_many_partitions_is_delivered_as_duckdb_delivers_it(
    tmp_path: Path,
    spark_session: object,
    monkeypatch: pytest.MonkeyPatch,
    shapes: int,
    writes: list[str],
) -> None:
    directory = tmp_path / "nspl.parquet"
    write_postcode_directory(directory, postcodes=400, seed=11)
    people = tmp_path / "people.parquet"
    write_population(people, rows=4000, seed=11, postcode_directory=directory)
    ndoo = tmp_path / "ndoo.parquet"
    write_opt_outs(
        ndoo, population=people, share=0.05, seed=11, version="NDOO-T", list_date=date(2026, 3, 1)
    )
    listed = pq.read_table(ndoo)
    pq.write_table(pa.concat_tables([listed, listed.slice(0, 20)]), ndoo)  # a number listed twice
    source = tmp_path / "people-small-groups.parquet"
    pq.write_table(pq.read_table(people), source, row_group_size=250)
    geography = Geography.load(directory)
    ordered: list[tuple[str, int]] = []
    real = parts.in_row_order

    def watched(folder: Path, row: str) -> list[Path] | None:
        files = real(folder, row)
        ordered.append((folder.name, -1 if files is None else len(files)))
        return files

    monkeypatch.setattr(parts, "in_row_order", watched)
    conf = spark_session.conf  # type: ignore[attr-defined]
    before = conf.get("spark.sql.files.maxPartitionBytes")
    conf.set("spark.sql.files.maxPartitionBytes", "32k")  # the source in many partitions
    results = {}
    try:
        for engine in ("duckdb", "spark"):
            results[engine] = run_agreement(
                _agreement(shapes),
                status="active",
                source=source,
                out_dir=tmp_path / engine,
                secret=SECRET,
                geography=geography,
                now=NOW,
                opt_out_lists={"ndoo": ndoo},
                backend=engine,
            )
    finally:
        conf.set("spark.sql.files.maxPartitionBytes", before)
    assert _delivered(tmp_path / "spark") == _delivered(tmp_path / "duckdb")
    totals = {e: _totals(r) for e, r in results.items()}
    assert totals["spark"] == totals["duckdb"]
    assert totals["spark"]["opted_out"] > 0
    exceptions = {e: pq.read_table(r.exceptions_path) for e, r in results.items()}
    assert exceptions["spark"].num_rows > 0
    assert exceptions["spark"].equals(exceptions["duckdb"])
    # each write sorted partition by partition, read back in the order of its files' ranges
    assert [name for name, _ in ordered] == writes
    assert all(files > 1 for _, files in ordered)
