"""``/api/deliveries``: what was delivered, with manifests. A recipient service sees only its
own party's deliveries; staff see those of agreements their party is a party to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from accord.errors import NotFound
from accord.server import auth
from accord.server.api.schemas import ERRORS, DeliveriesOut, ManifestOut
from accord.server.web import present
from accord.service import agreements as agreement_service

router = APIRouter(prefix="/api/deliveries", tags=["deliveries"], responses=ERRORS)


def _visible(request: Request, user: Any) -> list[dict[str, Any]]:
    ws = auth.workspace(request)
    if user.is_recipient_service:
        versions = [
            v
            for v in agreement_service.list_all(ws)
            if user.party_org_id in {f.recipient for f in v.agreement.flows}
        ]
    else:
        versions = auth.visible_agreements(ws, user)
    return present.deliveries(ws, user, versions)


@router.get("", response_model=DeliveriesOut)
def list_deliveries(request: Request, user: auth.CurrentUser) -> DeliveriesOut:
    """Deliveries you may see, newest first (from the ledger's delivery-made events)."""
    items = _visible(request, user)
    return DeliveriesOut(
        deliveries=[{k: v for k, v in d.items() if k != "manifest"} for d in items]
    )


@router.get("/{delivery_id:path}/manifest", response_model=ManifestOut)
def manifest(request: Request, delivery_id: str, user: auth.CurrentUser) -> ManifestOut:
    """The delivery's manifest (hashes and counts, never row values)."""
    ws = auth.workspace(request)
    for d in _visible(request, user):
        if d["id"] == delivery_id:
            found = present.deliveries(
                ws, user, [agreement_service.get(ws, d["agreement_id"])], with_manifests=True
            )
            for item in found:
                if item["id"] == delivery_id and item["manifest"] is not None:
                    return ManifestOut(delivery=d, manifest=item["manifest"])
    raise NotFound(f"no delivery {delivery_id}")
