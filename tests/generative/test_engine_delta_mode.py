"""A delta-only delivery, applied to its base, is exactly what a full run delivers (hypothesis).

Day 0 runs in full; day 1 (random additions, removals, moves between authorities, rows made
invalid, duplicated rows) runs twice on copies of the same folder: as a full delivery, and as a
delta-only delivery against day 0 (``previous=``). For every recipient, the day-0 extract with the
delta applied (replace by key) must equal the full run's day-1 extract as a multiset of rows
(compared in canonical order: by key, then every column), on both backends, and the run totals,
exceptions and opt-out counts must match. No extract is written by the delta run. The full
run's own additions and removals, applied to the same base, give the same rows: both deliveries'
deltas have the one meaning (:mod:`accord.engine.delta`).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

# The day-0/day-1 generator and agreement of test_engine_incremental.py (tests are not a package).
from engine_days import (  # noqa: E402  (beside this file; see conftest.py)
    DAY0,
    DAY1,
    NHS,
    POSTCODES,
    SECRET,
    days,
)
from engine_days import agreement as _agreement  # noqa: E402
from engine_days import write_csv as _csv  # noqa: E402
from engine_days import write_optouts as _optouts  # noqa: E402
from engines import SPARK_MISSING, SPARK_REASON  # noqa: E402
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine import RunResult, run_agreement, touched
from accord.engine import delta as dm
from accord.engine.backends.base import Outcome


def _run(out: Path, source: Path, now: datetime, optouts: Path, **kw: Any) -> RunResult:
    params: dict[str, Any] = {"agreement": _agreement()}
    if "previous" in kw:
        params["delivery"] = "delta"  # delta-only deliveries are asked for by name
    params.update(kw)
    return run_agreement(
        params.pop("agreement"),
        status="active",
        source=source,
        out_dir=out,
        secret=SECRET,
        geography=POSTCODES,
        now=now,
        opt_out_lists={"ndoo": optouts},
        **params,
    )


def _pair(folder: Path, day1: Path, optouts: Path, **kw: Any) -> tuple[RunResult, RunResult]:
    base = _run(folder / "delta", folder / "d0.csv", DAY0, optouts, **kw)
    shutil.copytree(folder / "delta", folder / "full")
    delta = _run(folder / "delta", day1, DAY1, optouts, previous=base.run_id, **kw)
    full = _run(folder / "full", day1, DAY1, optouts, **kw)
    return delta, full


def _check(delta: RunResult, full: RunResult) -> None:
    assert delta.delivery_mode == "delta" and full.delivery_mode == "full"
    for name in ("input_rows", "exception_rows", "opted_out_rows", "not_entitled_rows"):
        assert getattr(delta, name) == getattr(full, name), name
    assert delta.delivered_rows == full.delivered_rows
    assert delta.exceptions_by_reason == full.exceptions_by_reason
    assert pq.read_table(delta.exceptions_path).equals(pq.read_table(full.exceptions_path))
    for d in delta.deliveries:
        f = full.delivery(d.flow_id)
        assert sorted(d.files) == ["additions.parquet", "removals.parquet"]
        assert not (d.directory / "extract.parquet").exists()
        expected = pq.read_table(f.directory / "extract.parquet")
        base = pq.read_table(d.directory.parent / d.since_run / "extract.parquet")
        got = dm.verify_delta(base, d.directory)
        assert got.equals(dm.canonical(expected, "nhs_number"))
        assert dm.reconstruct(d.directory.parent, delta.run_id).equals(got)
        assert (d.rows, d.opted_out_removed) == (f.rows, f.opted_out_removed)
        # The one meaning: the full delivery's own additions and removals, applied to the same
        # base by the rule its manifest names, give its extract (duplicates, moves, NULL keys).
        assert dm.read_manifest(f.directory)["delta"]["apply"] == "replace-by-key"
        assert dm.verify_delta(base, f.directory).equals(got)


@pytest.mark.parametrize("backend", ["duckdb", "in_memory"])
@settings(
    derandomize=True, max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(pair=days(), opted=st.lists(st.sampled_from(NHS), unique=True, max_size=2))
def test_a_delta_applied_to_its_base_is_the_full_run(
    backend: str, pair: tuple[list[dict[str, str]], list[dict[str, str]]], opted: list[str]
) -> None:
    _delta_is_full_run(backend, pair, opted)


@pytest.mark.spark
@pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)
@settings(
    derandomize=True, max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(pair=days(), opted=st.lists(st.sampled_from(NHS), unique=True, max_size=2))
def test_a_delta_applied_to_its_base_is_the_full_run_on_spark(
    spark_session: object,
    pair: tuple[list[dict[str, str]], list[dict[str, str]]],
    opted: list[str],
) -> None:
    _delta_is_full_run("spark", pair, opted)


def _delta_is_full_run(
    backend: str, pair: tuple[list[dict[str, str]], list[dict[str, str]]], opted: list[str]
) -> None:
    day0, day1 = pair
    folder = Path(tempfile.mkdtemp(prefix="accord-dm-"))
    try:
        optouts = _optouts(folder / "ndoo.csv", opted)
        _csv(folder / "d0.csv", day0)
        delta, full = _pair(folder, _csv(folder / "d1.csv", day1), optouts, backend=backend)
        _check(delta, full)
    finally:
        shutil.rmtree(folder)


def _fixed(folder: Path, opted: list[str]) -> tuple[Path, Path]:
    rows = [
        {
            "nhs_number": n,
            "given_name": "G",
            "family_name": "F",
            "date_of_birth": "1950-01-01",
            "postcode": pc,
            "phone": "1",
        }
        for n, pc in zip(
            NHS, ["SE10 9AA", "TS1 1AA", "CB2 1TN", "SE10 9AA", "TS1 1AA"], strict=False
        )
    ]
    _csv(folder / "d0.csv", rows)
    moved = [rows[0], {**rows[1], "postcode": "SE10 9AA"}, *rows[2:4]]
    return _csv(folder / "d1.csv", moved), _optouts(folder / "ndoo.csv", opted)


def test_the_fast_path_reads_only_fresh_rows_and_writes_a_state_delta(
    tmp_path: Path, monkeypatch: Any
) -> None:
    day1, optouts = _fixed(tmp_path, [NHS[0]])
    seen: list[int] = []
    real = touched.delta_only

    def spy(*args: Any, **kw: Any) -> Outcome | None:
        outcome = real(*args, **kw)
        assert outcome is not None
        seen.append(outcome.fresh_rows)
        return outcome

    monkeypatch.setattr(touched, "delta_only", spy)
    delta, full = _pair(tmp_path, day1, optouts)
    assert seen == [1]  # only the person who moved went through the plan
    _check(delta, full)
    run_dir = delta.exceptions_path.parent
    assert not (run_dir / "state.parquet").exists()
    state = pq.read_table(run_dir / touched.STATE_DELTA)
    assert sorted(state["__n"].to_pylist()) == [0, 0, 1]  # moved: old row gone, new row; left
    greenwich = delta.delivery("spl-e09000011")
    assert (greenwich.additions, greenwich.removals) == (1, 0)
    teesside = delta.delivery("spl-e06000002")
    assert pq.read_table(teesside.directory / "removals.parquet")["nhs_number"].to_pylist() == [
        NHS[1],
        NHS[4],
    ]


def test_a_new_opt_out_list_is_an_exact_delta_of_a_full_run(
    tmp_path: Path, monkeypatch: Any
) -> None:
    day1, _ = _fixed(tmp_path, [NHS[0]])
    base = _run(tmp_path / "delta", tmp_path / "d0.csv", DAY0, tmp_path / "ndoo.csv")
    shutil.copytree(tmp_path / "delta", tmp_path / "full")
    calls: list[object] = []
    monkeypatch.setattr(touched, "delta_only", lambda *a, **k: calls.append(a))
    optouts = _optouts(tmp_path / "ndoo2.csv", [NHS[0], NHS[2]])
    delta = _run(tmp_path / "delta", day1, DAY1, optouts, previous=base.run_id)
    full = _run(tmp_path / "full", day1, DAY1, optouts)
    assert calls == []
    _check(delta, full)
    cambs = delta.delivery("spl-e10000003")
    assert pq.read_table(cambs.directory / "removals.parquet")["nhs_number"].to_pylist() == [NHS[2]]


def test_a_new_agreement_version_falls_back_to_a_full_delivery(tmp_path: Path) -> None:
    day1, optouts = _fixed(tmp_path, [])
    base = _run(tmp_path / "out", tmp_path / "d0.csv", DAY0, optouts)
    again = _run(
        tmp_path / "out", day1, DAY1, optouts, previous=base.run_id, agreement=_agreement("1.1.0")
    )
    assert again.delivery_mode == "full"
    assert again.delivery_note is not None and "agreement version" in again.delivery_note
    assert all("extract.parquet" in d.files for d in again.deliveries)


def test_a_delta_against_a_delta_and_a_rerun(tmp_path: Path) -> None:
    day1, optouts = _fixed(tmp_path, [])
    out = tmp_path / "out"
    day0 = _run(out, tmp_path / "d0.csv", DAY0, optouts)
    one = _run(out, day1, DAY1, optouts, previous=day0.run_id)
    rows = [{**r, "phone": "2"} for r in _rows(tmp_path / "d1.csv")]
    day2 = _csv(tmp_path / "d2.csv", rows)
    two = _run(out, day2, DAY1, optouts, previous=one.run_id)
    full = _run(tmp_path / "full", day2, DAY1, optouts)
    for d in two.deliveries:
        expected = pq.read_table(full.delivery(d.flow_id).directory / "extract.parquet")
        got = dm.reconstruct(d.directory.parent, two.run_id)
        assert got.equals(dm.canonical(expected, "nhs_number"))
        assert d.additions == d.rows  # everyone's phone changed
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rerun = _run(out, day2, DAY1, optouts, previous=one.run_id)
    assert rerun.rerun and rerun.run_id == two.run_id
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_delivery_mode_is_checked(tmp_path: Path) -> None:
    day1, optouts = _fixed(tmp_path, [])
    with pytest.raises(Exception, match="delivery mode"):
        _run(tmp_path / "out", day1, DAY1, optouts, delivery="partial")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_run_against_a_previous_one_delivers_whole_extracts_unless_asked(
    tmp_path: Path,
) -> None:
    day1, optouts = _fixed(tmp_path, [])
    folder = tmp_path
    base = _run(folder / "out", folder / "d0.csv", DAY0, optouts)
    plain = run_agreement(
        _agreement(),
        status="active",
        source=day1,
        out_dir=folder / "out",
        secret=SECRET,
        geography=POSTCODES,
        now=DAY1,
        opt_out_lists={"ndoo": optouts},
        previous=base.run_id,
    )
    assert plain.delivery_mode == "full"
    assert all((d.directory / "extract.parquet").is_file() for d in plain.deliveries)
