"""Security: recipients of identifiable NHS data meet the agreement's minimum DSPT status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import DsptStatus

RANK = {
    DsptStatus.not_published: 0,
    DsptStatus.not_met: 1,
    DsptStatus.approaching_standards: 2,
    DsptStatus.standards_met: 3,
    DsptStatus.standards_exceeded: 4,
}
ANNUAL = timedelta(days=366)


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if not ctx.personal or not (ctx.health_discloser or a.confidential_patient_information):
        return
    minimum = a.security.dspt_min
    for party in ctx.receivers_all():
        field = ctx.party_field(party)
        if RANK[party.dspt_status] < RANK[minimum]:
            yield ctx.finding(
                "dspt.recipient-below-min",
                Severity.blocking,
                f"{field}.dspt_status",
                f"{party.name}'s DSPT status is {party.dspt_status.value}; identifiable NHS data "
                f"needs at least {minimum.value}.",
                "dspt",
            )
        elif party.dspt_published and ctx.at - party.dspt_published > ANNUAL:
            yield ctx.finding(
                "dspt.stale",
                Severity.warning,
                f"{field}.dspt_published",
                f"{party.name}'s DSPT assessment was published on "
                f"{party.dspt_published.isoformat()}, more than a year ago.",
                "dspt.annual",
            )
