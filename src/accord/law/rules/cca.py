"""Civil Contingencies Act: once a complete written request is on record, the discloser must
comply unless a refusal ground applies, and must give reasons if it refuses."""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.law.preconditions import CCA_FIELDS

CCA_GATEWAY = "cca_info_sharing"


def evaluate(ctx: Context) -> Iterator[Finding]:
    req = ctx.agreement.cca_request
    if CCA_GATEWAY not in ctx.gateway_ids or req is None or not req.in_writing:
        return
    if any(not (getattr(req, f) or "").strip() for f in CCA_FIELDS):
        return
    grounds = ", ".join(g.id for g in ctx.registry.cca_refusal_grounds)
    yield ctx.finding(
        "cca.duty-to-comply",
        Severity.info,
        "cca_request",
        "A complete written request is on record: the discloser must comply within a reasonable "
        f"time unless it refuses on a stated ground ({grounds}) with reasons, which the requester "
        "can escalate.",
        "cca.duty",
    )
