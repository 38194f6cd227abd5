"""An incremental run is the same bytes as a full run on the same inputs (hypothesis).

Day 0 runs in full; then the same folder is copied, and day 1 (random additions, removals,
moves between authorities, edits that make a row invalid, duplicated rows) runs once on the
incremental path and once with ``incremental=False``. Every file under the output folder
(extracts, additions, removals, manifests, exceptions, state, run record) must match. A changed
opt-out list or agreement version must fall back to a full run and still match.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine import RunResult, run_agreement, touched
from accord.engine.incremental import uses_date
from accord.model import Agreement, example_document


def _run(out: Path, source: Path, now: datetime, optouts: Path, **kw: Any) -> RunResult:
    params: dict[str, Any] = {"agreement": _agreement()}
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


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _twice(
    folder: Path, day1: Path, optouts: Path, **kw: Any
) -> tuple[RunResult, RunResult, Path, Path]:
    fast, full = folder / "fast", folder / "full"
    shutil.copytree(fast, full)
    a = _run(fast, day1, DAY1, optouts, **kw)
    b = _run(full, day1, DAY1, optouts, incremental=False, **kw)
    return a, b, fast, full


@settings(
    derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(pair=days(), opted=st.lists(st.sampled_from(NHS), unique=True, max_size=2))
def test_incremental_run_is_byte_identical_to_a_full_run(
    pair: tuple[list[dict[str, str]], list[dict[str, str]]], opted: list[str]
) -> None:
    day0, day1 = pair
    folder = Path(tempfile.mkdtemp(prefix="accord-inc-"))
    try:
        optouts = _optouts(folder / "ndoo.csv", opted)
        _run(folder / "fast", _csv(folder / "d0.csv", day0), DAY0, optouts)
        a, b, fast, full = _twice(folder, _csv(folder / "d1.csv", day1), optouts)
        assert a.run_id == b.run_id
        assert _tree(fast) == _tree(full)
        assert (a.input_rows, a.delivered_rows, a.opted_out_rows) == (
            b.input_rows,
            b.delivered_rows,
            b.opted_out_rows,
        )
    finally:
        shutil.rmtree(folder)


def _day0(folder: Path) -> tuple[Path, Path]:
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
    optouts = _optouts(folder / "ndoo.csv", [NHS[0]])
    _run(folder / "fast", _csv(folder / "d0.csv", rows), DAY0, optouts)
    moved = [rows[0], {**rows[1], "postcode": "SE10 9AA"}, *rows[2:]]
    return _csv(folder / "d1.csv", moved), optouts


def test_the_deltas_come_from_the_hashes_and_read_only_fresh_rows_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    day1, optouts = _day0(tmp_path)
    seen: list[int] = []
    real = touched.beside_full

    def spy(*args: Any, **kw: Any) -> touched.Changes | None:
        changes = real(*args, **kw)
        assert changes is not None
        seen.append(changes.fresh_rows)
        return changes

    monkeypatch.setattr(touched, "beside_full", spy)
    a, b, fast, full = _twice(tmp_path, day1, optouts)
    assert seen == [1]  # only the person who moved went through the plan a second time
    assert _tree(fast) == _tree(full)
    moved = a.delivery("spl-e09000011")
    assert pq.read_table(moved.directory / "additions.parquet")["nhs_number"].to_pylist() == [
        NHS[1]
    ]


def test_a_changed_opt_out_list_runs_in_full_and_removes_the_person(
    tmp_path: Path, monkeypatch: Any
) -> None:
    day1, _ = _day0(tmp_path)
    calls: list[object] = []
    monkeypatch.setattr(touched, "beside_full", lambda *a, **k: calls.append(a))
    optouts = _optouts(tmp_path / "ndoo2.csv", [NHS[0], NHS[2]])
    a, b, fast, full = _twice(tmp_path, day1, optouts)
    assert calls == []
    assert _tree(fast) == _tree(full)
    delivered = pq.read_table(a.delivery("spl-e10000003").directory / "extract.parquet")
    assert NHS[2] not in delivered["nhs_number"].to_pylist()


def test_a_new_agreement_version_runs_in_full(tmp_path: Path, monkeypatch: Any) -> None:
    day1, optouts = _day0(tmp_path)
    calls: list[object] = []
    monkeypatch.setattr(touched, "beside_full", lambda *a, **k: calls.append(a))
    a, b, fast, full = _twice(tmp_path, day1, optouts, agreement=_agreement("1.1.0"))
    assert calls == []
    assert a.agreement_version == "1.1.0"
    assert _tree(fast) == _tree(full)


def test_an_age_band_makes_the_run_date_part_of_the_fingerprint() -> None:
    doc = example_document()
    doc["flows"][0]["transforms"] = [{"op": "generalise", "field": "date_of_birth"}]
    from accord.engine import compile_plan

    dated = compile_plan(Agreement.model_validate(doc), effective_date=DAY0.date())
    plain = compile_plan(_agreement(), effective_date=DAY0.date())
    assert uses_date(dated) and not uses_date(plain)
