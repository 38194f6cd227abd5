from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accord.disputes.ladder import (
    CROSS_GOVERNMENT_ARBITER,
    HEALTH_ARBITER,
    add_working_days,
    bank_holidays,
    deadline,
    deciders,
    designated_arbiter,
    ladder_end,
)
from accord.disputes.model import ActorRole
from accord.errors import ConfigError, InputError
from accord.model import example_agreement
from accord.model.enums import Mode

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def test_emergency_deadlines_are_counted_from_the_raise() -> None:
    assert [deadline(Mode.emergency, T0, t) - T0 for t in (1, 2, 3)] == [
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=24),
    ]
    assert ladder_end(Mode.emergency, T0) == T0 + timedelta(hours=24)


def test_routine_tier_is_fifteen_working_days_skipping_easter() -> None:
    # Monday 30 March 2026, 10:00 BST. Good Friday (3 April) and Easter Monday (6 April) fall in
    # the window, so day 15 is Wednesday 22 April, not Monday 20 April.
    raised = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert deadline(Mode.routine, raised, 1) == datetime(2026, 4, 22, 9, 0, tzinfo=UTC)
    assert deadline(Mode.one_off, raised, 1) == deadline(Mode.routine, raised, 1)


def test_routine_ladder_is_fifteen_working_days_a_tier() -> None:
    raised = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # no bank holiday until 31 August
    assert deadline(Mode.routine, raised, 1) == datetime(2026, 6, 22, 8, 0, tzinfo=UTC)
    assert deadline(Mode.routine, raised, 2) == datetime(2026, 7, 13, 8, 0, tzinfo=UTC)
    assert ladder_end(Mode.routine, raised) == datetime(2026, 8, 3, 8, 0, tzinfo=UTC)


def test_working_days_keep_the_london_time_of_day_across_the_clock_change() -> None:
    # Friday 27 March 2026 09:00 GMT; the clocks go forward on Sunday 29 March.
    start = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    assert add_working_days(start, 1) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_christmas_substitute_days_are_not_working_days() -> None:
    # Thursday 24 December 2026: 25th is Friday, Boxing Day's substitute is Monday 28th.
    start = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    assert add_working_days(start, 1) == datetime(2026, 12, 29, 12, 0, tzinfo=UTC)


def test_a_deadline_beyond_the_bank_holiday_data_is_refused_not_guessed() -> None:
    with pytest.raises(ConfigError) as err:
        deadline(Mode.routine, datetime(2027, 12, 20, 9, 0, tzinfo=UTC), 3)
    assert "2028" in err.value.message


def test_naive_times_and_negative_counts_are_refused() -> None:
    with pytest.raises(InputError):
        add_working_days(datetime(2026, 1, 5, 9, 0), 1)
    with pytest.raises(InputError):
        add_working_days(T0, -1)
    with pytest.raises(InputError):
        deadline(Mode.emergency, T0, 4)


def _easter(year: int) -> date:
    """Anonymous Gregorian computus (Meeus/Jones/Butcher), independent of the data file."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _mondays(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    days = [first + timedelta(days=n) for n in range(31)]
    return [d for d in days if d.month == month and d.weekday() == 0]


def _statutory(year: int) -> set[date]:
    """England and Wales bank holidays by the usual rules, with weekend substitutes."""
    easter = _easter(year)
    out = {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _mondays(year, 5)[0],
        _mondays(year, 5)[-1],
        _mondays(year, 8)[-1],
    }
    new_year = date(year, 1, 1)
    out.add(new_year + timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: both move to Monday and Tuesday
        out |= {christmas + timedelta(days=2), boxing + timedelta(days=2)}
    elif christmas.weekday() == 6:  # Sunday: Christmas to Tuesday, Boxing Day stays Monday
        out |= {boxing, christmas + timedelta(days=2)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day (Saturday) moves to Monday
        out |= {christmas, boxing + timedelta(days=2)}
    else:
        out |= {christmas, boxing}
    return out


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_shipped_bank_holidays_match_the_rules(year: int) -> None:
    # 2024-2027 have no one-off (coronation, jubilee, funeral) bank holidays.
    assert {d for d in bank_holidays() if d.year == year} == _statutory(year)


def test_deciders_per_tier() -> None:
    assert deciders(0, confidential_patient_information=False) == (ActorRole.system,)
    assert deciders(1, confidential_patient_information=True) == (ActorRole.ig_lead, ActorRole.dpo)
    assert deciders(2, confidential_patient_information=False) == (ActorRole.siro,)
    assert deciders(2, confidential_patient_information=True) == (
        ActorRole.siro,
        ActorRole.caldicott_guardian,
    )
    assert deciders(3, confidential_patient_information=False) == (ActorRole.arbiter,)
    with pytest.raises(InputError):
        deciders(4, confidential_patient_information=False)


def test_designated_arbiter() -> None:
    a = example_agreement()
    assert designated_arbiter(a) == HEALTH_ARBITER  # confidential patient information
    assert designated_arbiter(a, "gov-org:cabinet-office") == CROSS_GOVERNMENT_ARBITER
    incident = a.incident.model_copy(update={"arbiter": "gov-org:lrf-scg-chair"})
    assert designated_arbiter(a.model_copy(update={"incident": incident})) == (
        "gov-org:lrf-scg-chair"
    )
    with pytest.raises(InputError):
        designated_arbiter(a, "not an org")
    # Incidents often describe their arbiter in words (as the playbook's examples do).
    for text, org in [
        ("DHSC (power to issue a COPI regulation 3(4) notice)", HEALTH_ARBITER),
        ("Cabinet Office COBR data cell", CROSS_GOVERNMENT_ARBITER),
        ("the SCG chair", HEALTH_ARBITER),  # unknown words: the data decides (health here)
    ]:
        worded = a.incident.model_copy(update={"arbiter": text})
        assert designated_arbiter(a.model_copy(update={"incident": worded})) == org
