"""accord.server.sharing: the Delta Sharing protocol for recipients, under ``/delta-sharing``.

A recipient party pulls its own deliveries with the unchanged ``delta-sharing`` client:

- :mod:`.catalog` decides what a party sees (shares = active agreements it receives under,
  tables = its flows, versions = its deliveries) from the ledger and the delivery folders;
- :mod:`.schema` describes an extract's Arrow schema in Delta's JSON schema;
- :mod:`.urls` signs short-lived file URLs bound to the party, served by accord itself;
- :mod:`.routes` is the REST protocol; :mod:`.profile` writes a client profile file;
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
