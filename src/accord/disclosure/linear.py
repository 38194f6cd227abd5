"""Which withheld values a set of published linear relations pins down exactly.

A published table is a set of linear relations among its values: each total is the sum of the
cells of its line (``cells - total = 0``), and two released tables that count the same people
share values. Given the relations and the values that are *unknown* (suppressed everywhere they
appear), a value is determined when some combination of the relations isolates it: its unit
vector lies in the row space of the relations restricted to the unknowns. Everything else
is known, so it moves to the right-hand side; the answer depends on which values are withheld,
never on the values themselves.

The row space is put in reduced row-echelon form in exact rational arithmetic
(:class:`fractions.Fraction`), one connected block of unknowns at a time; a value is determined
exactly when one of the reduced rows has it as its only entry (the pivot of a reduced row is
the only pivot column it touches, so a unit vector in the row space must be a reduced row).

>>> a, b, c, t = "a", "b", "c", "t"
>>> sorted(determined([{a: 1, b: 1, t: -1}], {a, b}))  # a + b = t: neither alone
[]
>>> sorted(determined([{a: 1, b: 1, t: -1}, {a: 1, c: 1}], {a, b}))  # a + c = known too
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

Relation = Mapping[K, int]


def determined(relations: Iterable[Mapping[K, int]], unknown: Collection[K]) -> set[K]:
    """The members of ``unknown`` that ``relations`` (each ``sum(coefficient * value) = a
    known number``; a key outside ``unknown`` is published) determine exactly."""
    hidden = set(unknown)
    rows: list[dict[K, Fraction]] = []
    for relation in relations:
        row = {k: Fraction(c) for k, c in relation.items() if c and k in hidden}
        if row:
            rows.append(row)
    found: set[K] = set()
    for block in _blocks(rows):
        found |= _reduced_units(block)
    return found


def _blocks(rows: list[dict[K, Fraction]]) -> list[list[dict[K, Fraction]]]:
    """The rows split into groups that share no unknown (union-find over the unknowns)."""
    parent: dict[K, K] = {}

    def find(k: K) -> K:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for row in rows:
        keys = list(row)
        for k in keys:
            parent.setdefault(k, k)
        first = find(keys[0])
        for k in keys[1:]:
            other = find(k)
            if other != first:
                parent[other] = first
    groups: dict[K, list[dict[K, Fraction]]] = {}
    for row in rows:
        groups.setdefault(find(next(iter(row))), []).append(row)
    return list(groups.values())


def _reduced_units(rows: list[dict[K, Fraction]]) -> set[K]:
    """Reduce ``rows`` to reduced row-echelon form; the pivots whose row has no other entry."""
    pending = [dict(r) for r in rows]
    pivots: list[tuple[K, dict[K, Fraction]]] = []
    while pending:
        row = pending.pop()
        for key, prow in pivots:  # eliminate every earlier pivot from the new row
            c = row.get(key)
            if c:
                _subtract(row, prow, c)
        if not row:
            continue  # a combination of earlier rows: nothing new
        key = min(row, key=repr)  # any entry will do; a fixed choice keeps runs reproducible
        scale = row[key]
        row = {k: v / scale for k, v in row.items()}
        for _, prow in pivots:  # and the new pivot from every earlier row (fully reduced)
            c = prow.get(key)
            if c:
                _subtract(prow, row, c)
        pivots.append((key, row))
    return {key for key, row in pivots if len(row) == 1}


def _subtract(row: dict[K, Fraction], other: dict[K, Fraction], times: Fraction) -> None:
    """``row -= times * other`` in place, dropping entries that become zero."""
    for k, v in other.items():
        new = row.get(k, Fraction(0)) - times * v
        if new:
            row[k] = new
        else:
            row.pop(k, None)
