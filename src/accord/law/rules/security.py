"""Security: recipients of identifiable NHS data meet the agreement's minimum DSPT status.

A status meets the minimum when its rank (``data/dspt.yaml``, the toolkit's statuses since its
alignment with the NCSC Cyber Assessment Framework) is at least the minimum's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from accord.law.context import Context
from accord.law.findings import Finding, Severity

ANNUAL = timedelta(days=366)


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if not ctx.personal or not (ctx.health_discloser or a.confidential_patient_information):
        return
    minimum = ctx.registry.dspt(a.security.dspt_min)
    for party in ctx.receivers_all():
        field = ctx.party_field(party)
        status = ctx.registry.dspt(party.dspt_status)
        if status.rank < minimum.rank:
            yield ctx.finding(
                "dspt.recipient-below-min",
                Severity.blocking,
                f"{field}.dspt_status",
                f"{party.name}'s DSPT status is {status.label} ({status.status.value}); "
                f"identifiable NHS data needs at least {minimum.label} "
                f"({minimum.status.value}).",
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
