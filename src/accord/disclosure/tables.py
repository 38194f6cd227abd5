"""Primary and secondary suppression, then rounding, of a two-way table of counts with margins.

A table is ``rows x columns`` counts, with row totals, column totals and a grand total where the
caller publishes them (a one-way table is one column with its total). The steps:

1. **Primary suppression**: every cell (margins too, for ``from_true`` totals) the profile finds
   disclosive is suppressed.
2. **Secondary suppression** (``from_true`` totals only): each margin is a linear relation
   (the cells of a line sum to its total). A line with exactly one suppressed cell gives it
   away by subtraction, so the smallest published cell of that line is suppressed too, until
   no line has exactly one; then :func:`recoverable` finds every cell that a combination of
   lines still determines (a bridge of the graph of suppressed cells) and suppresses more.
3. **Rounding** of every published count, after suppression. ``from_published`` totals are
   recomputed from the published cells, then rounded, and marked partial where their line has
   a suppressed cell.

Every suppression is in the report with its rule and what to change; the report never holds a
count (a suppressed value is exactly what must not leave).

>>> from accord.disclosure.profiles import profile
>>> t = protect([[6, 12], [30, 40]], profile("opensafely"), rows=("a", "b"), columns=("x", "y"))
>>> t.cells
((None, 10), (30, 40))
>>> t.row_totals, t.partial_rows
((10, 70), (True, False))
>>> [(s.row, s.column, s.kind) for s in t.report]
[('a', 'x', 'primary')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from accord.disclosure.profiles import Profile
from accord.errors import InputError, Problem

TOTAL = "Total"

Key = tuple[int, int]  # (row, column); index m is the column-totals row, n the row-totals column
Vertex = tuple[str, int]  # a line in the graph of suppressed cells: ("r", row) or ("c", column)


@dataclass(frozen=True)
class Suppression:
    """One suppressed cell: where, by which rule, and what to change to publish more."""

    row: str
    column: str
    kind: str  # "primary" or "secondary"
    rule: str
    advice: str


@dataclass(frozen=True)
class ProtectedTable:
    """What may be published: ``None`` where a count is suppressed."""

    profile: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...] | None
    column_totals: tuple[int | None, ...] | None
    grand_total: int | None
    partial_rows: tuple[bool, ...] | None
    partial_columns: tuple[bool, ...] | None
    report: tuple[Suppression, ...]

    @property
    def suppressed(self) -> frozenset[Key]:
        """Interior and margin cells withheld, as (row, column) keys like :func:`protect`'s."""
        m, n = len(self.rows), len(self.columns)
        out = {(i, j) for i in range(m) for j in range(n) if self.cells[i][j] is None}
        if self.row_totals is not None:
            out |= {(i, n) for i, v in enumerate(self.row_totals) if v is None}
        if self.column_totals is not None:
            out |= {(m, j) for j, v in enumerate(self.column_totals) if v is None}
        if self.row_totals is not None and self.column_totals is not None:
            if self.grand_total is None:
                out.add((m, n))
        return frozenset(out)


def lines(m: int, n: int, *, row_totals: bool, column_totals: bool) -> list[list[Key]]:
    """The linear relations of the table: each is a line of cells, its total last."""
    out: list[list[Key]] = []
    if row_totals:
        out += [[(i, j) for j in range(n)] + [(i, n)] for i in range(m)]
    if column_totals:
        out += [[(i, j) for i in range(m)] + [(m, j)] for j in range(n)]
    if row_totals and column_totals:
        out.append([(m, j) for j in range(n)] + [(m, n)])
        out.append([(i, n) for i in range(m)] + [(m, n)])
    return out


