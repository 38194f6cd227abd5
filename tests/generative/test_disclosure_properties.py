"""Properties of disclosure control on random tables (issue 15).

1. No published count is one the profile finds disclosive (primary suppression is complete).
2. With totals computed from the true values, no line (a row or column and its total) has
   exactly one suppressed cell.
3. Stronger: no suppressed cell is determined by the published cells and the totals under
   linear arithmetic. This is checked independently of ``accord.disclosure.recoverable``: a
   suppressed cell is determined exactly when its unit vector adds nothing to the rank of the
   relations over the suppressed cells.
4. Published counts are multiples of the rounding base; ``from_published`` totals are the
   rounded sum of the published cells and are marked partial exactly where a cell is withheld.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disclosure import PACKAGED, custom, lines, profile, protect

PROFILES = [profile(p) for p in PACKAGED] + [
    custom(suppress_at_or_below=3, round_to=10, zeros="suppress"),
    custom(suppress_at_or_below=7, totals="from_published", round_to=None),
]

tables = st.integers(1, 5).flatmap(
    lambda m: st.integers(1, 5).flatmap(
        lambda n: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(0, 60)), min_size=n, max_size=n),
            min_size=m,
            max_size=m,
        )
    )
)


def _protected(counts, prof, row_totals, column_totals):
    m, n = len(counts), len(counts[0])
    rows = tuple(f"r{i}" for i in range(m))
    cols = tuple(f"c{j}" for j in range(n))
    return protect(
        counts, prof, rows=rows, columns=cols, row_totals=row_totals, column_totals=column_totals
    )


def _true(counts, row_totals, column_totals):
    m, n = len(counts), len(counts[0])
    true = {(i, j): counts[i][j] for i in range(m) for j in range(n)}
    if row_totals:
        true |= {(i, n): sum(counts[i]) for i in range(m)}
    if column_totals:
        true |= {(m, j): sum(r[j] for r in counts) for j in range(n)}
    if row_totals and column_totals:
        true[(m, n)] = sum(map(sum, counts))
    return true


def _determined(relations, suppressed):
    """Suppressed cells fixed by the relations: adding the cell's unit vector to the
    coefficient matrix leaves its rank unchanged (one rank per cell; independent of the
    library's single-SVD projection)."""
    unknown = sorted(suppressed)
    rows = [
        [float(k in line[:-1]) - float(k == line[-1]) for k in unknown]
        for line in relations
        if any(k in suppressed for k in line)
    ]
    if not unknown or not rows:
        return set()
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    found = set()
    for i, k in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.add(k)
    return found


@settings(derandomize=True, max_examples=600, deadline=None)
@given(
    counts=tables,
    prof=st.sampled_from(PROFILES),
    row_totals=st.booleans(),
    column_totals=st.booleans(),
)
def test_published_tables_are_safe(counts, prof, row_totals, column_totals) -> None:
    t = _protected(counts, prof, row_totals, column_totals)
    m, n = len(counts), len(counts[0])
    true = _true(counts, row_totals, column_totals)
    hidden = t.suppressed
    # 1. nothing disclosive is published (interior cells; margins too when from true values)
    for k, v in true.items():
        if (k[0] < m and k[1] < n) or prof.totals == "from_true":
            assert k in hidden or not prof.disclosive(v), (k, v)
    # 4. rounding after suppression
    published = [v for r in t.cells for v in r if v is not None]
    published += [v for v in (t.row_totals or ()) if v is not None]
    published += [v for v in (t.column_totals or ()) if v is not None]
    if prof.round_to:
        assert all(_on_grid(v, prof) for v in published)
    if prof.totals == "from_true":
        relations = lines(m, n, row_totals=row_totals, column_totals=column_totals)
        # 2. no line gives a cell away by subtraction
        assert all(sum(k in hidden for k in line) != 1 for line in relations)
        # 3. no combination of lines determines a suppressed cell
        assert _determined(relations, hidden) == set()
    else:
        assert t.partial_rows == (
            tuple(any(c is None for c in r) for r in t.cells) if row_totals else None
        )
        for i in range(m) if row_totals else ():
            shown = [counts[i][j] for j in range(n) if t.cells[i][j] is not None]
            assert t.row_totals[i] == (prof.rounded(sum(shown)) if shown else None)
    # the report names every suppressed cell once (a recomputed total with nothing published
    # under it is simply absent), never a count
    reported = (
        hidden if prof.totals == "from_true" else {k for k in hidden if k[0] < m and k[1] < n}
    )
    assert len(t.report) == len(reported)
    assert all(s.kind in {"primary", "secondary"} and s.advice for s in t.report)


def _on_grid(v, prof):
    """A published count is a multiple of the base, or (midpoint rounding) 0 or a midpoint."""
    if prof.rounding == "midpoint":
        return v == 0 or (v + prof.round_to // 2) % prof.round_to == 0
    return v % prof.round_to == 0
