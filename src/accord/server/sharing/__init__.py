"""accord.server.sharing: the Delta Sharing protocol for recipients, under ``/delta-sharing``.

A thin HTTP layer: what a party sees, how queries are planned, the signed file links and the
record of every access live in :mod:`accord.service.sharing` (and
:mod:`accord.service.sharing_links`); receipts in :mod:`accord.service.receipts`.

- :mod:`.routes` is the REST protocol (parquet and delta response formats);
- :mod:`.schema` describes an extract's Arrow schema in Delta's JSON schema;
- :mod:`.receipts` is ``POST /api/deliveries/{id}/receipt``, a recipient's signed
  acknowledgement of a manifest (unstable: not yet in the OpenAPI document).

It reads row data only to stream whole, already-enforced files; it never logs or parses rows.
Must not import ``accord.cli``.
"""

from __future__ import annotations

from fastapi import APIRouter

from accord.server.sharing import receipts, routes

router = APIRouter()
router.include_router(routes.router)
router.include_router(receipts.router)

__all__ = ["router"]
