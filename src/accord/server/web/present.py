"""Shaping other packages' results into page context: plain English, deliveries, disputes.

Only reshaping for display; every fact comes from the package that owns it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from accord.disputes.model import Dispute
from accord.engine.delivery import MANIFEST, slug
from accord.ledger.events import DeliveryMade
from accord.model import Agreement
from accord.register.plain_english import plain_english
from accord.service import disputes as dispute_service
from accord.service.agreements import StoredVersion
from accord.service.users import User
from accord.workspace import Workspace


def plain(agreement: Agreement) -> dict[str, Any]:
    doc = plain_english(agreement)
    return {
        "summary": doc.summary,
        "facts": [{"key": k, "value": v} for k, v in doc.facts],
        "sections": [
            {"heading": s.heading, "paragraphs": s.paragraphs, "bullets": s.items}
            for s in doc.sections
        ],
    }


def _manifest(ws: Workspace, event: DeliveryMade) -> dict[str, Any] | None:
    if not event.agreement_id or not event.run_id:
        return None
    folder = ws.deliveries_dir / slug(event.agreement_id) / slug(event.recipient)
    for path in folder.glob(f"*/{event.run_id}/{MANIFEST}"):
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return found
    return None


def deliveries(
    ws: Workspace, user: User, versions: list[StoredVersion], *, with_manifests: bool = False
) -> list[dict[str, Any]]:
    """Deliveries under these agreements that the user may see, newest first.

    A recipient service sees only deliveries to its own party.
    """
    out: list[dict[str, Any]] = []
    titles = {v.agreement_id: v.agreement.title for v in versions}
    for agreement_id in titles:
        for entry in ws.ledger.entries_for_agreement(agreement_id):
            e = entry.event
            if not isinstance(e, DeliveryMade):
                continue
            if user.is_recipient_service and e.recipient != user.party_org_id:
                continue
            item: dict[str, Any] = {
                "id": e.delivery_id,
                "agreement_id": agreement_id,
                "agreement_title": titles[agreement_id],
                "agreement_href": "/agreements/" + quote(agreement_id, safe=":"),
                "recipient": e.recipient,
                "row_count": e.row_count,
                "manifest_sha256": e.manifest_sha256,
                "run_id": e.run_id,
                "at": e.at,
                "event_id": entry.event_id,
            }
            if with_manifests:
                item["manifest"] = _manifest(ws, e)
            out.append(item)
    return sorted(out, key=lambda d: d["at"], reverse=True)


def time_left(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return "No deadline"
    left = deadline - now
    if left <= timedelta(0):
        return "Deadline passed"
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min"


def dispute_summary(d: Dispute, now: datetime) -> dict[str, Any]:
    return {
        "id": d.id,
        "href": f"/disputes/{d.id}",
        "agreement_id": d.agreement_id,
        "agreement_title": d.agreement_id,
        "flow_id": d.flow_id,
        "state": d.state.value,
        "tier": d.tier,
        "ground": d.ground.value,
        "raised_by": str(d.raised_by),
        "raised_at": d.raised_at.isoformat(),
        "deadline": d.deadline.isoformat() if d.deadline else None,
        "time_left": time_left(d.deadline, now) if d.is_open else "Closed",
        "open": d.is_open,
    }


def visible_disputes(ws: Workspace, user: User) -> list[Dispute]:
    """Disputes where the user's party is a side or the named arbiter."""
    return [
        d for d in dispute_service.list_disputes(ws) if user.party_org_id in (*d.parties, d.arbiter)
    ]
