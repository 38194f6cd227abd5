"""``POST /api/deliveries/{id}/receipt``: a recipient acknowledges the manifest it received.

The recipient sends the SHA-256 of the manifest it holds. If it matches the hash the ledger
recorded for the delivery, accord appends a ``delivery-receipt`` event signed with the recipient
party's key: by the key accord keeps for the party, or, for a party that holds its own private
key, by the Ed25519 signature the party sends (over the event's signing bytes), which accord
checks before recording. Acknowledging twice returns the first receipt and records nothing new.

Only users of the recipient party may acknowledge, and only a delivery made under the
agreement's version in force (``access.received_delivery``); anything else gets 404, as if the
delivery did not exist.

Not yet in the committed OpenAPI document, so responses carry ``"unstable": true``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from accord.errors import Problem, VerificationError
from accord.ledger.events import DeliveryMade, DeliveryReceipt
from accord.ledger.log import LedgerEntry
from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import access
from accord.service._ledger import iso, record
from accord.workspace import Workspace

router = APIRouter(
    prefix="/api/deliveries", tags=["deliveries"], responses=ERRORS, include_in_schema=False
)


class ReceiptIn(BaseModel):
    manifest_sha256: str = Field(
        pattern="^[0-9a-f]{64}$", description="SHA-256 (hex) of the manifest.json you received"
    )
    signature: str | None = Field(
        None,
        description="Only for a party that holds its own key: base64 Ed25519 signature over the"
        " receipt event's signing bytes. Leave out to have accord sign with the party's key.",
    )


class ReceiptOut(BaseModel):
    ok: Literal[True] = True
    unstable: Literal[True] = True
    delivery_id: str
    recipient: str
    manifest_sha256: str
    signature: str
    event_id: str
    at: str
    new: bool = Field(description="False when the delivery had already been acknowledged")


def _delivery(
    ws: Workspace, party: str, delivery_id: str
) -> tuple[DeliveryMade, list[LedgerEntry]]:
    found = access.received_delivery(ws, party, delivery_id)
    return found.event, ws.ledger.entries_for_agreement(found.version.agreement_id)


def _out(entry: LedgerEntry, e: DeliveryReceipt, *, new: bool) -> ReceiptOut:
    return ReceiptOut(
        delivery_id=e.delivery_id,
        recipient=e.recipient,
        manifest_sha256=e.manifest_sha256,
        signature=e.signature,
        event_id=entry.event_id,
        at=e.at,
        new=new,
    )


@router.post("/{delivery_id:path}/receipt", response_model=ReceiptOut)
def acknowledge(
    request: Request, delivery_id: str, body: ReceiptIn, user: auth.CurrentUser
) -> ReceiptOut:
    """Acknowledge a delivery to your party: recorded in the ledger as a signed receipt."""
    auth.check_csrf(request, None)
    ws = auth.workspace(request)
    made, entries = _delivery(ws, user.party_org_id, delivery_id)
    if body.manifest_sha256 != made.manifest_sha256:
        raise VerificationError(
            "the manifest you hold is not the one delivered",
            [Problem("body.manifest_sha256", "does not match the ledger's record")],
        )
    for entry in entries:
        e = entry.event
        if isinstance(e, DeliveryReceipt) and e.delivery_id == delivery_id:
            if e.recipient == made.recipient:
                return _out(entry, e, new=False)
    receipt = DeliveryReceipt(
        agreement_id=made.agreement_id,
        agreement_version=made.agreement_version,
        agreement_hash=made.agreement_hash,
        at=iso(ws.clock.now()),
        delivery_id=delivery_id,
        recipient=made.recipient,
        manifest_sha256=made.manifest_sha256,
        signature=body.signature or "",
    )
    if body.signature:
        ws.keystore.public_keys().verify_event(receipt)
    else:
        receipt = ws.keystore.sign_event(receipt)
    (entry,) = record(ws, receipt)
    return _out(entry, receipt, new=True)
