"""S1 benchmark: the shielded patient list to every upper-tier authority (rules.md S1, S16).

Generates the workload with :mod:`accord.synth` (cached in ``--work``), then times, each in its
own process so peak memory (``ru_maxrss``) belongs to one measurement:

(a) ``accord``: the full enforced run (``run_agreement``, DuckDB backend): validation, NDOO
    removal, routing to 153 authorities, projection, extracts, manifests, atomic publication;
(d) ``delta``: the next day's population (about 1% of people added, removed or moved) against
    a copy of (a)'s deliveries, as a delta-only delivery (``previous=`` (a)'s run): only new or
    changed rows go through the plan, each recipient gets additions and removals only, the
    state is written as a state delta;
(d') ``dayfull``: the same day-1 run as a full delivery (full extracts plus additions/removals
    per recipient; the deltas from the state's content hashes), for comparison;
(d'') ``rediff``: (d') with ``incremental=False``: the deltas by diffing whole extracts against
    the bases, the path of the Spark engine and of any run whose fingerprint changed;
(d0) ``floor``: the least any delta over a snapshot must do (:func:`s1_baselines.snapshot_floor`:
    read day 1, hash every row, match the hashes against (a)'s state), as a share of (a);
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

Every variant reports wall seconds and CPU seconds (user plus system of every thread, from
``resource.getrusage``; for Spark plus the JVM's, from ``/proc``) over the same span, and its
peak resident memory. On a shared machine CPU seconds are the steadier figure: wall time also
counts the time the process waited for a core.

Targets (issue 16): (a) <= 1.5 x (b) in CPU and in wall seconds; (c) >= 10 x (a); (d) <= 15% of
(a); peak memory of (a) <= 1 GB at 2.2M rows and <= 2 GB at 22M rows; (f) <= 3 x (a). Figures
are printed, never asserted. Each variant runs ``--repeat`` times, interleaved; medians are
reported with the load average. The 22M-row check of (a) alone::

    .venv/bin/python benchmarks/s1.py --rows 22000000 --only accord --repeat 1

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
from typing import Any

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
    elif kind in {"delta", "dayfull", "rediff"}:  # each repeat builds on a fresh copy of (a)'s
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
    marks: dict[str, tuple[float, float]] = {}

    def tick(stage: str, done: int, total: int) -> None:
        now = (time.perf_counter(), _cpu())
        marks.setdefault(f"{stage}:{done}", now)
        marks[f"{stage}:last"] = now

    start = time.perf_counter()
    start_cpu = _cpu()
    if kind in {"accord", "delta", "dayfull", "rediff", "aggregate", "spark"}:
        now = on if kind in {"accord", "aggregate", "spark"} else s1_workload.NEXT_DAY
        source = w.day0 if kind in {"accord", "aggregate", "spark"} else w.day1
        backend: object = "duckdb"
        if kind == "spark":
            from accord.engine.backends.spark import SparkBackend, session

            settings = {"spark.driver.memory": "2g"}  # the engine's local-mode defaults otherwise
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
            start_cpu = _cpu()
            jvm_start = _jvm_cpu()
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
            incremental=kind != "rediff",
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
            **_stages(marks, start, start_cpu),
            **detail,
        }
    elif kind == "bare":
        target = work / "bare-out"
        shutil.rmtree(target, ignore_errors=True)
        table = geography.postcode_table(on.date())
        detail = {"files": s1_baselines.bare_duckdb(w.day0, table, w.ndoo, target)}
    elif kind == "floor":
        state = next((out / "runs").glob("*/*/state.parquet"))
        fields = [f.name for f in _plan(agreement, on).source.fields]
        detail = {"changed": s1_baselines.snapshot_floor(w.day1, state, fields)}
    elif kind == "pandas":
        target = work / "pandas-out"
        shutil.rmtree(target, ignore_errors=True)
        table = geography.postcode_table(on.date())
        detail = {"files": s1_baselines.pandas_governance(w.day0, table, w.ndoo, target, on.date())}
    seconds = time.perf_counter() - start
    cpu = _cpu() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "spark":
        detail["jvm_peak_mb"] = round(_jvm_peak_mb(), 1)
        detail["jvm_cpu"] = round(_jvm_cpu() - jvm_start, 3)
        cpu += detail["jvm_cpu"]
    return {"seconds": round(seconds, 3), "cpu": round(cpu, 3), "peak_mb": round(peak, 1), **detail}


def _plan(agreement: object, on: object) -> Any:
    from accord.engine import compile_plan

    return compile_plan(agreement, effective_date=on.date())  # type: ignore[arg-type, attr-defined]


def _cpu() -> float:
    """CPU seconds of this process so far, every thread, user plus system; with the children
    that have ended (none of the variants starts one, except Spark's JVM: see ``_jvm_cpu``)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _stages(
    marks: dict[str, tuple[float, float]], start: float, start_cpu: float
) -> dict[str, float]:
    """Wall and CPU seconds per stage from the progress ticks (see the module docstring)."""
    points = [
        ("setup", marks.get("check:1")),
        ("intake", marks.get("deliver:0")),
        ("extracts", marks.get("deliver:last")),
        ("deltas", marks.get("publish:1")),
        ("publish", (time.perf_counter(), _cpu())),
    ]
    out: dict[str, float] = {}
    last, last_cpu = start, start_cpu
    for name, at in points:
        if at is None:
            continue
        out[f"stage_{name}"] = round(at[0] - last, 3)
        out[f"cpu_{name}"] = round(at[1] - last_cpu, 3)
        last, last_cpu = at
    return out


def _jvm_pid() -> int:
    from accord.engine.backends.spark import session

    jvm = session().sparkContext._jvm  # type: ignore[attr-defined]
    return int(jvm.java.lang.ProcessHandle.current().pid())


