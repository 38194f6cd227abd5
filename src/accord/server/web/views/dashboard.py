"""The signed-in dashboard: agreements by status, approvals waiting for me, disputes with their
deadlines, recent deliveries and the deliveries no receipt names yet."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.model.enums import Status
from accord.server import auth
from accord.server.negotiation import render
from accord.server.web import present
from accord.server.web.views import lifecycle as lifecycle_views
from accord.service import approvals as approval_service
from accord.service import chasing
from accord.service.agreements import StoredVersion
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)


def agreement_href(agreement_id: str) -> str:
    return "/agreements/" + quote(agreement_id, safe=":")


def _unreceived(
    ws: Workspace, mine: list[StoredVersion], visible: set[str], names: dict[str, str]
) -> list[dict[str, Any]]:
    """Deliveries the user may see that no receipt names yet (chased after a few days)."""
    titles = {v.agreement_id: v.agreement.title for v in mine}
    return [
        {
            "id": u.delivery_id,
            "agreement_title": titles.get(u.agreement_id, u.agreement_id),
            "agreement_href": agreement_href(u.agreement_id),
            "recipient": u.recipient,
            "recipient_name": names.get(u.recipient),
            "made": u.made_at.isoformat(),
            "days": u.days,
            "push": u.push_state,
            "chased": u.days >= chasing.DEFAULT_CHASE_DAYS,
        }
        for u in chasing.unreceived(ws, agreement_ids=[v.agreement_id for v in mine])
        if u.delivery_id in visible
    ]


@router.get("/")
def dashboard(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    mine = auth.visible_agreements(ws, user)
    counts = Counter(v.status.value for v in mine)
    names = present.names_of(mine)
    deliveries = present.deliveries(ws, user, mine)
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
        "deliveries": deliveries[:10],
        "unreceived": _unreceived(ws, mine, {d["id"] for d in deliveries}, names),
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
