"""S1 benchmark: the shielded patient list to every upper-tier authority (rules.md S1, S16).

Generates the workload with :mod:`accord.synth` (cached in ``--work``), then times, each in its
own process so peak memory (``ru_maxrss``) belongs to one measurement:

(a) ``accord``: the full enforced run (``run_agreement``, DuckDB backend): validation, NDOO
    removal, routing to 153 authorities, projection, extracts, manifests, atomic publication;
(d) ``delta``: the next day's population (about 1% of people added, removed or moved) against
    a copy of (a)'s deliveries, as a delta-only delivery (``previous=`` (a)'s run): only new or
    changed rows go through the plan, each recipient gets additions and removals only, the
    state is written as a state delta;
(d') ``dayfull``: the same day-1 run as a full delivery (incremental path, full extracts plus
    additions/removals per recipient), for comparison;
(e) ``aggregate``: (a) with every flow delivering counts by 10-year age band and LSOA through
    the aggregate stage (disclosure control under the NHS secondary care profile) instead of
    the list: the stage's cost as a share of (a);
(b) ``bare``: DuckDB join and partitioned copy of the same rows, no governance;
(c) ``pandas``: a straightforward pandas script doing the same governance;
(f) ``spark``: (a) on the Spark engine in local mode (``local[2]``; the JVM's peak memory is
    reported apart, as ``jvm_peak_mb``).

Each enforced run also reports how its time splits by stage, from the run's progress ticks
(engine-neutral): ``setup`` (compile, open and hash the source, run id), ``intake`` (read,
type, check, normalise, look postcodes up, flag opt-outs: until the exceptions are handed
over), ``extracts`` (route, project, transform, write every extract), ``deltas`` (deltas and
manifests), ``publish`` (renames, pointers, run record).

Targets (DESIGN.md): (a) <= 2 x (b); (c) >= 10 x (a); peak memory of (a) <= 1 GB at 2.2M rows and
<= 2 GB at 22M rows; (d) <= 20% of (a). Figures are printed, never asserted. Each variant runs
``--repeat`` times, interleaved; medians are reported with the load average.

    .venv/bin/python benchmarks/s1.py --rows 2200000 --postcodes 1300000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import s1_baselines  # noqa: E402
import s1_workload  # noqa: E402


def measure(kind: str, work: Path, rows: int, postcodes: int) -> dict[str, float]:
    from accord.engine import run_agreement
    from accord.refdata import Geography

    w = s1_workload.build(work, rows, postcodes)
    geography = Geography.load(w.directory)
    on = s1_workload.RUN_DAY
    codes = s1_workload.upper_tier_codes(geography, on.date())
    agreement = s1_workload.agreement(codes, counts=kind == "aggregate")
    out = work / f"out-{rows}"
    detail: dict[str, float] = {}
    if kind == "accord":
        shutil.rmtree(out, ignore_errors=True)
    elif kind == "aggregate":
        out = work / f"out-{rows}-aggregate"
        shutil.rmtree(out, ignore_errors=True)
    elif kind in {"delta", "dayfull"}:  # each repeat builds on a fresh copy of (a)'s output
        base, out = out, work / f"out-{rows}-{kind}"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(base, out)
    previous = None
    if kind == "delta":
        runs = out / "runs"
        previous = next(p for p in runs.iterdir()).joinpath("latest").read_text().strip()
    if kind == "spark":
        out = work / f"out-{rows}-spark"
        shutil.rmtree(out, ignore_errors=True)
    marks: dict[str, float] = {}

    def tick(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        marks.setdefault(f"{stage}:{done}", now)
        marks[f"{stage}:last"] = now

    start = time.perf_counter()
    if kind in {"accord", "delta", "dayfull", "aggregate", "spark"}:
        now = on if kind in {"accord", "aggregate", "spark"} else s1_workload.NEXT_DAY
        source = w.day0 if kind in {"accord", "aggregate", "spark"} else w.day1
        backend: object = "duckdb"
        if kind == "spark":
            from accord.engine.backends.spark import SparkBackend, session

            settings = {"spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "4"}
            session(settings)  # the JVM's start is not the run's time
            backend = SparkBackend(settings=settings)
            cold = time.perf_counter()
            run_agreement(  # a first run warms the JVM (classes, code generation) up
                agreement,
                status="active",
                source=source,
                out_dir=work / f"out-{rows}-spark-cold",
                secret=s1_workload.SECRET,
                geography=geography,
                now=now,
                opt_out_lists={"ndoo": w.ndoo},
                backend=backend,  # type: ignore[arg-type]
            )
            detail["cold_seconds"] = round(time.perf_counter() - cold, 3)
            shutil.rmtree(work / f"out-{rows}-spark-cold")
            start = time.perf_counter()
        result = run_agreement(
            agreement,
            status="active",
            source=source,
            out_dir=out,
            secret=s1_workload.SECRET,
            geography=geography,
            now=now,
            opt_out_lists={"ndoo": w.ndoo},
            previous=previous,
            delivery="delta" if kind == "delta" else None,
            backend=backend,  # type: ignore[arg-type]
            progress=tick,
        )
        detail = {
            "input": result.input_rows,
            "exceptions": result.exception_rows,
            "opted_out": result.opted_out_rows,
            "not_entitled": result.not_entitled_rows,
            "delivered": result.delivered_rows,
            "recipients": len(result.deliveries),
            "additions": sum(d.additions or 0 for d in result.deliveries),
            "removals": sum(d.removals or 0 for d in result.deliveries),
            "flagged": len(result.flagged),
            **_stages(marks, start),
            **detail,
        }
    elif kind == "bare":
        target = work / "bare-out"
        shutil.rmtree(target, ignore_errors=True)
        table = geography.postcode_table(on.date())
        detail = {"files": s1_baselines.bare_duckdb(w.day0, table, target)}
    elif kind == "pandas":
        target = work / "pandas-out"
        shutil.rmtree(target, ignore_errors=True)
        table = geography.postcode_table(on.date())
        detail = {"files": s1_baselines.pandas_governance(w.day0, table, w.ndoo, target, on.date())}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "spark":
        detail["jvm_peak_mb"] = round(_jvm_peak_mb(), 1)
    return {"seconds": round(seconds, 3), "peak_mb": round(peak, 1), **detail}


def _stages(marks: dict[str, float], start: float) -> dict[str, float]:
    """Seconds per stage from the progress ticks (see the module docstring)."""
    points = [
        ("setup", marks.get("check:1")),
        ("intake", marks.get("deliver:0")),
        ("extracts", marks.get("deliver:last")),
        ("deltas", marks.get("publish:1")),
        ("publish", time.perf_counter()),
    ]
    out: dict[str, float] = {}
    last = start
    for name, at in points:
        if at is None:
            continue
        out[f"stage_{name}"] = round(at - last, 3)
        last = at
    return out


def _jvm_peak_mb() -> float:
    """The Spark JVM's peak resident memory (VmHWM of the driver's java process)."""
    from accord.engine.backends.spark import session

    jvm = session().sparkContext._jvm  # type: ignore[attr-defined]
    pid = int(jvm.java.lang.ProcessHandle.current().pid())
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(kind: str, args: argparse.Namespace) -> dict[str, float]:
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--measure",
            kind,
            "--work",
            str(args.work),
            "--rows",
            str(args.rows),
            "--postcodes",
            str(args.postcodes),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--postcodes", type=int, default=1_300_000)
    parser.add_argument("--work", type=Path, default=Path(".s1-work"))
    parser.add_argument(
        "--measure",
        choices=["accord", "delta", "dayfull", "aggregate", "bare", "pandas", "spark"],
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="delta, dayfull, aggregate, bare, pandas or spark",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (median)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.work, args.rows, args.postcodes)))
        return

    runs: dict[str, list[dict[str, float]]] = {}
    t = time.perf_counter()
    s1_workload.build(args.work, args.rows, args.postcodes)
    print(
        f"workload ready ({args.rows:,} rows, {args.postcodes:,} postcodes) "
        f"in {time.perf_counter() - t:.1f} s"
    )
    results: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):  # interleaved, so machine load falls on every variant alike
        for kind in ("accord", "delta", "dayfull", "aggregate", "bare", "pandas", "spark"):
            if kind in args.skip:
                continue
            one = child(kind, args)
            runs.setdefault(kind, []).append(one)
            print(f"{kind:>7}: {json.dumps(one)}  load {os.getloadavg()[0]:.2f}", flush=True)
    for kind, many in runs.items():
        results[kind] = {
            **many[-1],
            "seconds": statistics.median(r["seconds"] for r in many),
            "peak_mb": max(r["peak_mb"] for r in many),
        }
    a = results["accord"]["seconds"]
    print()
    print(f"medians of {args.repeat} runs; load average now {os.getloadavg()}")
    print(f"(a) accord full enforced run   {a:8.2f} s  peak {results['accord']['peak_mb']:.0f} MB")
    split = {k[6:]: v for k, v in results["accord"].items() if k.startswith("stage_")}
    print(
        "    (a) by stage, last run:     " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items())
    )
    if "delta" in results:
        d = results["delta"]["seconds"]
        print(f"(d) accord 1% delta-only run   {d:8.2f} s  = {d / a:.0%} of (a)   (target <= 20%)")
    if "dayfull" in results:
        f = results["dayfull"]["seconds"]
        print(f"(d') day 1 as a full delivery  {f:8.2f} s  = {f / a:.0%} of (a)")
    if "aggregate" in results:
        g = results["aggregate"]["seconds"]
        print(f"(e) counts by age band x LSOA  {g:8.2f} s  = {g / a:.0%} of (a)")
    if "bare" in results:
        b = results["bare"]["seconds"]
        print(f"(b) bare DuckDB copy           {b:8.2f} s  (a)/(b) = {a / b:.2f}x   (target <= 2x)")
    if "pandas" in results:
        c = results["pandas"]["seconds"]
        print(f"(c) pandas governance          {c:8.2f} s  (c)/(a) = {c / a:.1f}x  (target >= 10x)")
    if "spark" in results:
        s = results["spark"]
        print(
            f"(f) Spark engine, local[2]     {s['seconds']:8.2f} s  "
            f"(f)/(a) = {s['seconds'] / a:.1f}x  (target <= 3x)  "
            f"JVM peak {s.get('jvm_peak_mb', 0):.0f} MB, cold run {s.get('cold_seconds', 0):.1f} s"
        )
        split = {k[6:]: v for k, v in s.items() if k.startswith("stage_")}
        print(
            "    (f) by stage, last run:     "
            + ", ".join(f"{k} {v:.2f} s" for k, v in split.items())
        )


if __name__ == "__main__":
    main()
