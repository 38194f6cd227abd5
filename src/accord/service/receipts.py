"""A recipient's signed acknowledgement of a delivery's manifest (``delivery-receipt``).

The recipient sends the SHA-256 of the manifest it holds. If it matches the hash the ledger
recorded for the delivery, accord appends a ``delivery-receipt`` event signed with the recipient
party's key: by the key accord keeps for the party, or, for a party that holds its own private
key, by the Ed25519 signature the party sends (over the event's signing bytes), which accord
checks before recording. Acknowledging twice returns the first receipt and records nothing new.

Only the recipient party may acknowledge, and only a delivery made under the agreement's
version in force (:func:`accord.service.access.received_delivery`); anything else is "not
found", as if the delivery did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.errors import Problem, VerificationError
from accord.ledger.events import DeliveryReceipt
from accord.ledger.log import LedgerEntry
from accord.service import access
from accord.service._ledger import iso, record
from accord.workspace import Workspace


@dataclass(frozen=True)
class Receipt:
    entry: LedgerEntry
    event: DeliveryReceipt
    new: bool  # False when the delivery had already been acknowledged


def acknowledge(
    ws: Workspace,
    party: str,
    delivery_id: str,
    manifest_sha256: str,
    *,
    signature: str | None = None,
) -> Receipt:
    """Record ``party``'s receipt of ``delivery_id`` (once), or return the one recorded."""
    found = access.received_delivery(ws, party, delivery_id)
    made = found.event
    if manifest_sha256 != made.manifest_sha256:
        raise VerificationError(
            "the manifest you hold is not the one delivered",
            [Problem("body.manifest_sha256", "does not match the ledger's record")],
        )
    for entry in ws.ledger.entries_for_agreement(found.version.agreement_id):
        e = entry.event
        if isinstance(e, DeliveryReceipt) and e.delivery_id == delivery_id:
            if e.recipient == made.recipient:
                return Receipt(entry, e, new=False)
    receipt = DeliveryReceipt(
        agreement_id=made.agreement_id,
        agreement_version=made.agreement_version,
        agreement_hash=made.agreement_hash,
        at=iso(ws.clock.now()),
        delivery_id=delivery_id,
        recipient=made.recipient,
        manifest_sha256=made.manifest_sha256,
        signature=signature or "",
    )
    if signature:
        ws.keystore.public_keys().verify_event(receipt)
    else:
        receipt = ws.keystore.sign_event(receipt)
    (entry,) = record(ws, receipt)
    return Receipt(entry, receipt, new=True)


__all__ = ["Receipt", "acknowledge"]
