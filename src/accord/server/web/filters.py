"""Jinja filters for presentation only: dates in GOV.UK style and tag colours for states."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment

# GOV.UK Frontend tag modifiers for each state a tag shows.
TAG_COLOURS = {
    "draft": "govuk-tag--grey",
    "in_review": "govuk-tag--blue",
    "approved": "govuk-tag--turquoise",
    "active": "govuk-tag--green",
    "suspended": "govuk-tag--orange",
    "expired": "govuk-tag--grey",
    "terminated": "govuk-tag--red",
    "superseded": "govuk-tag--grey",
    "withheld": "govuk-tag--yellow",
    "approve": "govuk-tag--green",
    "approve_with_conditions": "govuk-tag--turquoise",
    "reject": "govuk-tag--red",
    "abstain_advisory": "govuk-tag--grey",
    "waiting": "govuk-tag--yellow",
    "blocking": "govuk-tag--red",
    "warning": "govuk-tag--orange",
    "info": "govuk-tag--blue",
    "open": "govuk-tag--orange",
    "decided": "govuk-tag--green",
    "emergency": "govuk-tag--red",
    "routine": "govuk-tag--blue",
    "one_off": "govuk-tag--purple",
    # dispute states, the ladder's tiers and the countdown to a deadline
    "raised": "govuk-tag--blue",
    "narrowed": "govuk-tag--blue",
    "tier1": "govuk-tag--orange",
    "tier2": "govuk-tag--orange",
    "tier3": "govuk-tag--red",
    "provisional_default": "govuk-tag--yellow",
    "withdrawn": "govuk-tag--grey",
    "done": "govuk-tag--green",
    "current": "govuk-tag--blue",
    "missed": "govuk-tag--red",
    "passed": "govuk-tag--grey",
    "to_come": "govuk-tag--grey",
    "not_needed": "govuk-tag--grey",
    "overdue": "govuk-tag--red",
    "urgent": "govuk-tag--red",
    "soon": "govuk-tag--orange",
    "later": "govuk-tag--blue",
    # rights requests (service/rights.py): their states beside the deadline clock
    "upheld": "govuk-tag--green",
    "refused": "govuk-tag--grey",
    "answered": "govuk-tag--green",
    "lifted": "govuk-tag--grey",
}


def tag_class(value: object) -> str:
    return TAG_COLOURS.get(str(value), "govuk-tag--grey")


# Role and vocabulary words people write in capitals or with their own spelling.
_SPECIAL_WORDS = {
    "siro": "SIRO",
    "dpo": "DPO",
    "iao": "IAO",
    "ig_lead": "IG lead",
    "caldicott_guardian": "Caldicott Guardian",
    "dspt": "DSPT",
    "ndoo": "National data opt-out",
    "type1": "Type 1 opt-out",
    "tier1": "Tier 1",
    "tier2": "Tier 2",
    "tier3": "Tier 3",
}


def words(value: object) -> str:
    """``in_review`` -> ``In review``; ``siro`` -> ``SIRO``."""
    key = str(value)
    if key in _SPECIAL_WORDS:
        return _SPECIAL_WORDS[key]
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def govuk_datetime(value: object) -> str:
    """ISO time -> ``16 March 2026 at 9:00am`` (UTC); a date -> ``16 March 2026``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if isinstance(value, datetime):
        hour = value.hour % 12 or 12
        suffix = "am" if value.hour < 12 else "pm"
        return f"{value.day} {value:%B %Y} at {hour}:{value:%M}{suffix}"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def install(env: Environment) -> None:
    env.filters["tag_class"] = tag_class
    env.filters["words"] = words
    env.filters["govuk_datetime"] = govuk_datetime
