"""Primary and secondary suppression, then rounding, of a table of counts by any number of fields.

An n-way table (counts by area, age band and sex, say) with its totals publishes every marginal
table too: for each field, the cells summed over its categories (the table by area and age band
over both sexes), and so on down to the grand total. Index each field's categories ``0..n-1``
and its total ``n``; every value of the table is then one point of the extended grid, and each
*line* (all the points that differ only in one field, its total last) is a relation: the cells
sum to their total. The steps are those of :mod:`accord.disclosure.tables`:

1. **Primary suppression** of every disclosive value (totals too, for ``from_true`` totals).
2. **Secondary suppression** (``from_true`` totals): while some line has exactly one withheld
   value, withhold its smallest published cell; then, while
   :func:`accord.disclosure.linear.determined` finds a withheld value that the relations pin
   down, withhold one more cell of a line through it.
3. **Rounding** after suppression; ``from_published`` totals are the rounded sum of the
   published cells they cover, marked partial where one is withheld.

In two dimensions the withheld values that the totals determine are the bridges of a graph
(:func:`accord.disclosure.tables.recoverable`, linear time); from three on there is no such
shortcut, so the exact elimination decides.

>>> from accord.disclosure.profiles import custom
>>> counts = {("a", "x", "f"): 3, ("a", "x", "m"): 20, ("a", "y", "f"): 25, ("a", "y", "m"): 30,
...           ("b", "x", "f"): 40, ("b", "x", "m"): 45, ("b", "y", "f"): 50, ("b", "y", "m"): 55}
>>> t = protect_cube(counts, [("a", "b"), ("x", "y"), ("f", "m")], custom(suppress_at_or_below=5))
>>> t.value(("a", "x", "f")) is None, len(t.report) >= 4
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from accord.disclosure.linear import determined
from accord.disclosure.profiles import Profile
from accord.disclosure.tables import TOTAL, secondary
from accord.errors import InputError, Problem

Point = tuple[int, ...]  # one index per field; a field's total is index len(its categories)
Labels = tuple[str | None, ...]  # one category per field; None = that field's total

MAX_FIELDS = 4
"""The most fields an n-way table counts by (the extended grid grows as the product)."""


@dataclass(frozen=True)
class CellSuppression:
    """One withheld value of an n-way table: its labels ("Total" for a field's total)."""

    labels: tuple[str, ...]
    kind: str  # "primary" or "secondary"
    rule: str
    advice: str


@dataclass(frozen=True)
class ProtectedCube:
    """What may be published: every point of the extended grid, ``None`` where withheld."""

    profile: str
    categories: tuple[tuple[str, ...], ...]
    totals: bool
    values: tuple[tuple[Labels, int | None], ...]  # in grid order, totals after categories
    partial: frozenset[Labels]
    report: tuple[CellSuppression, ...]

    def value(self, labels: Labels) -> int | None:
        return dict(self.values)[labels]

    @property
    def suppressed(self) -> frozenset[Labels]:
        return frozenset(k for k, v in self.values if v is None)


def grid(sizes: Sequence[int], totals: bool) -> list[Point]:
    """Every point of the extended grid, in order (a field's total after its categories)."""
    return list(product(*(range(n + 1 if totals else n) for n in sizes)))


def relations(sizes: Sequence[int], totals: bool) -> list[list[Point]]:
    """The lines of the extended grid: the cells that differ in one field, their total last."""
    if not totals:
        return []
    out: list[list[Point]] = []
    for point in grid(sizes, totals):
        for d, n in enumerate(sizes):
            if point[d] == n:
                out.append([(*point[:d], i, *point[d + 1 :]) for i in range(n)] + [point])
    return out


def coefficients(line: Sequence[Point]) -> dict[Point, int]:
    """A line as a linear relation: its cells count +1, its total -1."""
    return {**{k: 1 for k in line[:-1]}, line[-1]: -1}


def determined_points(sizes: Sequence[int], totals: bool, hidden: frozenset[Point]) -> set[Point]:
    """The withheld points that the published points and the totals determine exactly."""
    return determined([coefficients(line) for line in relations(sizes, totals)], hidden)


def protect_cube(
    counts: Mapping[tuple[str, ...], int],
    categories: Sequence[Sequence[str]],
    profile: Profile,
    *,
    totals: bool = True,
) -> ProtectedCube:
    """``counts`` (by one category of each field; absent combinations count 0) made safe to
    publish under ``profile`` with every marginal table when ``totals``."""
    cats = tuple(tuple(c) for c in categories)
    sizes = [len(c) for c in cats]
    if not 1 <= len(cats) <= MAX_FIELDS or 0 in sizes:
        raise InputError(
            f"an n-way table counts by 1 to {MAX_FIELDS} fields, each with a category",
            [Problem("table", f"{len(cats)} fields")],
        )
    index = [{c: i for i, c in enumerate(cs)} for cs in cats]
    interior: dict[Point, int] = {p: 0 for p in product(*(range(n) for n in sizes))}
    for labels, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or len(labels) != len(cats):
            raise InputError("a table holds whole non-negative counts", [Problem("table", "bad")])
        try:
            interior[tuple(index[d][c] for d, c in enumerate(labels))] += v
        except KeyError:
            raise InputError(
                "a count names a category the table does not list", [Problem("table", "labels")]
            ) from None
    points = grid(sizes, totals)
    true = _sums(interior, sizes, points)
    margins_true = profile.totals == "from_true"
    controlled = set(points) if margins_true else set(interior)
    hidden: set[Point] = {p for p in controlled if profile.disclosive(true[p])}
    why: dict[Point, tuple[str, Point | None]] = {p: ("primary", None) for p in hidden}
    if margins_true and totals:
        lines = relations(sizes, totals)
        secondary(
            lines,
            lambda h: determined_points(sizes, totals, h),
            true,
            hidden,
            why,
            set(interior),
        )
    published: dict[Point, int | None] = {}
    partial: set[Labels] = set()
    for p in points:
        if p in hidden:
            published[p] = None
        elif margins_true or p in interior:
            published[p] = profile.rounded(true[p])
        else:  # a total of the published cells it covers, partial where one is withheld
            covered = [q for q in interior if _covers(p, q, sizes)]
            shown = [true[q] for q in covered if q not in hidden]
            published[p] = profile.rounded(sum(shown)) if shown else None
            if len(shown) < len(covered):
                partial.add(_labels(p, cats))

    def rule(p: Point) -> str:
        kind, protects = why[p]
        if protects is None:
            return profile.rule()
        named = " x ".join(_text(_labels(protects, cats)))
        return f"secondary: withheld so that {named} cannot be worked out from the totals"

    report = tuple(
        CellSuppression(_text(_labels(p, cats)), why[p][0], rule(p), _advice(p, sizes))
        for p in sorted(hidden)
    )
    return ProtectedCube(
        profile.id,
        cats,
        totals,
        tuple((_labels(p, cats), published[p]) for p in points),
        frozenset(partial),
        report,
    )


def _sums(
    interior: dict[Point, int], sizes: Sequence[int], points: list[Point]
) -> dict[Point, int]:
    """The true value of every point: a cell's count, a total's sum of the cells it covers."""
    out = {p: 0 for p in points}
    for q, v in interior.items():
        if not v:
            continue
        for mask in product((False, True), repeat=len(sizes)):
            p = tuple(sizes[d] if mask[d] else q[d] for d in range(len(sizes)))
            if p in out:
                out[p] += v
    return out


def _covers(total: Point, cell: Point, sizes: Sequence[int]) -> bool:
    return all(t == sizes[d] or t == c for d, (t, c) in enumerate(zip(total, cell, strict=True)))


def _labels(p: Point, cats: tuple[tuple[str, ...], ...]) -> Labels:
    return tuple(None if i == len(cats[d]) else cats[d][i] for d, i in enumerate(p))


def _text(labels: Labels) -> tuple[str, ...]:
    return tuple(TOTAL if x is None else x for x in labels)


def _advice(p: Point, sizes: Sequence[int]) -> str:
    if any(i == n for i, n in zip(p, sizes, strict=True)):
        return "a total describes too few people: merge its categories with a neighbour's"
    return (
        "count by fewer fields, or combine a category with a neighbour (coarser bands, a wider "
        "area or a longer period) so that each cell counts more people"
    )
