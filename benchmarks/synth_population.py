"""Benchmark: write the S1-scale synthetic population and report rows/s and peak memory.

Writes a 1.3M-postcode directory, a 2.2M-person population, both opt-out lists and one daily
delta into a temporary folder (or --out), and prints the time and rate of each stage and the
process's peak resident memory. Run::

    python benchmarks/synth_population.py [--rows 2200000] [--postcodes 1300000] [--fmt parquet]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa

from accord.synth import (
    SynthSummary,
    write_delta,
    write_opt_outs,
    write_population,
    write_postcode_directory,
)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage(name: str, rows_hint: int, run: Callable[[], SynthSummary]) -> SynthSummary:
    start = time.perf_counter()
    summary = run()
    seconds = time.perf_counter() - start
    size = summary.path.stat().st_size / 2**20
    print(
        f"{name:<22} {summary.rows:>10,} rows  {seconds:7.2f} s  "
        f"{rows_hint / seconds:>12,.0f} rows/s  {size:8.1f} MiB  "
        f"peak RSS so far {_peak_rss_mib():7.1f} MiB"
    )
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--postcodes", type=int, default=1_300_000)
    parser.add_argument("--fmt", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        ext = "." + args.fmt
        directory = folder / f"postcodes{ext}"
        people = folder / f"people{ext}"
        print(f"pyarrow {pa.__version__}, memory pool {pa.default_memory_pool().backend_name}")
        _stage(
            "postcode directory",
            args.postcodes,
            lambda: write_postcode_directory(
                directory, postcodes=args.postcodes, seed=args.seed, fmt=args.fmt
            ),
        )
        population = _stage(
            "population (day 0)",
            args.rows,
            lambda: write_population(
                people, rows=args.rows, seed=args.seed, postcode_directory=directory, fmt=args.fmt
            ),
        )
        population_rss = _peak_rss_mib()
        for kind in ("ndoo", "type1"):
            _stage(
                f"opt-outs ({kind})",
                args.rows,
                lambda kind=kind: write_opt_outs(
                    folder / f"{kind}{ext}",
                    population=people,
                    share=0.03,
                    seed=args.seed,
                    kind=kind,
                    version=f"{kind}-bench",
                    list_date=date(2020, 4, 1),
                    fmt=args.fmt,
                ),
            )
        _stage(
            "population (day 1)",
            args.rows,
            lambda: write_delta(
                folder / f"people.day1{ext}",
                rows=args.rows,
                seed=args.seed,
                day=1,
                postcode_directory=directory,
                fmt=args.fmt,
            ),
        )
        print(f"population counts: {dict(population.counts)}")
        print(f"peak RSS after the population stage: {population_rss:.1f} MiB")
        print(
            f"peak RSS overall: {_peak_rss_mib():.1f} MiB; "
            f"Arrow pool peak {pa.default_memory_pool().max_memory() / 2**20:.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
