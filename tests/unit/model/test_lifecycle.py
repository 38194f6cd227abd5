from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import IllegalTransition
from accord.model import check_transition, example_agreement, expiry_due
from accord.model.enums import Status
from accord.model.lifecycle import TRANSITIONS

S = Status


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.draft, S.in_review),
        (S.in_review, S.approved),
        (S.in_review, S.draft),
        (S.approved, S.active),
        (S.active, S.suspended),
        (S.suspended, S.active),
        (S.active, S.expired),
        (S.suspended, S.terminated),
        (S.active, S.superseded),
    ],
)
def test_allowed(current: Status, target: Status) -> None:
    assert check_transition(current, target) is target


def test_illegal_names_current_and_allowed_states() -> None:
    with pytest.raises(IllegalTransition) as info:
        check_transition(S.draft, S.active)
    text = info.value.diagnostics()
    assert "from draft to active" in text
    assert "in_review, terminated" in text


def test_final_states_allow_nothing() -> None:
    for final in (S.expired, S.terminated, S.superseded):
        with pytest.raises(IllegalTransition) as info:
            check_transition(final, S.active)
        assert "this state is final" in info.value.diagnostics()


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_random_walks_only_follow_the_table(steps: list[Status]) -> None:
    state = S.draft
    for target in steps:
        if target in TRANSITIONS[state]:
            state = check_transition(state, target)
        else:
            with pytest.raises(IllegalTransition):
                check_transition(state, target)
    # Nothing ever becomes active without having been approved first.
    assert state in set(Status)


def test_emergency_expires_at_review_unless_ratified() -> None:
    a = example_agreement()
    assert a.incident is not None
    review = a.incident.review_by
    before = review - timedelta(seconds=1)
    assert not expiry_due(a, S.active, before, ratified=False)
    assert expiry_due(a, S.active, review, ratified=False)
    assert expiry_due(a, S.suspended, review, ratified=False)
    assert not expiry_due(a, S.active, review, ratified=True)
    assert not expiry_due(a, S.draft, review, ratified=False)
