"""Activation: what must hold before an agreement goes live, and what falls due once it is.

:func:`activation_blockers` is asked before activation: every blocking finding of the law, and
every required approval not yet given. In an emergency a DPIA screening record and a due-by date
are enough; in routine mode a required DPIA must be complete.

:func:`due_actions` is a pure function the service layer runs on a clock tick: at the DPIA's
due-by date, an emergency agreement without a completed DPIA is suspended and each controller's
SIRO is told (scenario S13); two days before, the SIROs get a reminder. The service applies the
actions to the store and the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from accord.law.check import check
from accord.law.findings import Finding, Findings, Severity
from accord.model.agreement import Agreement
from accord.model.enums import ApprovalRole, Decision, DpiaStatus, Mode, PartyRole, Status
from accord.playbook.stages import playbook, required_approvals

REMIND_BEFORE = timedelta(days=2)
DPIA_CITATION = (
    "UK GDPR Art 35; accord emergency rule: provisional activation on a DPIA screening until the "
    "due-by date"
)
DPIA_URL = "https://www.legislation.gov.uk/eur/2016/679/article/35"


@dataclass(frozen=True)
class Suspend:
    reason: str
    citation: str
    source_url: str = DPIA_URL


@dataclass(frozen=True)
class Notify:
    party: str
    role: ApprovalRole
    message: str
    deadline: datetime | None = None


Action = Suspend | Notify


def dpia_deadline(agreement: Agreement) -> datetime | None:
    """The moment an emergency agreement's provisional DPIA falls due (start of the due date,
    UTC), or None when no completed DPIA is awaited."""
    d = agreement.dpia
    if agreement.mode is not Mode.emergency or d.status is DpiaStatus.complete or d.due_by is None:
        return None
    return datetime.combine(d.due_by, time.min, tzinfo=UTC)


def _controller_ids(agreement: Agreement) -> list[str]:
    return [p.org_id for p in agreement.parties if p.role is not PartyRole.processor]


def due_actions(agreement: Agreement, status: Status, now: datetime) -> list[Action]:
    """The actions due for ``agreement`` in ``status`` at ``now``."""
    if status is not Status.active:
        return []
    deadline = dpia_deadline(agreement)
    if deadline is None:
        return []
    day = agreement.dpia.due_by.isoformat() if agreement.dpia.due_by else ""
    if now >= deadline:
        reason = (
            f"The DPIA for {agreement.title} was due by {day} and is not complete; the "
            "provisional emergency activation has lapsed."
        )
        actions: list[Action] = [Suspend(reason, DPIA_CITATION)]
        actions += [
            Notify(org, ApprovalRole.siro, f"Suspended: {reason} Complete the DPIA to resume.")
            for org in _controller_ids(agreement)
        ]
        return actions
    if now >= deadline - REMIND_BEFORE:
        message = (
            f"The DPIA for {agreement.title} is due by {day}; without it the agreement will be "
            "suspended."
        )
        return [
            Notify(org, ApprovalRole.siro, message, deadline) for org in _controller_ids(agreement)
        ]
    return []


def _approved(agreement: Agreement, party: str, role: ApprovalRole) -> bool:
    return any(
        a.party == party
        and a.role is role
        and a.decision in {Decision.approve, Decision.approve_with_conditions}
        for a in agreement.approvals
    )


def activation_blockers(agreement: Agreement, now: datetime) -> Findings:
    """Blocking findings that stop activation at ``now``; empty means it may go live."""
    book = playbook()
    cite, url = book.sign_off.citation, book.sign_off.source_url
    out: list[Finding] = list(check(agreement, now.date()).blocking)
    for i, a in enumerate(agreement.approvals):
        if a.decision is Decision.reject:
            out.append(
                Finding(
                    "approval.rejected",
                    Severity.blocking,
                    f"approvals.{i}",
                    f"{a.role.value} of {a.party} rejected the agreement: {a.reasons}",
                    cite,
                    url,
                )
            )
    for req in required_approvals(agreement):
        if req.kind == "approve" and not _approved(agreement, req.party_org_id, req.role):
            name = agreement.party(req.party_org_id).name
            out.append(
                Finding(
                    "approval.missing",
                    Severity.blocking,
                    "approvals",
                    f"{name}'s {req.role.value.replace('_', ' ')} has not approved the agreement.",
                    cite,
                    url,
                )
            )
    return Findings(out)
