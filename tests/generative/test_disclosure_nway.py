"""Properties of n-way disclosure control on random tables of three and four fields (issue 15).

For random tables (every marginal table published, totals from the true values):

1. no published value is one the profile finds disclosive;
2. no suppressed value is determined by the published values and the margins. This is checked
   independently of ``accord.disclosure``: the test builds the margin relations itself, as a
   dense matrix, and asks numpy whether adding a suppressed value's unit vector raises the rank
   of the relations over the suppressed values (it does exactly when the value is free);
3. with ``from_published`` totals each total is the rounded sum of the published cells it
   covers, partial exactly where one of them is withheld;

and the exact elimination of ``accord.disclosure.linear`` agrees with numpy's rank on random
sparse systems.
"""

from __future__ import annotations

from itertools import product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disclosure import PACKAGED, custom, profile
from accord.disclosure.cube import protect_cube
from accord.disclosure.linear import determined

PROFILES = [profile(p) for p in PACKAGED] + [
    custom(suppress_at_or_below=3, round_to=10, zeros="suppress"),
    custom(suppress_at_or_below=9, round_to=None),
]


@st.composite
def cubes(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=3, max_size=4).filter(_small))
    cats = [tuple(f"f{d}c{i}" for i in range(n)) for d, n in enumerate(sizes)]
    small = st.one_of(st.integers(0, 12), st.integers(0, 60))
    counts = {k: draw(small) for k in product(*cats)}
    return cats, counts


def _small(sizes):
    return int(np.prod([n + 1 for n in sizes])) <= 150


def _margins(cats):
    """Every total of the extended grid as (total labels, the cell labels it sums)."""
    out = []
    for mask in product((False, True), repeat=len(cats)):
        if not any(mask):
            continue
        free = [cs if not m else (None,) for cs, m in zip(cats, mask, strict=True)]
        for total in product(*free):
            cells = [
                c
                for c in product(*cats)
                if all(t is None or t == x for t, x in zip(total, c, strict=True))
            ]
            out.append((total, cells))
    return out


def _free_by_numpy(cats, hidden):
    """The suppressed values numpy finds determined: each line of each field (a total and the
    values one field below it) is a relation; rank test per value."""
    unknown = sorted(hidden, key=repr)
    col = {k: i for i, k in enumerate(unknown)}
    rows = []
    for total, _ in _margins(cats):
        for d, t in enumerate(total):
            if t is not None:
                continue
            row = np.zeros(len(unknown))
            if total in col:
                row[col[total]] -= 1
            for c in cats[d]:
                below = (*total[:d], c, *total[d + 1 :])
                if below in col:
                    row[col[below]] += 1
            if row.any():
                rows.append(row)
    if not rows:
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


@settings(derandomize=True, max_examples=150, deadline=None)
@given(table=cubes(), prof=st.sampled_from(PROFILES))
def test_no_suppressed_value_of_an_nway_table_is_determined(table, prof) -> None:
    cats, counts = table
    t = protect_cube(counts, cats, prof)
    true = {labels: counts[labels] for labels in product(*cats)}
    true |= {total: sum(counts[c] for c in cells) for total, cells in _margins(cats)}
    hidden = t.suppressed
    assert len(dict(t.values)) == len(true)
    for labels, v in true.items():
        if prof.totals == "from_true" or None not in labels:
            assert labels in hidden or not prof.disclosive(v), (labels, v)
    if prof.round_to:
        assert all(_on_grid(v, prof) for _, v in t.values if v is not None)
    if prof.totals == "from_true":
        assert _free_by_numpy(cats, hidden) == set()
        assert len(t.report) == len(hidden)
    else:
        for total, cells in _margins(cats):
            shown = [counts[c] for c in cells if c not in hidden]
            assert t.value(total) == (prof.rounded(sum(shown)) if shown else None)
            assert (total in t.partial) == (len(shown) < len(cells))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    relations=st.lists(
        st.dictionaries(st.integers(0, 9), st.integers(-2, 2), min_size=1, max_size=4),
        max_size=12,
    ),
    unknown=st.sets(st.integers(0, 9)),
)
def test_exact_elimination_agrees_with_numpy_rank(relations, unknown) -> None:
    keys = sorted(unknown)
    rows = [[float(r.get(k, 0)) for k in keys] for r in relations]
    rows = [r for r in rows if any(r)]
    expected = set()
    if rows:
        a = np.array(rows)
        rank = np.linalg.matrix_rank(a)
        for i, k in enumerate(keys):
            unit = np.zeros((1, len(keys)))
            unit[0, i] = 1.0
            if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
                expected.add(k)
    assert determined(relations, unknown) == expected


def _on_grid(v, prof):
    """A published count is a multiple of the base, or (midpoint rounding) 0 or a midpoint."""
    if prof.rounding == "midpoint":
        return v == 0 or (v + prof.round_to // 2) % prof.round_to == 0
    return v % prof.round_to == 0
