"""Agreements are reviewed by their review date; emergency ones within 28 days and re-justified at
the incident's review.

Past ``review.review_date`` the review is overdue (``review.overdue``, a warning): the playbook's
stage 12 gives the review decision (continue, amend, suspend or end) to the SIRO, so accord does
not decide it; the daily sweep tells the owners (``accord.service.lifecycle``). An emergency
agreement not ratified by its incident's ``review_by`` expires by itself (``model.expiry_due``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import Mode

EMERGENCY_REVIEW_WITHIN = timedelta(days=28)
OVERDUE = "review.overdue"


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if ctx.at > a.review.review_date:
        yield ctx.finding(
            OVERDUE,
            Severity.warning,
            "review.review_date",
            f"The agreement's review was due on {a.review.review_date.isoformat()} and is "
            "overdue: its SIRO decides whether to continue, amend, suspend or end it, and a new "
            "version records the next review date.",
            "agreement.review",
        )
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
