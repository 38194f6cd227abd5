"""Step 9: is a DPIA required, and is the agreement's DPIA record enough?

Triggers (``data/dpia_triggers.yaml``) are derived from the agreement by the named detectors of
:mod:`accord.law.detectors`. In an emergency a screening record and a due-by date allow provisional
activation; past the due-by date without a completed DPIA the agreement is blocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import DpiaStatus, Mode, RiskLevel

B = Severity.blocking
FULL_DPIA_WITHIN = timedelta(days=30)


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    fired = []
    for trig in ctx.registry.dpia_triggers:
        reason = ctx.registry.detector(trig.detector)(ctx)
        if reason:
            fired.append(trig)
            message = f"DPIA trigger: {trig.title}: {reason}."
            yield ctx.finding("dpia.trigger", Severity.info, "dpia", message, trig)
    d = a.dpia
    if not fired:
        if d.status is not DpiaStatus.complete:
            yield ctx.finding(
                "dpia.recommended",
                Severity.info,
                "dpia.status",
                "No mandatory DPIA trigger applies; the ICO still recommends a DPIA for sharing.",
                "art35.recommended",
            )
        return
    names = "; ".join(t.title.lower() for t in fired)
    if d.status is DpiaStatus.complete:
        if d.residual_risk is RiskLevel.high and not d.art36_consulted:
            yield ctx.finding(
                "dpia.art36",
                B,
                "dpia.art36_consulted",
                "The DPIA leaves a high residual risk: consult the ICO before processing.",
                "art36",
            )
        return
    if d.status is DpiaStatus.not_required_screened:
        yield ctx.finding(
            "dpia.required",
            B,
            "dpia.status",
            f"The DPIA was screened out, but it is required: {names}.",
            "art35",
        )
        return
    if a.mode is not Mode.emergency:
        yield ctx.finding(
            "dpia.required",
            B,
            "dpia.status",
            f"A DPIA is required ({names}) and must be complete before the processing starts.",
            "art35",
        )
        return
    missing = [n for n, v in (("due_by", d.due_by), ("screening_ref", d.screening_ref)) if not v]
    if d.status is DpiaStatus.in_progress and d.due_by:
        missing = []
    if missing:
        yield ctx.finding(
            "dpia.provisional-incomplete",
            B,
            "dpia",
            "Emergency activation without a completed DPIA needs a screening record and a due-by "
            "date; missing: " + ", ".join(missing) + ".",
            "art35.emergency",
        )
        return
    due_by = d.due_by
    if due_by is None:  # pragma: no cover - in_progress without due_by is caught above
        return
    if ctx.at >= due_by:
        yield ctx.finding(
            "dpia.overdue",
            B,
            "dpia.due_by",
            f"The DPIA was due by {due_by.isoformat()} and is not complete: the agreement is "
            "suspended until it is.",
            "art35.emergency",
        )
        return
    yield ctx.finding(
        "dpia.required",
        Severity.warning,
        "dpia.status",
        f"A DPIA is required ({names}); emergency activation is provisional on the screening "
        f"record until the full DPIA is complete, due by {due_by.isoformat()}.",
        "art35.emergency",
    )
    incident = a.incident
    if incident is not None and due_by > incident.declared_at.date() + FULL_DPIA_WITHIN:
        yield ctx.finding(
            "dpia.due-by-late",
            Severity.warning,
            "dpia.due_by",
            "The full DPIA is due more than 30 days after the incident was declared.",
            "art35.emergency",
        )
