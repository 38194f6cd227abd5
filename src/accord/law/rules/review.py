"""Emergency agreements are reviewed within 28 days and re-justified at the incident's review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import Mode

EMERGENCY_REVIEW_WITHIN = timedelta(days=28)


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    incident = a.incident
    if a.mode is not Mode.emergency or incident is None:
        return
    if a.review.review_date > incident.declared_at.date() + EMERGENCY_REVIEW_WITHIN:
        yield ctx.finding(
            "review.emergency-interval",
            Severity.warning,
            "review.review_date",
            "An emergency agreement should be reviewed within 28 days of the declaration.",
            "emergency.review",
        )
    if ctx.at >= incident.review_by.date():
        yield ctx.finding(
            "incident.review-due",
            Severity.warning,
            "incident.review_by",
            f"The incident's review date ({incident.review_by.date().isoformat()}) has come: "
            "re-justify, amend or end the agreement.",
            "emergency.review",
        )
