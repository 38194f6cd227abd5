"""Properties of measures beside counts on random two-way tables (issue 15).

From the raw values of each cell, computed here independently of ``accord.disclosure``:

1. no measure is published where its count is withheld;
2. a published sum is the true sum, rests on more values than the threshold, and breaks no
   dominance rule of the profile (the two largest values over k of the sum; the rest within p
   of the largest);
3. no withheld sum can be recovered from the published ones: every published total's cells are
   all published, so a withheld sum is in no relation with a known right-hand side;
4. a published rate's numerator and complement are both above the threshold.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disclosure import custom, profile, protect
from accord.disclosure.measures import Stats, publish

PROFILES = [
    profile("acro"),
    profile("nhs_secondary_care"),
    custom(suppress_at_or_below=2, round_to=None),
]


@st.composite
def tables(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    values = st.lists(st.integers(0, 50) | st.integers(0, 5000), max_size=25)
    cells = {(f"r{i}", f"c{j}"): draw(values) for i in range(m) for j in range(n)}
    flags = {
        k: draw(st.lists(st.booleans(), min_size=len(v), max_size=len(v))) for k, v in cells.items()
    }
    return m, n, cells, flags


@settings(derandomize=True, max_examples=300, deadline=None)
@given(table=tables(), prof=st.sampled_from(PROFILES))
def test_published_measures_are_safe(table, prof) -> None:
    m, n, cells, flags = table
    rows, cols = [f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)]
    t = protect([[len(cells[(r, c)]) for c in cols] for r in rows], prof, rows=rows, columns=cols)
    long = [((r, c), t.cells[i][j] is None) for i, r in enumerate(rows) for j, c in enumerate(cols)]
    long += [((r, None), t.row_totals[i] is None) for i, r in enumerate(rows)]
    long += [((None, c), t.column_totals[j] is None) for j, c in enumerate(cols)]
    long.append(((None, None), t.grand_total is None))
    sums = {
        k: Stats(len(v), len(v), float(sum(v)), tuple(sorted(v, reverse=True)[:2]))
        for k, v in cells.items()
    }
    rates = {k: Stats(len(v), numerator=sum(flags[k])) for k, v in cells.items()}
    shown_sum = dict(zip([k for k, _ in long], publish("sum", sums, long, prof), strict=True))
    shown_rate = dict(
        zip([k for k, _ in long], publish("rate", rates, long, prof, per=1000), strict=True)
    )

    def covered(labels):
        return [
            k for k in cells if all(x is None or x == y for x, y in zip(labels, k, strict=True))
        ]

    for labels, withheld in long:
        values = [v for k in covered(labels) for v in cells[k]]
        trues = sum(f for k in covered(labels) for f in flags[k])
        s, _ = shown_sum[labels]
        r, _ = shown_rate[labels]
        if withheld:
            assert s is None and r is None  # 1
        if s is not None:  # 2
            total, top = sum(values), sorted(values, reverse=True)[:2]
            assert s == float(total) and len(values) > prof.suppress_at_or_below
            if prof.dominance_k is not None and total > 0:
                assert sum(top) <= prof.dominance_k * total
            if prof.p_percent is not None and total > 0:
                assert total - sum(top) >= prof.p_percent * top[0]
            if None in labels:  # 3
                assert all(shown_sum[k][0] is not None for k in covered(labels))
        if r is not None:  # 4
            assert not prof.disclosive(trues)
            assert len(values) - trues == 0 or len(values) - trues > prof.suppress_at_or_below
            if None in labels:
                assert all(shown_rate[k][0] is not None for k in covered(labels))
