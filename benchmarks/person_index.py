"""Per-person index benchmark: its build cost in a full S1 run, and lookups at 22M index rows.

(a) the S1 full enforced run (:mod:`s1_workload`: 2.2M people, 153 upper-tier recipients, NDOO)
    without the per-person index, and (a') the same run with it (``person_key=``), interleaved,
    ``--repeat`` times each, each into a fresh output folder; the index share is
    ``(a') / (a) - 1``. (i) The index stage alone (:func:`accord.engine.persons.write_indexes`
    over (a')'s published state) is timed too, as a share of (a).
(l) lookups: ``--index-rows`` keyed hashes (default 22M) spread over ``--files`` delivery index
    files written by the engine's own writer, then :func:`accord.engine.persons.find` for a
    hash that is in one file and for one that is in none; the median of ``--lookups`` each.

Target (issue 14): (a')/(a) - 1 under 10%. Figures are printed, never asserted.

    .venv/bin/python benchmarks/person_index.py --work <tmp dir outside the repo>
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import s1_workload  # noqa: E402

KEY = b"benchmark-person-index-key-32byt"


def full_runs(work: Path, rows: int, postcodes: int, repeat: int) -> None:
    import pyarrow.parquet as pq

    from accord.engine import persons, run_agreement
    from accord.engine.backends.duckdb import DuckDBBackend
    from accord.engine.compile import compile_plan
    from accord.engine.delivery import Layout
    from accord.engine.sources import open_source
    from accord.refdata import Geography

    w = s1_workload.build(work, rows, postcodes)
    geography = Geography.load(w.directory)
    on = s1_workload.RUN_DAY
    agreement = s1_workload.agreement(s1_workload.upper_tier_codes(geography, on.date()))
    times: dict[str, list[float]] = {"plain": [], "indexed": [], "stage": []}
    for i in range(repeat):
        for kind in ("plain", "indexed") if i % 2 == 0 else ("indexed", "plain"):
            out = work / f"pi-out-{kind}"
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            result = run_agreement(
                agreement,
                status="active",
                source=w.day0,
                out_dir=out,
                secret=s1_workload.SECRET,
                geography=geography,
                now=on,
                opt_out_lists={"ndoo": w.ndoo},
                backend=DuckDBBackend(),
                person_key=KEY if kind == "indexed" else None,
            )
            times[kind].append(time.perf_counter() - start)
            if kind == "indexed":
                indexed = result
        # (i) the stage alone, over the indexed run's published state and delivery folders
        plan = compile_plan(agreement, effective_date=on.date(), read_person_key=True)
        layout = Layout(work / "pi-out-indexed", plan.agreement_id)
        state = layout.run_dir(indexed.run_id) / persons.STATE
        folders = {d.flow_id: d.directory for d in indexed.deliveries}
        for d in indexed.deliveries:
            (d.directory / persons.INDEX).unlink()
        start = time.perf_counter()
        persons.write_indexes(
            plan,
            open_source(w.day0),
            persons.routes_sql(plan, state.parent) or "",
            {persons.KEY_ID: KEY},
            folders,
        )
        times["stage"].append(time.perf_counter() - start)
    rows_indexed = sum(
        pq.read_metadata(d.directory / persons.INDEX).num_rows for d in indexed.deliveries
    )
    plain, with_index, stage = (statistics.median(times[k]) for k in ("plain", "indexed", "stage"))
    print(f"workload   {rows:,} rows, {len(indexed.deliveries)} recipients, repeat {repeat}")
    print(f"(a)  run without the index   {plain:7.2f} s   runs {_runs(times['plain'])}")
    print(f"(a') run with the index      {with_index:7.2f} s   runs {_runs(times['indexed'])}")
    print(f"(i)  index stage alone       {stage:7.2f} s   runs {_runs(times['stage'])}")
    print(f"     index rows written      {rows_indexed:,}")
    print(f"(a')/(a) - 1 = {100 * (with_index / plain - 1):.1f}%   (target < 10%)")
    print(f"(i)/(a)      = {100 * stage / plain:.1f}%")


def _runs(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def lookups(work: Path, index_rows: int, files: int, repeat: int) -> None:
    import duckdb

    from accord.engine import persons
    from accord.engine.extracts import write_extract

    root = work / "pi-index" / "deliveries"
    agreement = "urn:accord:agreement:bench"
    marker = root / ".complete"
    per = index_rows // files
    if not marker.is_file() or marker.read_text() != f"{index_rows}:{files}":
        shutil.rmtree(root, ignore_errors=True)
        con = duckdb.connect()
        for f in range(files):
            folder = root / "urn_accord_agreement_bench" / f"gss_{f:05d}" / f"flow-{f}" / "run1"
            folder.mkdir(parents=True)
            reader = con.sql(
                f"SELECT sha256(CAST(i AS VARCHAR)) AS person FROM range({f * per}, "
                f"{(f + 1) * per}) t(i) ORDER BY person"
            ).to_arrow_reader(1 << 17)
            write_extract(folder / persons.INDEX, reader, "parquet", dictionary=False)
        con.close()
        marker.write_text(f"{index_rows}:{files}")
    present = hashlib.sha256(str(index_rows // 2).encode()).hexdigest()
    absent = hashlib.sha256(b"nobody").hexdigest()
    for label, person in (("present", present), ("absent", absent)):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            found = persons.find(root, [agreement], person)
            times.append(time.perf_counter() - start)
        print(
            f"(l)  lookup, {label:7s} at {per * files:,} index rows in {files} files: "
            f"{statistics.median(times):.3f} s median of {repeat} (found in {len(found)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--postcodes", type=int, default=1_300_000)
    parser.add_argument("--index-rows", type=int, default=22_000_000)
    parser.add_argument("--files", type=int, default=153 * 10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(".s1-work"))
    parser.add_argument("--skip", action="append", default=[], choices=["runs", "lookups"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if "runs" not in args.skip:
        full_runs(args.work, args.rows, args.postcodes, args.repeat)
    if "lookups" not in args.skip:
        lookups(args.work, args.index_rows, args.files, args.lookups)


if __name__ == "__main__":
    main()
