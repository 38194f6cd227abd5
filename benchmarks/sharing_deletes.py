"""Benchmark the change feed's delete rows for a delta applied by key: deriving them from the
previous extract the first time, and reading them back after.

    .venv/bin/python benchmarks/sharing_deletes.py --rows 1000000 --changed 0.01 --repeat 3

Writes a base extract of ``rows`` people (one row each, a tenth of them with two) and the
delta of a day on which ``changed`` of them were edited, removed or added
(:func:`accord.engine.delta.diff`), then prints the median time of:

- reading the base extract whole with pyarrow (the floor: a derivation reads it at least once);
- :func:`accord.service.sharing_deletes.derive` into an empty cache (a first change-feed query);
- the same call again (every later query and every range request under a link);

with the rows derived and the load average. Figures compare runs on one machine; tests never
assert them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accord.engine.delta import diff
from accord.engine.extracts import write_extract
from accord.engine.sources import file_sha256
from accord.service.sharing_deletes import Inputs, derive


def _people(rows: int, rng: np.random.Generator) -> pa.Table:
    keys = np.arange(rows)
    keys = np.concatenate([keys, keys[: rows // 10]])
    return pa.table(
        {
            "nhs_number": pa.array([f"{9_000_000_000 + k}" for k in keys]),
            "postcode": pa.array([f"SE{k % 97} {k % 9}AB" for k in keys]),
            "phone": pa.array([f"07700 9{k % 100_000:05d}" for k in keys]),
            "score": pa.array(rng.integers(0, 1000, len(keys))),
        }
    )


def _day(base: pa.Table, changed: float, rng: np.random.Generator) -> pa.Table:
    n = base.num_rows
    pick = rng.random(n)
    removed, edited = pick < changed / 3, (pick >= changed / 3) & (pick < 2 * changed / 3)
    score = np.where(edited, -1, base["score"].to_numpy())
    kept = base.set_column(3, "score", pa.array(score)).filter(pa.array(~removed))
    added = _people(int(n * changed / 3), rng).slice(0, int(n * changed / 3))
    fresh = pa.array([f"8{v.as_py()[1:]}" for v in added["nhs_number"]])
    return pa.concat_tables([kept, added.set_column(0, "nhs_number", fresh)])


def _median(fn: Callable[[], object], repeat: int, before: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = _people(args.rows, rng)
        delta = diff(_day(base, args.changed, rng), base, "nhs_number")
        paths = {}
        for name, table in (("base", base), ("adds", delta.additions), ("rems", delta.removals)):
            paths[name] = root / f"{name}.parquet"
            write_extract(paths[name], table.to_reader(), "parquet")
        inputs = Inputs(
            paths["base"], file_sha256(paths["base"]), paths["adds"],
            file_sha256(paths["adds"]), paths["rems"], file_sha256(paths["rems"]),
            "nhs_number", delta.replaced,
        )  # fmt: skip
        cache = root / "cache"

        def empty() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        floor = _median(lambda: pq.read_table(paths["base"]), args.repeat, lambda: None)
        first = _median(lambda: derive(cache, inputs), args.repeat, empty)
        again = _median(lambda: derive(cache, inputs), args.repeat, lambda: None)
        got = derive(cache, inputs)
    print(f"base rows {base.num_rows:,}; additions {delta.additions.num_rows:,}, removals "
          f"{delta.removals.num_rows:,}; delete rows derived {got.rows:,}")  # fmt: skip
    print(f"read the base extract (floor) {floor * 1000:8.1f} ms")
    print(f"derive, first query           {first * 1000:8.1f} ms  ({first / floor:.2f}x floor)")
    print(f"derive, cached                {again * 1000:8.3f} ms")
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
