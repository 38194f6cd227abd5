"""``/api/deliveries``: what was delivered, with manifests. A recipient service sees only its
own party's deliveries; staff see those of agreements their party is a party to."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.errors import NotFound
from accord.server import auth
from accord.server.api.schemas import ERRORS, DeliveriesOut, ManifestOut
from accord.server.web import present
from accord.service import access
from accord.service import agreements as agreement_service

router = APIRouter(prefix="/api/deliveries", tags=["deliveries"], responses=ERRORS)


@router.get("", response_model=DeliveriesOut)
def list_deliveries(request: Request, user: auth.CurrentUser) -> DeliveriesOut:
    """Deliveries you may see, newest first (from the ledger's delivery-made events).

    Seen through each agreement's version in force: an amendment not yet active changes nothing.
    """
    ws = auth.workspace(request)
    items = present.deliveries(ws, user, agreement_service.all_in_force(ws))
    return DeliveriesOut(
        deliveries=[{k: v for k, v in d.items() if k != "manifest"} for d in items]
    )


@router.get("/{delivery_id:path}/manifest", response_model=ManifestOut)
def manifest(request: Request, delivery_id: str, user: auth.CurrentUser) -> ManifestOut:
    """The delivery's manifest (hashes and counts, never row values)."""
    ws = auth.workspace(request)
    found = access.visible_delivery(ws, user, delivery_id)
    for item in present.deliveries(ws, user, [found.version], with_manifests=True):
        if item["id"] == delivery_id and item["manifest"] is not None:
            return ManifestOut(
                delivery={k: v for k, v in item.items() if k != "manifest"},
                manifest=item["manifest"],
            )
    raise NotFound(f"no delivery {delivery_id}")
