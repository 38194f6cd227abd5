"""Dispute pages: the list with countdowns to each deadline, and one dispute with its ladder,
both parties' final offers, the decision and its reasons, and the actions people can take.

The actions themselves (raise, offer, decide, withdraw) are question pages in
:mod:`accord.server.web.views.dispute_forms`, whose routes this router carries.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.disputes import ladder
from accord.disputes.model import ActorRole, Dispute, Terms
from accord.server import auth
from accord.server.negotiation import render
from accord.server.web import present
from accord.server.web.filters import words
from accord.server.web.views import dispute_forms
from accord.server.web.views.dispute_forms import GROUNDS, actor_text, compared, party, terms_view
from accord.service.users import User

router = APIRouter(include_in_schema=False)
router.include_router(dispute_forms.router)

DASHBOARD = {"text": "Dashboard", "href": "/"}
DISPUTES = {"text": "Disputes", "href": "/disputes"}
STEP_WORDS = {
    "dispute-raised": "Raised",
    "dispute-offer": "Final offer",
    "dispute-narrowed": "Flow narrowed (tier 0)",
    "dispute-escalated": "Escalated",
    "dispute-expired": "Deadline missed",
    "dispute-decided": "Decided",
}


@router.get("/disputes")
def disputes_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    rows = present.dispute_summaries(ws, present.visible_disputes(ws, user), ws.clock.now())
    for row in rows:
        row["ground_text"] = GROUNDS[row["ground"]][0]
    context = {
        "title": "Disputes",
        "breadcrumbs": [DASHBOARD, DISPUTES],
        "disputes": rows,
    }
    return render(request, "disputes.html", context)


def _deciders(d: Dispute, tier: int, names: dict[str, str]) -> str:
    """Who decides at ``tier``, in words (from the ladder, never decided here)."""
    if tier == 0:
        return "accord's rules engine narrows the flow at once"
    roles = ladder.deciders(
        tier, confidential_patient_information=d.confidential_patient_information
    )
    if roles == (ActorRole.arbiter,):
        return "The arbiter for the incident: " + (party(d.arbiter, names)["name"] or d.arbiter)
    return " or ".join(words(r.value) for r in roles) + " of both parties"


def _ladder(d: Dispute, names: dict[str, str]) -> list[dict[str, Any]]:
    """The tiers with who decides, the deadline fixed at the raise, and where the dispute is."""
    rows = []
    for tier in range(ladder.TOP_TIER + 1):
        if tier == 0:
            status = "done" if d.tier > 0 or not d.is_open else "current"
            due = d.raised_at
        else:
            due = ladder.deadline(d.mode, d.raised_at, tier)
            if tier in d.missed:
                status = "missed"
            elif d.decision is not None and d.decision.tier == tier and d.state.value == "decided":
                status = "done"
            elif d.tier == tier:
                status = "current" if d.is_open else "ended"
            elif tier < d.tier:
                status = "passed"
            else:
                status = "to_come" if d.is_open else "not_needed"
        text = {
            "done": "Decided" if tier else "Done",
            "current": "Now",
            "missed": "Deadline missed",
            "passed": "Escalated",
            "to_come": "To come",
            "not_needed": "Not needed",
            "ended": words(d.state.value),
        }[status]
        rows.append(
            {
                "tier": tier,
                "who": _deciders(d, tier, names),
                "deadline": due.isoformat(),
                "status": status,
                "status_text": text,
            }
        )
    return rows


def _actions(d: Dispute, user: User) -> list[dict[str, Any]]:
    """Links to the steps the user's party might take; the service decides if they may."""
    if not d.is_open:
        return []
    base = f"/disputes/{d.id}"
    out = []
    if user.party_org_id in d.parties:
        out.append({"text": "Make your final offer", "href": base + "/offer", "secondary": False})
    if user.party_org_id in (*d.parties, d.arbiter):
        out.append({"text": "Decide", "href": base + "/decide", "secondary": d.tier < 3})
    if user.party_org_id == d.raised_by.party:
        out.append({"text": "Withdraw the dispute", "href": base + "/withdraw", "warning": True})
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _named(text: str, d: Dispute, names: dict[str, str]) -> str:
    """Recorded text (``Gita DPO (dpo of gss:E09000011)``) with the organisations in words."""
    for org_id in (*d.parties, d.arbiter):
        text = text.replace(org_id, party(org_id, names)["name"] or org_id)
    return text.replace(" (system of gov-org:accord)", "")


def _final_offer(d: Dispute, side: str, terms: Terms, names: dict[str, str]) -> dict[str, Any]:
    made = d.offer_of(side)
    return {
        "party": party(side, names),
        "compared": compared(terms, d.original),
        "made_by": actor_text(made.made_by, names) if made else None,
        "made_at": made.made_at.isoformat() if made else None,
        "note": made.note if made else "",
        "terms": terms_view(terms),
    }


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, dispute_id: str, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    record = dispute_forms.visible_dispute(ws, user, dispute_id)
    d = record.dispute
    a = dispute_forms.dispute_agreement(ws, d)
    names = present.party_names(a)
    summary = present.dispute_summary(d, ws.clock.now(), a)
    finals = d.final_terms()
    decision = None
    if d.decision is not None:
        decision = {
            **d.decision.model_dump(mode="json"),
            "decider_name": d.decision.decider.name,
            "decider_role": d.decision.decider.role.value,
            "decider_party": party(d.decision.decider.party, names),
            "decider_text": actor_text(d.decision.decider, names),
            "outcome_text": _sentence(_named(d.decision.outcome, d, names)),
            "chosen": party(d.decision.chosen_party, names) if d.decision.chosen_party else None,
            "terms_view": terms_view(d.decision.terms),
        }
    context = {
        "title": f"Dispute {d.id}",
        "breadcrumbs": [DASHBOARD, DISPUTES, {"text": d.id}],
        "dispute": {
            **summary,
            "ground_text": GROUNDS[d.ground][0],
            "statement": d.statement,
            "subject": d.subject.value,
            "recipient": d.recipient,
            "discloser": d.discloser,
            "arbiter": d.arbiter,
            "parties": {
                "recipient": party(d.recipient, names),
                "discloser": party(d.discloser, names),
                "arbiter": party(d.arbiter, names),
            },
            "heading": "Dispute about the flow to "
            + (party(d.recipient, names)["name"] or d.recipient),
            "raised_by_actor": {
                "name": d.raised_by.name,
                "role": d.raised_by.role.value,
                "party": party(d.raised_by.party, names),
            },
            "disputed_fields": list(d.disputed_fields),
            "offers": [o.model_dump(mode="json") for o in d.offers],
            "decision": d.decision.model_dump(mode="json") if d.decision else None,
        },
        "current": terms_view(d.current),
        "original": terms_view(d.original),
        "final_offers": [_final_offer(d, side, finals[side], names) for side in d.parties],
        "decision": decision,
        "ladder": _ladder(d, names),
        "actions": _actions(d, user),
        "steps": [
            {
                "seq": s.seq,
                "name": s.name,
                "what": STEP_WORDS.get(s.name, words(s.name)),
                "at": s.at.isoformat(),
                "actor": s.actor,
                "actor_text": _named(s.actor, d, names),
            }
            for s in record.steps
        ],
    }
    return render(request, "dispute.html", context)