def _jvm_peak_mb() -> float:
    """The Spark JVM's peak resident memory (VmHWM of the driver's java process)."""
    for line in Path(f"/proc/{_jvm_pid()}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _jvm_cpu() -> float:
    """CPU seconds (user plus system, every thread) the Spark JVM has used so far: it is a
    child that has not ended, so ``RUSAGE_CHILDREN`` does not hold it."""
    fields = Path(f"/proc/{_jvm_pid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:  # say why, not only that the child failed
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{kind}: the measurement failed (exit status {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


KINDS = ("accord", "delta", "floor", "dayfull", "rediff", "aggregate", "bare", "pandas", "spark")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--postcodes", type=int, default=1_300_000)
    parser.add_argument("--work", type=Path, default=Path(".s1-work"))
    parser.add_argument("--measure", choices=KINDS)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="delta, floor, dayfull, rediff, aggregate, bare, pandas or spark",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only these variants (e.g. --only accord with --rows 22000000 --repeat 1)",
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
        f"in {time.perf_counter() - t:.1f} s; load average {_load()}",
        flush=True,
    )
    skip = {k for v in args.skip for k in v.split(",")}
    only = {k for v in args.only for k in v.split(",")}
    unknown = (skip | only) - set(KINDS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))} (one of {', '.join(KINDS)})")
    kinds = [k for k in KINDS if k not in skip and (not only or k in only)]
    loads: list[float] = []
    for _ in range(args.repeat):  # interleaved, so machine load falls on every variant alike
        for kind in kinds:
            one = child(kind, args)
            runs.setdefault(kind, []).append(one)
            loads.append(os.getloadavg()[0])
            print(f"{kind:>9}: {json.dumps(one)}  load {loads[-1]:.2f}", flush=True)
    report(runs, args, loads)


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def report(
    runs: dict[str, list[dict[str, float]]], args: argparse.Namespace, loads: list[float]
) -> None:
    """Medians of every figure (wall and CPU seconds, each stage) and the ratios of issue 16."""
    med: dict[str, dict[str, float]] = {}
    for kind, many in runs.items():
        keys = [k for k, v in many[0].items() if isinstance(v, int | float)]
        med[kind] = {k: statistics.median(r.get(k, 0) for r in many) for k in keys}
        med[kind]["peak_mb"] = max(r["peak_mb"] for r in many)
    print()
    print(
        f"{args.rows:,} rows; medians of {args.repeat} interleaved runs; 1-min load average "
        f"{min(loads):.2f}-{max(loads):.2f} during the runs, now {_load()}"
    )
    print(f"{'':34}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
    names = {
        "accord": "(a) accord full enforced run",
        "bare": "(b) bare DuckDB join + copy",
        "pandas": "(c) pandas, same governance",
        "delta": "(d) 1% delta-only delivery",
        "floor": "(d0) floor of any snapshot delta",
        "dayfull": "(d') day 1 as a full delivery",
        "rediff": "(d'') (d'), whole extracts diffed",
        "aggregate": "(e) counts by age band x LSOA",
        "spark": "(f) Spark local[2], warm",
    }
    for kind, name in names.items():
        if kind in med:
            m = med[kind]
            print(f"{name:34}{m['seconds']:9.2f}{m['cpu']:9.2f}{m['peak_mb']:9.0f}")
            split = [k[6:] for k in m if k.startswith("stage_")]
            if split:
                print(
                    "    by stage (wall / CPU s):    "
                    + ", ".join(f"{k} {m['stage_' + k]:.2f}/{m['cpu_' + k]:.2f}" for k in split)
                )
    if "spark" in med:
        s = med["spark"]
        print(
            f"    Spark: JVM peak {s.get('jvm_peak_mb', 0):.0f} MB, JVM CPU "
            f"{s.get('jvm_cpu', 0):.1f} s (in its CPU figure), "
            f"cold run {s.get('cold_seconds', 0):.1f} s"
        )
    if "accord" not in med:
        return
    a = med["accord"]
    print()

    def ratio(label: str, top: dict[str, float], bottom: dict[str, float], target: str) -> None:
        print(
            f"{label:18} {top['seconds'] / bottom['seconds']:6.2f}x wall "
            f"{top['cpu'] / bottom['cpu']:6.2f}x CPU   (target {target})"
        )

    if "bare" in med:
        ratio("(a)/(b)", a, med["bare"], "<= 1.5x in both")
    if "pandas" in med:
        ratio("(c)/(a)", med["pandas"], a, ">= 10x")
    if "delta" in med:
        d = med["delta"]
        print(
            f"{'(d)/(a)':18} {d['seconds'] / a['seconds']:6.0%}  wall "
            f"{d['cpu'] / a['cpu']:6.0%}  CPU   (target <= 15%)"
        )
    if "floor" in med:
        f = med["floor"]
        print(
            f"{'(d0)/(a)':18} {f['seconds'] / a['seconds']:6.0%}  wall "
            f"{f['cpu'] / a['cpu']:6.0%}  CPU   (reading and hashing the snapshot alone)"
        )
    if "dayfull" in med:
        ratio("(d')/(a)", med["dayfull"], a, "none")
    if "rediff" in med:
        ratio("(d'')/(a)", med["rediff"], a, "none")
    if "aggregate" in med:
        ratio("(e)/(a)", med["aggregate"], a, "none")
    if "spark" in med:
        ratio("(f)/(a)", med["spark"], a, "<= 3x")
    bound = "1 GB" if args.rows <= 2_200_000 else "2 GB"
    print(f"peak RSS of (a) {a['peak_mb']:.0f} MB at {args.rows:,} rows (target <= {bound})")


if __name__ == "__main__":
    main()
