"""Dispute pages: the list with countdowns to each deadline, and one dispute's ladder."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.errors import NotFound
from accord.server import auth
from accord.server.negotiation import render
from accord.server.web import present
from accord.service import disputes as dispute_service

router = APIRouter(include_in_schema=False)

DASHBOARD = {"text": "Dashboard", "href": "/"}
DISPUTES = {"text": "Disputes", "href": "/disputes"}


@router.get("/disputes")
def disputes_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    now = ws.clock.now()
    context = {
        "title": "Disputes",
        "breadcrumbs": [DASHBOARD, DISPUTES],
        "disputes": [present.dispute_summary(d, now) for d in present.visible_disputes(ws, user)],
    }
    return render(request, "disputes.html", context)


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, dispute_id: str, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    record = dispute_service.show(ws, dispute_id)
    d = record.dispute
    if user.party_org_id not in (*d.parties, d.arbiter):
        raise NotFound(f"no dispute {dispute_id}")
    summary = present.dispute_summary(d, ws.clock.now())
    context = {
        "title": f"Dispute {d.id}",
        "breadcrumbs": [DASHBOARD, DISPUTES, {"text": d.id}],
        "dispute": {
            **summary,
            "statement": d.statement,
            "subject": d.subject.value,
            "recipient": d.recipient,
            "discloser": d.discloser,
            "arbiter": d.arbiter,
            "disputed_fields": list(d.disputed_fields),
            "offers": [o.model_dump(mode="json") for o in d.offers],
            "decision": d.decision.model_dump(mode="json") if d.decision else None,
        },
        "steps": [
            {"seq": s.seq, "name": s.name, "at": s.at.isoformat(), "actor": s.actor}
            for s in record.steps
        ],
    }
    return render(request, "dispute.html", context)