def recoverable(
    m: int, n: int, suppressed: frozenset[Key], *, row_totals: bool, column_totals: bool
) -> set[Key]:
    """Suppressed cells of an ``m x n`` table that the published cells and the totals determine
    exactly by linear arithmetic.

    With one set of totals the lines share no cell, so a cell is determined exactly when it is
    the only one withheld in its line. With both, write the table with its totals negated as an
    ``(m+1) x (n+1)`` table whose every row and column sums to zero: the relations are then the
    incidence matrix of the bipartite graph whose vertices are the rows and columns and whose
    edges are the suppressed cells, its null space is the graph's cycle space, and a cell is
    determined exactly when its edge lies on no cycle (a bridge). Bridges are found in linear
    time by Tarjan's low-link depth-first search (Tarjan 1974), where a general linear solve
    would cost a cubic eigen-decomposition per table; the property tests check this answer
    against numpy's rank.
    """
    if not (row_totals and column_totals):
        found = set()
        for line in lines(m, n, row_totals=row_totals, column_totals=column_totals):
            hidden = [k for k in line if k in suppressed]
            if len(hidden) == 1:
                found.add(hidden[0])
        return found
    return _bridges(suppressed)


def _bridges(cells: frozenset[Key]) -> set[Key]:
    """The cells whose edge (row i -- column j) is on no cycle of the bipartite graph."""
    adjacent: dict[Vertex, list[tuple[Vertex, Key]]] = {}
    for i, j in cells:
        r, c = ("r", i), ("c", j)
        adjacent.setdefault(r, []).append((c, (i, j)))
        adjacent.setdefault(c, []).append((r, (i, j)))
    order: dict[Vertex, int] = {}
    low: dict[Vertex, int] = {}
    found: set[Key] = set()
    for root in sorted(adjacent):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        # (vertex, the cell it was reached by, iterator over its neighbours)
        stack: list[tuple[Vertex, Key | None, Iterator[tuple[Vertex, Key]]]] = [
            (root, None, iter(adjacent[root]))
        ]
        while stack:
            vertex, via, neighbours = stack[-1]
            step = next(neighbours, None)
            if step is None:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        found.add(via)
                continue
            other, cell = step
            if cell == via:
                continue
            if other in order:
                low[vertex] = min(low[vertex], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, cell, iter(adjacent[other])))
    return found


def protect(
    counts: Sequence[Sequence[int]],
    profile: Profile,
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    row_totals: bool = True,
    column_totals: bool = True,
) -> ProtectedTable:
    """``counts`` (``len(rows)`` lists of ``len(columns)`` non-negative counts) made safe to
    publish under ``profile``, with the margins asked for (see the module docstring)."""
    m, n = len(rows), len(columns)
    if m == 0 or n == 0 or len(counts) != m or any(len(r) != n for r in counts):
        raise InputError(
            "a table needs one count per row and column",
            [Problem("table", f"{len(counts)} rows of counts for {m} x {n} labels")],
        )
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for r in counts for v in r):
        raise InputError("a table holds whole non-negative counts", [Problem("table", "bad count")])
    true: dict[Key, int] = {(i, j): counts[i][j] for i in range(m) for j in range(n)}
    if row_totals:
        true |= {(i, n): sum(counts[i]) for i in range(m)}
    if column_totals:
        true |= {(m, j): sum(counts[i][j] for i in range(m)) for j in range(n)}
    if row_totals and column_totals:
        true[(m, n)] = sum(map(sum, counts))
    margins_true = profile.totals == "from_true"
    interior = {(i, j) for i in range(m) for j in range(n)}
    controlled = set(true) if margins_true else interior

    suppressed: set[Key] = {k for k in controlled if profile.disclosive(true[k])}
    why: dict[Key, tuple[str, Key | None]] = {k: ("primary", None) for k in suppressed}
    if margins_true:
        relations = lines(m, n, row_totals=row_totals, column_totals=column_totals)

        def exposed(hidden: frozenset[Key]) -> set[Key]:
            return recoverable(m, n, hidden, row_totals=row_totals, column_totals=column_totals)

        secondary(relations, exposed, true, suppressed, why, interior)

    def published(k: Key) -> int | None:
        return None if k in suppressed else profile.rounded(true[k])

    cells = tuple(tuple(published((i, j)) for j in range(n)) for i in range(m))
    partial_rows = partial_cols = None
    if margins_true:
        rt = tuple(published((i, n)) for i in range(m)) if row_totals else None
        ct = tuple(published((m, j)) for j in range(n)) if column_totals else None
        grand = published((m, n)) if row_totals and column_totals else None
    else:
        rt, ct, grand, partial_rows, partial_cols = _recomputed(
            true, suppressed, profile, m, n, row_totals, column_totals
        )
    row_names, col_names = (*rows, TOTAL), (*columns, TOTAL)

    def rule(k: Key) -> str:
        kind, protects = why[k]
        if protects is None:
            return profile.rule()
        return (
            f"secondary: withheld so that {row_names[protects[0]]} x {col_names[protects[1]]} "
            "cannot be worked out from the totals"
        )

    report = tuple(
        Suppression(row_names[k[0]], col_names[k[1]], why[k][0], rule(k), _advice(k, m, n))
        for k in sorted(suppressed)
    )
    return ProtectedTable(
        profile.id,
        tuple(rows),
        tuple(columns),
        cells,
        rt,
        ct,
        grand,
        partial_rows,
        partial_cols,
        report,
    )


