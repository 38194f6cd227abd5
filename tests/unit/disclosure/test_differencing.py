"""Differencing across released tables (issue 15): what two tables of one source give away."""

from __future__ import annotations

from itertools import product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disclosure import profile, protect
from accord.disclosure.differencing import Released, findings


def _one_way(name, counts, prof="ons_srs_10"):
    """A protected one-way table by area, in the aggregate stage's long form."""
    areas = sorted(counts)
    t = protect(
        [[counts[a]] for a in areas],
        profile(prof),
        rows=areas,
        columns=("count",),
        row_totals=False,
    )
    rows = [{"area": a, "count": t.cells[i][0]} for i, a in enumerate(areas)]
    partial = bool(t.partial_columns and t.partial_columns[0])
    rows.append({"area": None, "count": t.column_totals[0], "partial": partial})
    return Released.from_rows(name, ("area",), rows)


def test_one_fewer_area_gives_the_suppressed_one_away() -> None:
    first = _one_way("first", {"A": 3, "B": 12, "C": 30, "D": 40})
    assert dict(first.values)[("A",)] is None and dict(first.values)[("B",)] is None
    second = _one_way("second", {"A": 3, "C": 30, "D": 40})  # B's people gone
    found = findings(second, [first])
    assert [(f.table, f.cell, f.earlier) for f in found] == [
        ("second", ("A",), ("first",)),
        ("first", ("B",), ("first",)),
    ]
    assert "area A" in found[0].line() and "first" in found[0].line()


def test_the_same_table_again_gives_nothing_away() -> None:
    counts = {"A": 3, "B": 12, "C": 30, "D": 40}
    assert findings(_one_way("again", counts), [_one_way("first", counts)]) == []


def test_recomputed_totals_give_nothing_away() -> None:
    # OpenSAFELY recomputes totals from the published cells: no relation to subtract from.
    first = _one_way("first", {"A": 3, "B": 12, "C": 30, "D": 40}, "opensafely")
    second = _one_way("second", {"A": 3, "C": 30, "D": 40}, "opensafely")
    assert findings(second, [first]) == []


def test_a_finer_table_differences_a_coarser_one() -> None:
    # Counts by area (A withheld with B), then by area and sex: its total over sex for A is
    # the first table's A, and with B's cells published it gives A away.
    first = Released.from_rows(
        "by-area",
        ("area",),
        [
            {"area": "A", "count": None},
            {"area": "B", "count": None},
            {"area": "C", "count": 40},
            {"area": None, "count": 60},
        ],
    )
    rows = []
    for area, sex in product(("A", "B", "C", None), ("f", "m", None)):
        rows.append({"area": area, "sex": sex, "count": None if area == "A" else 1})
    second = Released.from_rows("by-area-sex", ("area", "sex"), rows)
    found = findings(second, [first])
    assert ("by-area", ("A",)) in {(f.table, f.cell) for f in found}


# -- property: the findings agree with an independent rank test ------------------------------


@st.composite
def pairs(draw):
    areas = ["A", "B", "C", "D", "E"]
    first = draw(st.sets(st.sampled_from(areas), min_size=2))
    second = draw(st.sets(st.sampled_from(areas), min_size=1))
    counts = {a: draw(st.one_of(st.integers(0, 12), st.integers(0, 60))) for a in areas}
    return (
        {a: counts[a] for a in sorted(first)},
        {a: counts[a] for a in sorted(second)},
    )


def _numpy_exposed(tables):
    """Withheld values the tables determine, from numpy's rank: unknowns are the areas withheld
    in every table that has them and each table's total if withheld; one relation a table."""
    unknown = []
    for t in tables:
        for (area,), v in t.values:
            key = ("cell", area) if area is not None else ("total", t.name)
            shown_elsewhere = any(
                dict(o.values).get((area,)) is not None for o in tables if area is not None
            )
            if v is None and not shown_elsewhere and key not in unknown:
                unknown.append(key)
    col = {k: i for i, k in enumerate(unknown)}
    rows = []
    for t in tables:
        row = np.zeros(len(unknown))
        for (area,), _ in t.values:
            key = ("cell", area) if area is not None else ("total", t.name)
            if key in col:
                row[col[key]] += 1 if area is not None else -1
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = set()
    for k, i in col.items():
        unit = np.zeros((1, len(unknown)))
        unit[0, i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.add(k)
    return out


@settings(derandomize=True, max_examples=300, deadline=None)
@given(pair=pairs())
def test_findings_agree_with_an_independent_rank_test(pair) -> None:
    first, second = _one_way("first", pair[0]), _one_way("second", pair[1])
    assert _numpy_exposed([first]) == set()  # each table is safe alone
    assert _numpy_exposed([second]) == set()
    expected = _numpy_exposed([second, first])
    got = {
        ("cell", f.cell[0]) if f.cell[0] != "Total" else ("total", f.table)
        for f in findings(second, [first])
    }
    if set(pair[0]) == set(pair[1]):
        # the same areas: the two totals are one value (numpy's test keeps them apart)
        return
    assert got == expected
