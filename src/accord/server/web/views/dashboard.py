"""The signed-in dashboard: agreements by status, approvals waiting for me, and (as those
services exist) disputes with their deadlines and recent deliveries."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.model.enums import Status
from accord.server import auth
from accord.server.negotiation import render
from accord.server.web import present
from accord.server.web.views import lifecycle as lifecycle_views
from accord.service import approvals as approval_service

router = APIRouter(include_in_schema=False)


def agreement_href(agreement_id: str) -> str:
    return "/agreements/" + quote(agreement_id, safe=":")


@router.get("/")
def dashboard(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    mine = auth.visible_agreements(ws, user)
    counts = Counter(v.status.value for v in mine)
    names = present.names_of(mine)
    context = {
        "title": "Dashboard",
        "user": {**user.as_dict(), "party_name": names.get(user.party_org_id)},
        "by_status": [
            {"status": s.value, "count": counts[s.value]} for s in Status if counts[s.value]
        ],
        "agreements": [
            {
                "id": v.agreement_id,
                "href": agreement_href(v.agreement_id),
                "title": v.agreement.title,
                "status": v.status.value,
                "mode": v.agreement.mode.value,
                "version": v.version,
                "updated": v.created_at.isoformat(),
            }
            for v in mine
        ],
        "disputes": present.dispute_summaries(
            ws, [d for d in present.visible_disputes(ws, user) if d.is_open], ws.clock.now()
        ),
        "deliveries": present.deliveries(ws, user, mine)[:10],
        "deadlines": lifecycle_views.upcoming_for(ws, user, ws.clock.now().date()),
        "waiting_for_me": [
            {
                "id": v.agreement_id,
                "title": v.agreement.title,
                "version": v.version,
                "role": need.role.value,
                "href": agreement_href(v.agreement_id) + "/approve",
            }
            for v, need in approval_service.waiting_for(ws, user)
        ],
    }
    return render(request, "dashboard.html", context)
