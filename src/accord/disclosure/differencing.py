"""Differencing: whether a new table, beside tables already released, gives a withheld value away.

Each table is safe alone, but two tables of the same source share values: the same cell (the
same labels of the same fields) counts the same people in both, a total over the same
categories is the same number, and a total over every category of a field equals the table
that does not count by that field at all. So a cell withheld in one table may be published in
the other, and a total over one more area minus a total over one fewer gives that area away.

:func:`findings` puts the relations of all the tables together (each total is the sum of its
line, within each table, as in :mod:`accord.disclosure.cube`; shared values are one unknown)
and asks :func:`accord.disclosure.linear.determined` which values withheld everywhere they
appear the published values now pin down, that the earlier tables alone did not. A value is
keyed by its fixed labels and, for each field it is summed over, the set of categories summed,
so totals over different sets of areas stay apart. The check is structural: it treats two
releases as counting the same people wherever their labels agree, so a later release of a
slightly different population is judged as if the two overlapped exactly (rounding blurs what
an attacker would get, but a check that passes only because of rounding is not relied on).
A total recomputed from the published cells (``partial``) tells nothing withheld and is left
out.

>>> first = Released.from_rows("week-1", ("area",), [
...     {"area": "A", "count": None}, {"area": "B", "count": None},
...     {"area": "C", "count": 40}, {"area": None, "count": 52}])
>>> second = Released.from_rows("week-2", ("area",), [
...     {"area": "B", "count": 9}, {"area": "C", "count": 40}, {"area": None, "count": 49}])
>>> [(f.table, f.cell, f.earlier) for f in findings(second, [first])]
[('week-1', ('A',), ('week-1',))]
>>> print(findings(second, [first])[0].line())
week-1: the withheld area A could be worked out by subtracting against week-1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.disclosure.linear import determined
from accord.disclosure.tables import TOTAL

Labels = tuple[str | None, ...]
Key = frozenset[tuple[str, Any]]  # (field, label) for a fixed field, (field, frozenset) summed


@dataclass(frozen=True)
class Released:
    """One table as it was published: per row, its labels and its count (``None`` withheld)."""

    name: str
    fields: tuple[str, ...]
    values: tuple[tuple[Labels, int | None], ...]  # partial totals left out

    @classmethod
    def from_rows(
        cls, name: str, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]
    ) -> Released:
        """A table from its long form (the aggregate stage's rows: the group-by columns, with
        null on a total, ``count``, and ``partial`` for a total of the published cells)."""
        values = tuple(
            (tuple(r[f] for f in fields), r["count"]) for r in rows if not r.get("partial")
        )
        return cls(name, tuple(fields), values)

    def categories(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for d, f in enumerate(self.fields):
            out[f] = frozenset(c for labels, _ in self.values if (c := labels[d]) is not None)
        return out

    def key(self, labels: Labels, cats: Mapping[str, frozenset[str]]) -> Key:
        return frozenset(
            (f, cats[f] if label is None else label)
            for f, label in zip(self.fields, labels, strict=True)
        )


@dataclass(frozen=True)
class Finding:
    """A withheld value of ``table`` that the tables together give away."""

    table: str
    cell: tuple[str, ...]  # its labels, "Total" where summed
    fields: tuple[str, ...]
    earlier: tuple[str, ...]  # the released tables the new one combines with to recover it

    def line(self) -> str:
        where = " x ".join(f"{f} {c}" for f, c in zip(self.fields, self.cell, strict=True))
        return (
            f"{self.table}: the withheld {where} could be worked out by subtracting against "
            f"{', '.join(self.earlier)}"
        )


def _relations(t: Released) -> list[dict[Key, int]]:
    """Each total of ``t`` is the sum of its line, for every field it is summed over."""
    cats = t.categories()
    present = {labels for labels, _ in t.values}
    out: list[dict[Key, int]] = []
    for labels, _ in t.values:
        for d, label in enumerate(labels):
            if label is not None:
                continue
            below = [(*labels[:d], c, *labels[d + 1 :]) for c in sorted(cats[t.fields[d]])]
            if not below or any(b not in present for b in below):
                continue
            relation = {t.key(b, cats): 1 for b in below}
            relation[t.key(labels, cats)] = -1
            out.append(relation)
    return out


def _links(tables: Sequence[Released]) -> list[dict[Key, int]]:
    """A total over every category of a field is the value of a table without that field."""
    every: set[Key] = set()
    for t in tables:
        cats = t.categories()
        every |= {t.key(labels, cats) for labels, _ in t.values}
    out: list[dict[Key, int]] = []
    for key in every:
        for item in key:
            if isinstance(item[1], frozenset):
                without = key - {item}
                if without and without in every:
                    out.append({key: 1, without: -1})
    return out


def _system(tables: Sequence[Released]) -> tuple[list[dict[Key, int]], set[Key]]:
    """The joint relations and the values withheld in every table that shows them."""
    relations = [r for t in tables for r in _relations(t)] + _links(tables)
    shown: set[Key] = set()
    withheld: set[Key] = set()
    for t in tables:
        cats = t.categories()
        for labels, v in t.values:
            (withheld if v is None else shown).add(t.key(labels, cats))
    return relations, withheld - shown


def findings(new: Released, earlier: Sequence[Released]) -> list[Finding]:
    """The withheld values (of ``new`` or of an earlier table) that ``new`` beside each earlier
    table, then beside all of them, gives away and the earlier tables alone did not."""
    if not earlier:
        return []
    relations, unknown = _system(earlier)
    before = determined(relations, unknown)
    out: dict[Key, Finding] = {}  # one finding per value, named in the new table if it is there
    for group in [[e] for e in earlier] + ([list(earlier)] if len(earlier) > 1 else []):
        relations, unknown = _system([new, *group])
        exposed = determined(relations, unknown) - before
        if not exposed:
            continue
        names = tuple(e.name for e in group)
        for t in (new, *group):
            cats = t.categories()
            for labels, v in t.values:
                key = t.key(labels, cats)
                if v is None and key in exposed and key not in out:
                    cell = tuple(TOTAL if x is None else x for x in labels)
                    out[key] = Finding(t.name, cell, t.fields, names)
    return sorted(out.values(), key=lambda f: (f.table != new.name, f.table, f.cell))
