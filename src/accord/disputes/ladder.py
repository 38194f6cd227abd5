"""The ladder: who decides at each tier, and by when (domain/rules.md §f.2).

============  ===========================================  ==================  ===================
tier          deciders                                     emergency deadline  routine deadline
============  ===========================================  ==================  ===================
0             the rules engine (tier-0 narrowing)          at once             at once
1             IG leads and DPOs of both parties            raise + 2 h         + 15 working days
2             SIROs (and Caldicott Guardians where the     raise + 4 h         + 30 working days
              flow carries confidential patient info)
3             the designated arbiter for the incident      raise + 24 h        + 45 working days
============  ===========================================  ==================  ===================

Emergency deadlines are counted from the raise, as in the §f.2 table; routine (and one-off) mode
gives each tier 15 working days in the NHS Standard Contract GC14 pattern, so a tier's deadline is
``15 x tier`` working days after the raise. The schedule is fixed when the dispute is raised:
escalating early never extends a later tier's deadline, so every dispute ends by
:func:`ladder_end`.

Working days skip Saturdays, Sundays and England and Wales bank holidays, counted on the date in
Europe/London. The bank holidays are data, not a computation: ``data/bank-holidays-england-and-
wales.json`` holds the england-and-wales division of the GOV.UK feed
(https://www.gov.uk/bank-holidays.json) for 2024 to 2027. A deadline that would need a year
outside the file raises :class:`~accord.errors.ConfigError` rather than guess.

>>> from datetime import UTC, datetime
>>> from accord.model.enums import Mode
>>> # Raised Thursday 2026-04-02 10:00 BST; Good Friday and Easter Monday are not working days.
>>> add_working_days(datetime(2026, 4, 2, 9, 0, tzinfo=UTC), 1).isoformat()
'2026-04-07T09:00:00+00:00'
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from accord.disputes.model import ActorRole
from accord.errors import ConfigError, InputError, Problem
from accord.model.agreement import Agreement
from accord.model.enums import HEALTH_AND_CARE_TYPES, Mode
from accord.model.ids import parse_org_id

LONDON = ZoneInfo("Europe/London")
TOP_TIER = 3
EMERGENCY_OFFSETS = {1: timedelta(hours=2), 2: timedelta(hours=4), 3: timedelta(hours=24)}
ROUTINE_WORKING_DAYS_PER_TIER = 15
BANK_HOLIDAYS_FILE = "bank-holidays-england-and-wales.json"

HEALTH_ARBITER = "gov-org:department-of-health-and-social-care"
CROSS_GOVERNMENT_ARBITER = "gov-org:cabinet-office"


@cache
def _holiday_data() -> tuple[frozenset[date], frozenset[int]]:
    raw = json.loads(
        (resources.files("accord.disputes") / "data" / BANK_HOLIDAYS_FILE).read_text("utf-8")
    )
    days = frozenset(date.fromisoformat(e["date"]) for e in raw["events"])
    return days, frozenset(d.year for d in days)


def bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays in the shipped GOV.UK data."""
    return _holiday_data()[0]


def is_working_day(day: date) -> bool:
    days, years = _holiday_data()
    if day.year not in years:
        raise ConfigError(
            f"no England and Wales bank holiday data for {day.year}",
            [
                Problem(
                    f"accord/disputes/data/{BANK_HOLIDAYS_FILE}",
                    f"covers {min(years)}-{max(years)}; add the year from the GOV.UK feed",
                )
            ],
        )
    return day.weekday() < 5 and day not in days


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local time of day ``days`` working days after ``start`` (Europe/London dates)."""
    if start.tzinfo is None:
        raise InputError("a deadline needs a timezone-aware time", [Problem("start", "naive")])
    if days < 0:
        raise InputError("cannot count working days backwards", [Problem("days", str(days))])
    local = start.astimezone(LONDON)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=LONDON)
    return moved.astimezone(start.tzinfo)


def deadline(mode: Mode, raised_at: datetime, tier: int) -> datetime:
    """When tier ``tier`` (1-3) must have decided, for a dispute raised at ``raised_at``."""
    if tier not in EMERGENCY_OFFSETS:
        raise InputError(f"there is no tier {tier} deadline", [Problem("tier", "1, 2 or 3")])
    if mode is Mode.emergency:
        return raised_at + EMERGENCY_OFFSETS[tier]
    return add_working_days(raised_at, ROUTINE_WORKING_DAYS_PER_TIER * tier)


def ladder_end(mode: Mode, raised_at: datetime) -> datetime:
    """The latest a dispute can stay open: the top tier's deadline."""
    return deadline(mode, raised_at, TOP_TIER)


def deciders(tier: int, *, confidential_patient_information: bool) -> tuple[ActorRole, ...]:
    """The roles that decide at ``tier`` (0 is the rules engine itself)."""
    if tier == 0:
        return (ActorRole.system,)
    if tier == 1:
        return (ActorRole.ig_lead, ActorRole.dpo)
    if tier == 2:
        if confidential_patient_information:
            return (ActorRole.siro, ActorRole.caldicott_guardian)
        return (ActorRole.siro,)
    if tier == TOP_TIER:
        return (ActorRole.arbiter,)
    raise InputError(f"there is no tier {tier}", [Problem("tier", "0, 1, 2 or 3")])


_NAMED_ARBITERS = (
    (("dhsc", "department of health", "nhse", "nhs england", "copi"), HEALTH_ARBITER),
    (("cabinet office", "cobr", "data cell"), CROSS_GOVERNMENT_ARBITER),
)


def designated_arbiter(agreement: Agreement, override: str | None = None) -> str:
    """The tier-3 arbiter's organisation id (§f.2 tier 3).

    An explicit ``override`` must be an organisation id. Otherwise the incident's arbiter is used:
    an organisation id as given, or a description naming DHSC/NHS England or the Cabinet Office.
    Failing those, the data decides: health and public-health data go to DHSC (which can issue
    a COPI reg 3(4) notice), anything else to the Cabinet Office (cross-government data cell).
    """
    if override:
        try:
            return parse_org_id(override)
        except ValueError as exc:
            raise InputError(
                "the arbiter must be an organisation id", [Problem("arbiter", str(exc))]
            ) from None
    named = agreement.incident.arbiter if agreement.incident else None
    if named:
        try:
            return parse_org_id(named)
        except ValueError:
            text = named.lower()
            for words, org in _NAMED_ARBITERS:
                if any(w in text for w in words):
                    return org
    health = agreement.confidential_patient_information or any(
        p.org_type in HEALTH_AND_CARE_TYPES for p in agreement.disclosers
    )
    return HEALTH_ARBITER if health else CROSS_GOVERNMENT_ARBITER
