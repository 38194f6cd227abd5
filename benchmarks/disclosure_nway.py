"""Cost of n-way disclosure control and of the differencing check (issue 15).

For random tables of counts (seeded; a mix of small and large counts, so a share of cells is
suppressed) it times, each ``--repeat`` times, median reported:

- ``two_way``: :func:`accord.disclosure.protect` of an ``m x n`` table with its totals (the
  bridge-finding secondary suppression), the baseline;
- ``three_way``: :func:`accord.disclosure.protect_cube` of a table of the same number of cells
  by three fields, with every marginal table (exact rational elimination);
- ``differencing``: :func:`accord.disclosure.differencing.findings` of the three-way table
  against a released copy with one category of the first field fewer.

Figures are printed, never asserted; the ratio is against ``two_way`` in the same run.

    .venv/bin/python benchmarks/disclosure_nway.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from itertools import product
from typing import Any

from accord.disclosure import profile, protect, protect_cube
from accord.disclosure.differencing import Released, findings


def _median(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _counts(rng: random.Random, n: int) -> list[int]:
    return [rng.choice((rng.randint(0, 12), rng.randint(10, 200))) for _ in range(n)]


def _released(name: str, cube: Any, fields: tuple[str, ...]) -> Released:
    rows = [
        {**dict(zip(fields, labels, strict=True)), "count": v, "partial": labels in cube.partial}
        for labels, v in cube.values
    ]
    return Released.from_rows(name, fields, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    prof = profile("nhs_secondary_care")
    print(
        f"{'shape':>12} {'cells':>6} {'two_way s':>10} {'three_way s':>12} {'ratio':>7} "
        f"{'suppressed':>10} {'differencing s':>15} {'findings':>8}"
    )
    for a, b, c in ((4, 4, 3), (8, 5, 3), (12, 8, 3), (20, 10, 3), (30, 10, 4)):
        cells = a * b * c
        flat = _counts(rng, cells)
        grid = [flat[i * b * c : (i + 1) * b * c] for i in range(a)]
        rows = [f"r{i}" for i in range(a)]
        cols = [f"c{j}" for j in range(b * c)]
        two = _median(partial(protect, grid, prof, rows=rows, columns=cols), args.repeat)
        cats = [tuple(f"f{d}v{i}" for i in range(n)) for d, n in enumerate((a, b, c))]
        counts = dict(zip(product(*cats), flat, strict=True))
        three = _median(partial(protect_cube, counts, cats, prof), args.repeat)
        cube = protect_cube(counts, cats, prof)
        fewer = {k: v for k, v in counts.items() if k[0] != cats[0][-1]}
        smaller = protect_cube(fewer, [cats[0][:-1], cats[1], cats[2]], prof)
        fields = ("a", "b", "c")
        new, old = _released("new", smaller, fields), _released("old", cube, fields)
        diff = _median(partial(findings, new, [old]), args.repeat)
        found = len(findings(new, [old]))
        print(
            f"{f'{a}x{b}x{c}':>12} {cells:>6} {two:>10.4f} {three:>12.4f} {three / two:>7.1f} "
            f"{len(cube.report):>10} {diff:>15.4f} {found:>8}"
        )


if __name__ == "__main__":
    main()