P = TypeVar("P", bound=tuple[int, ...])


def secondary(
    relations: list[list[P]],
    exposed_by: Callable[[frozenset[P]], set[P]],
    true: dict[P, int],
    suppressed: set[P],
    why: dict[P, tuple[str, P | None]],
    interior: set[P],
) -> None:
    """Suppress more until no suppressed cell can be recovered from the published ones (any
    number of dimensions: ``relations`` are the lines, ``exposed_by`` the exact check)."""

    def choose(line: Sequence[P]) -> P | None:
        # The least informative published cell: interior before totals, smallest first.
        open_ = [k for k in line if k not in suppressed]
        if not open_:
            return None
        return min(open_, key=lambda k: (k not in interior, true[k], k))

    while True:
        changed = True
        while changed:
            changed = False
            for line in relations:
                hidden = [k for k in line if k in suppressed]
                if len(hidden) == 1:
                    pick = choose(line)
                    if pick is not None:
                        suppressed.add(pick)
                        why[pick] = ("secondary", hidden[0])
                        changed = True
        exposed = exposed_by(frozenset(suppressed))
        if not exposed:
            return
        target = min(exposed)
        candidates = [line for line in relations if target in line and choose(line) is not None]
        if candidates:
            line = min(candidates, key=lambda ln: sum(k in suppressed for k in ln))
            pick = choose(line)
        else:  # every line through it is withheld already: withhold elsewhere (all hides all)
            pick = choose(sorted(true))
        if pick is None:
            return  # nothing is published, so nothing can be worked out
        suppressed.add(pick)
        why[pick] = ("secondary", target)


def _recomputed(
    true: dict[Key, int],
    suppressed: set[Key],
    profile: Profile,
    m: int,
    n: int,
    row_totals: bool,
    column_totals: bool,
) -> tuple[
    tuple[int | None, ...] | None,
    tuple[int | None, ...] | None,
    int | None,
    tuple[bool, ...] | None,
    tuple[bool, ...] | None,
]:
    """Totals of the published cells only (so they reveal nothing suppressed), then rounded."""

    def total(keys: list[Key]) -> int | None:
        shown = [true[k] for k in keys if k not in suppressed]
        return profile.rounded(sum(shown)) if shown else None

    row_keys = [[(i, j) for j in range(n)] for i in range(m)]
    col_keys = [[(i, j) for i in range(m)] for j in range(n)]
    every = [k for ks in row_keys for k in ks]
    rt = tuple(total(ks) for ks in row_keys) if row_totals else None
    ct = tuple(total(ks) for ks in col_keys) if column_totals else None
    grand = total(every) if row_totals and column_totals else None
    pr = tuple(any(k in suppressed for k in ks) for ks in row_keys) if row_totals else None
    pc = tuple(any(k in suppressed for k in ks) for ks in col_keys) if column_totals else None
    return rt, ct, grand, pr, pc


def _advice(k: Key, m: int, n: int) -> str:
    if k[0] == m or k[1] == n:
        return "a total describes too few people: merge this line with a neighbour"
    return (
        "combine this row or column with a neighbour (coarser bands, a wider area or a longer "
        "period) so that each cell counts more people"
    )
