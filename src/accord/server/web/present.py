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
from accord.service import access
from accord.service import agreements as agreement_service
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

    Which ones is :func:`accord.service.access.visible_deliveries`'s answer (by the version in
    force of each agreement); this only shapes them for display.
    """
    out: list[dict[str, Any]] = []
    ids = [v.agreement_id for v in versions]
    for d in access.visible_deliveries(ws, user, ids):
        e, agreement_id = d.event, d.version.agreement_id
        item: dict[str, Any] = {
            "id": e.delivery_id,
            "agreement_id": agreement_id,
            "agreement_title": d.version.agreement.title,
            "agreement_href": "/agreements/" + quote(agreement_id, safe=":"),
            "recipient": e.recipient,
            "recipient_name": party_names(d.version.agreement).get(e.recipient),
            "row_count": e.row_count,
            "manifest_sha256": e.manifest_sha256,
            "run_id": e.run_id,
            "at": e.at,
            "event_id": d.entry.event_id,
        }
        if with_manifests:
            item["manifest"] = _manifest(ws, e)
        out.append(item)
    return sorted(out, key=lambda d: d["at"], reverse=True)


def party_names(agreement: Agreement) -> dict[str, str]:
    """Each party's organisation id -> its name, as the agreement records it."""
    return {p.org_id: p.name for p in agreement.parties}


def names_of(versions: list[StoredVersion]) -> dict[str, str]:
    """Organisation id -> name across these agreements (the first that names it wins)."""
    found: dict[str, str] = {}
    for v in versions:
        for org_id, name in party_names(v.agreement).items():
            found.setdefault(org_id, name)
    return found


def time_left(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return "No deadline"
    left = deadline - now
    if left <= timedelta(0):
        return "Deadline passed"
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def countdown(deadline: datetime | None, now: datetime) -> dict[str, str] | None:
    """The time to a deadline as a tag: its words (``5 hours left``) and how near it is."""
    if deadline is None:
        return None
    left = deadline - now
    if left <= timedelta(0):
        return {"text": "Deadline passed", "urgency": "overdue"}
    hours = int(left.total_seconds()) // 3600
    if hours >= 48:
        text = _plural(hours // 24, "day") + " left"
    elif hours >= 1:
        text = _plural(hours, "hour") + " left"
    else:
        text = _plural(max(1, int(left.total_seconds()) // 60), "minute") + " left"
    urgency = "urgent" if hours < 1 else "soon" if hours < 4 else "later"
    return {"text": text, "urgency": urgency}


def dispute_summary(
    d: Dispute, now: datetime, agreement: Agreement | None = None
) -> dict[str, Any]:
    """A dispute's row in a table; with its ``agreement``, the title and the parties' names."""
    names = party_names(agreement) if agreement is not None else {}
    return {
        "id": d.id,
        "href": f"/disputes/{d.id}",
        "agreement_id": d.agreement_id,
        "agreement_title": agreement.title if agreement is not None else d.agreement_id,
        "agreement_href": "/agreements/" + quote(d.agreement_id, safe=":"),
        "recipient": d.recipient,
        "recipient_name": names.get(d.recipient),
        "discloser": d.discloser,
        "discloser_name": names.get(d.discloser),
        "raised_by_party": d.raised_by.party,
        "raised_by_party_name": names.get(d.raised_by.party),
        "flow_id": d.flow_id,
        "state": d.state.value,
        "tier": d.tier,
        "ground": d.ground.value,
        "raised_by": str(d.raised_by),
        "raised_at": d.raised_at.isoformat(),
        "deadline": d.deadline.isoformat() if d.deadline else None,
        "time_left": time_left(d.deadline, now) if d.is_open else "Closed",
        "countdown": countdown(d.deadline, now) if d.is_open else None,
        "open": d.is_open,
    }


def dispute_summaries(ws: Workspace, found: list[Dispute], now: datetime) -> list[dict[str, Any]]:
    """Table rows for ``found``, each named from the latest version of its agreement."""
    agreements: dict[str, Agreement] = {}
    for d in found:
        if d.agreement_id not in agreements:
            agreements[d.agreement_id] = agreement_service.get(ws, d.agreement_id).agreement
    return [dispute_summary(d, now, agreements[d.agreement_id]) for d in found]


def visible_disputes(ws: Workspace, user: User) -> list[Dispute]:
    """Disputes where the user's party is a side or the named arbiter."""
    return [
        d for d in dispute_service.list_disputes(ws) if user.party_org_id in (*d.parties, d.arbiter)
    ]
