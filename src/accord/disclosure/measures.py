"""Measures beside the counts: sums and means of a numeric field, rates with a denominator.

Each cell (and each total) of an aggregate table can carry measures of the people it counts:
the ``sum`` or ``mean`` of a numeric field, or the ``rate`` per 100, 1,000 or 100,000 of a
yes/no field (the people for whom it is true, over the people counted). A measure is withheld
(``None``), with its reason, where:

- its **count is withheld**: a measure of a suppressed cell would describe those few people;
- a sum or mean rests on too few values (the profile's threshold: NHS secondary care shows
  means only from 8 or more values, ACRO from 10);
- a **dominance** rule of the profile holds, for sums and means (ACRO's defaults): the *n-k*
  rule (the largest ``n`` contributors make up more than ``k`` of the sum) or the *p%* rule
  (the sum less its two largest contributors is within ``p`` of the largest, so the second
  largest contributor could estimate the largest too closely);
- a rate's numerator, or its complement (the people for whom it is false), is disclosive: a
  rate of 0% or 100% of a cell, or one a few people away from it, tells something about every
  one of them;
- a total covers a cell whose measure is withheld (a total's sum less the published sums would
  give the withheld one away, so no published total of a measure leaves any cell out).

Rates are computed from the rounded numerator and the rounded count (as NHS secondary care
computes percentages from rounded numbers), then given to one decimal place; means to two.

>>> from accord.disclosure.profiles import profile
>>> acro = profile("acro")
>>> dominated(Stats(count=12, values=12, total=1000.0, top=(950.0, 10.0)), acro)
'dominance: the 2 largest make up more than 90% of the sum'
>>> value("rate", Stats(count=40, numerator=10), acro, per=1000)
(250.0, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from heapq import nlargest
from itertools import product
from typing import Literal

from accord.disclosure.profiles import Profile

Kind = Literal["sum", "mean", "rate"]
TOP = 2  # the largest contributors kept per cell: both dominance rules need two at most


@dataclass(frozen=True)
class Stats:
    """What a cell's measures are computed from (never published as such)."""

    count: int
    values: int = 0  # non-missing values of the field
    total: float = 0.0  # their sum
    top: tuple[float, ...] = field(default=())  # the largest values, largest first
    numerator: int = 0  # for a rate: the people for whom the field is true

    def __add__(self, other: Stats) -> Stats:
        return Stats(
            self.count + other.count,
            self.values + other.values,
            self.total + other.total,
            tuple(nlargest(TOP, self.top + other.top)),
            self.numerator + other.numerator,
        )


def dominated(s: Stats, p: Profile) -> str | None:
    """The dominance rule of ``p`` that ``s``'s sum breaks, in words, or None."""
    if s.total <= 0 or not s.top:
        return None
    if p.dominance_n is not None and p.dominance_k is not None:
        if sum(s.top[: p.dominance_n]) > p.dominance_k * s.total:
            return (
                f"dominance: the {p.dominance_n} largest make up more than "
                f"{p.dominance_k:.0%} of the sum"
            )
    if p.p_percent is not None and len(s.top) >= 1:
        rest = s.total - sum(s.top[:2])
        if rest < p.p_percent * s.top[0]:
            return (
                f"p% rule: the sum less its two largest is within {p.p_percent:.0%} of the largest"
            )
    return None


def value(
    kind: Kind, s: Stats, p: Profile, *, per: int | None = None, count_withheld: bool = False
) -> tuple[float | None, str | None]:
    """The published measure of one cell, or ``(None, why)`` where it is withheld."""
    if count_withheld:
        return None, "its count is withheld"
    if kind == "rate":
        if per is None:
            raise ValueError("a rate needs its 'per'")
        if p.disclosive(s.numerator) or 0 < s.count - s.numerator <= p.suppress_at_or_below:
            return None, "the rate describes too few people (or nearly everyone counted)"
        denominator = p.rounded(s.count)
        if denominator == 0:
            return None, "no one is counted"
        return round(p.rounded(s.numerator) * per / denominator, 1), None
    if s.values == 0 or s.values <= p.suppress_at_or_below:
        return None, f"the {kind} rests on too few values"
    rule = dominated(s, p)
    if rule is not None:
        return None, rule
    return (s.total if kind == "sum" else round(s.total / s.values, 2)), None


def publish(
    kind: Kind,
    cells: Mapping[tuple[str | None, ...], Stats],
    rows: Sequence[tuple[tuple[str | None, ...], bool]],
    p: Profile,
    *,
    per: int | None = None,
) -> list[tuple[float | None, str | None]]:
    """The measure of each of ``rows`` (its labels, ``None`` where it is a total over that
    field, and whether its count is withheld), from the ``cells``' statistics: a total's are
    its cells' together, and a total covering a withheld measure is withheld too."""
    by_cell = {labels: withheld for labels, withheld in rows if None not in labels}
    merged: dict[tuple[str | None, ...], Stats] = {}
    hides: dict[tuple[str | None, ...], bool] = {}
    for labels in set(cells) | set(by_cell):
        s = cells.get(labels, Stats(0))
        hidden = value(kind, s, p, per=per, count_withheld=by_cell.get(labels, False))[0] is None
        for mask in product((False, True), repeat=len(labels)):
            key = tuple(None if m else x for m, x in zip(mask, labels, strict=True))
            merged[key] = merged[key] + s if key in merged else s
            hides[key] = hides.get(key, False) or hidden
    out: list[tuple[float | None, str | None]] = []
    for labels, withheld in rows:
        s = merged.get(labels, Stats(0))
        v, why = value(kind, s, p, per=per, count_withheld=withheld)
        if v is not None and None in labels and hides.get(labels, False):
            v, why = None, "the total covers a withheld one"
        out.append((v, why))
    return out
