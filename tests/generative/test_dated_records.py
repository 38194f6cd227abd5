"""Invariants of dated records: a basis's end as known on a day only moves later, reaches the
final end, and nothing is in force after it; an assurance record reads as its own status exactly
until the first of its dates has passed."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.model.assurance import AssuranceRecord, effective_status
from accord.model.bases import DatedBasis, Extension

START = date(2026, 1, 1)
days = st.integers(min_value=0, max_value=400)


@st.composite
def bases(draw: st.DrawFn) -> DatedBasis:
    end = START + timedelta(days=draw(st.integers(1, 100)))
    extensions = []
    for step, announced in draw(
        st.lists(st.tuples(st.integers(1, 60), st.none() | days), max_size=4)
    ):
        new_end = (extensions[-1].end if extensions else end) + timedelta(days=step)
        when = None if announced is None else START + timedelta(days=announced)
        extensions.append(Extension(announced=when, end=new_end))
    return DatedBasis(id="b", kind="notice", title="B", start=START, end=end, extensions=extensions)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(basis=bases(), a=days, b=days)
def test_the_known_end_only_moves_later_and_nothing_holds_after_the_final_end(
    basis: DatedBasis, a: int, b: int
) -> None:
    first, second = sorted((START + timedelta(days=a), START + timedelta(days=b)))
    assert basis.end_known_on(first) <= basis.end_known_on(second)  # type: ignore[operator]
    final = basis.final_end
    assert final is not None
    # Once every extension is announced (an unannounced one counts from the previous last day),
    # the end as known is the final end.
    known_by = max([final, *(e.announced for e in basis.extensions if e.announced)])
    assert basis.end_known_on(known_by) == final
    assert not basis.in_force(final + timedelta(days=1 + a))
    assert basis.in_force(START) or basis.end_known_on(START) is None


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    status=st.sampled_from(["standards_met", "standards_exceeded", "approaching_standards"]),
    until=st.none() | st.integers(0, 300),
    plan=st.integers(0, 300),
    on=days,
)
def test_a_record_reads_as_its_status_until_its_first_date_passes(
    status: str, until: int | None, plan: int, on: int
) -> None:
    planned = status == "approaching_standards"
    r = AssuranceRecord(
        party="gss:E09000011",
        scheme="dspt",
        status=status,
        effective_from=START,
        valid_until=None if until is None else START + timedelta(days=until),
        improvement_plan_until=START + timedelta(days=plan) if planned else None,
    )
    day = START + timedelta(days=on)
    ends = [d for d in (r.valid_until, r.improvement_plan_until) if d is not None]
    if not ends or day <= min(ends):
        assert effective_status(r, day) == status
    else:
        assert effective_status(r, day) in {"not_met", "not_published"}
