"""Receipts outstanding: deliveries no recipient has acknowledged, and chasing them.

A delivery counts as received when the ledger holds a receipt of its manifest: the recipient's
signed ``delivery-receipt`` (``POST /api/deliveries/{id}/receipt``) or, for a delivery sent by
MESH, a ``push-acknowledged`` event (the recipient acknowledged the message that carried it;
:mod:`accord.service.push`). Either must name the manifest hash the ``delivery-made`` event
recorded. :func:`unreceived` lists the others under each agreement's version in force that the
recipient can see (an aggregate table only once released; not a push withdrawn before it was
sent, nor a delivery purged at the end of its retention), oldest first.

:func:`chase` (a step of ``accord sweep``) tells the recipient's SIRO and DPO, once per
delivery, when a delivery is still unreceived :attr:`~accord.service.lifecycle.Policy.chase_days`
days after it was made; the dashboard lists what is outstanding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.ledger.events import DeliveryMade, DeliveryPurged, DeliveryReceipt, PushAcknowledged
from accord.service import agreements, push, releases
from accord.service._notices import notify_once
from accord.workspace import Workspace

__all__ = ["DEFAULT_CHASE_DAYS", "Unreceived", "chase", "unreceived"]

DEFAULT_CHASE_DAYS = 3


@dataclass(frozen=True)
class Unreceived:
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    delivery_id: str
    recipient: str
    manifest_sha256: str
    made_at: datetime
    days: int  # whole days since it was made
    push_state: str | None  # how its push stands (queued, sent...), None for a pull-only flow


def unreceived(
    ws: Workspace,
    now: datetime | None = None,
    *,
    after_days: int = 0,
    agreement_ids: list[str] | None = None,
) -> list[Unreceived]:
    """Deliveries without a receipt of their manifest, made at least ``after_days`` ago."""
    now = now or ws.clock.now()
    wanted = None if agreement_ids is None else set(agreement_ids)
    pushes = {p.delivery_id: p.state for p in push.listing(ws)}
    out: list[Unreceived] = []
    for v in agreements.all_in_force(ws):
        if wanted is not None and v.agreement_id not in wanted:
            continue
        events = [e.event for e in ws.ledger.entries_for_agreement(v.agreement_id)]
        received = {
            (e.delivery_id, e.manifest_sha256)
            for e in events
            if isinstance(e, DeliveryReceipt | PushAcknowledged)
        }
        purged = {e.delivery_id for e in events if isinstance(e, DeliveryPurged)}
        made = [e for e in events if isinstance(e, DeliveryMade) and e.agreement_hash == v.hash]
        for e in releases.recipient_may_see(ws, v, made):
            state = pushes.get(e.delivery_id)
            if (e.delivery_id, e.manifest_sha256) in received or e.delivery_id in purged:
                continue
            if state == push.WITHDRAWN:
                continue
            made_at = datetime.fromisoformat(e.at)
            days = (now - made_at).days
            if days < after_days:
                continue
            out.append(
                Unreceived(
                    agreement_id=v.agreement_id,
                    agreement_version=v.version,
                    agreement_hash=v.hash,
                    delivery_id=e.delivery_id,
                    recipient=e.recipient,
                    manifest_sha256=e.manifest_sha256,
                    made_at=made_at,
                    days=days,
                    push_state=state,
                )
            )
    return sorted(out, key=lambda u: (u.made_at, u.delivery_id))


def chase(
    ws: Workspace, now: datetime | None = None, *, after_days: int = DEFAULT_CHASE_DAYS
) -> list[Unreceived]:
    """Tell each recipient, once per delivery, of a delivery unreceived after ``after_days``."""
    now = now or ws.clock.now()
    chased: list[Unreceived] = []
    for u in unreceived(ws, now, after_days=after_days):
        how = (
            "acknowledge the MESH message that carried it, or "
            if u.push_state in (push.SENT, push.QUEUED)
            else ""
        )
        told = False
        with ws.engine.begin() as conn:
            for role in ("siro", "dpo"):
                told |= notify_once(
                    conn,
                    agreement_id=u.agreement_id,
                    agreement_version=u.agreement_version,
                    agreement_hash=u.agreement_hash,
                    party=u.recipient,
                    role=role,
                    subject=f"Receipt outstanding: delivery {u.delivery_id}",
                    message=f"Delivery {u.delivery_id} (manifest {u.manifest_sha256}) was made "
                    f"{u.days} days ago and no receipt of it is recorded. Please {how}send a "
                    f"receipt of its manifest (POST /api/deliveries/{u.delivery_id}/receipt).",
                    now=now,
                )
        if told:
            chased.append(u)
    return chased
