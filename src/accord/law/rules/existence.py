"""Parties in existence: every recipient is a body that exists on the date of the check.

A council abolished in a reorganisation, or one whose code was changed, cannot receive anything:
its flow would route no record (or the wrong ones). With an organisation lookup in the context
(``Context.organisations``, passed in by ``accord.service``), each recipient that the lookup
knows and that does not exist on ``ctx.at`` draws a blocking ``recipient-not-in-existence``
finding naming the body in its place when the lookup knows it. Without a lookup, or for an
organisation the lookup does not know, nothing is said.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity

CODE = "recipient-not-in-existence"


def evaluate(ctx: Context) -> Iterator[Finding]:
    lookup = ctx.organisations
    if lookup is None:
        return
    for party in ctx.controller_recipients:
        found = lookup(party.org_id, ctx.at)
        if found is None or found.exists:
            continue
        if found.in_its_place:
            instead = " or ".join(found.in_its_place)
            advice = f"on that date {instead} stands in its place; name it instead (an amendment)"
        else:
            advice = "the packaged reference data names no body in its place"
        yield ctx.finding(
            CODE,
            Severity.blocking,
            f"{ctx.party_field(party)}.org_id",
            f"{party.name} ({party.org_id}) does not exist on {ctx.at.isoformat()}: {advice}.",
            "party.in-existence",
        )
