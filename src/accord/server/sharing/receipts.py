"""``POST /api/deliveries/{id}/receipt``: a recipient acknowledges the manifest it received.

Parsing and rendering only: :func:`accord.service.receipts.acknowledge` checks the hash,
signs or verifies the receipt and records it. Not yet in the committed OpenAPI document, so
responses carry ``"unstable": true``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from accord.ledger.events import DeliveryReceipt
from accord.ledger.log import LedgerEntry
from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import receipts

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
    got = receipts.acknowledge(
        ws, user.party_org_id, delivery_id, body.manifest_sha256, signature=body.signature
    )
    return _out(got.entry, got.event, new=got.new)
