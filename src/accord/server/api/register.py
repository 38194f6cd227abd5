"""``/api/register``: the public register as JSON, CSV, the DEA 18 fields, ODRL and DCAT JSON-LD,
the tree-head feed, inclusion and consistency proofs. No sign-in, and nothing here writes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from accord.errors import NotFound
from accord.register import exports
from accord.register.rows import RegisterRow, RowFilter, published_agreement
from accord.server import auth
from accord.server.api.schemas import ERRORS, DeaOut, ProofOut, RegisterOut, TreeHeadOut
from accord.service import agreements as agreement_service
from accord.service.register import register_rows

router = APIRouter(prefix="/api/register", tags=["register"], responses=ERRORS)
JSON_LD = "application/ld+json"


def _rows(request: Request) -> list[RegisterRow]:
    return register_rows(auth.workspace(request), policy=request.app.state.publication)


def _filtered(request: Request, flt: RowFilter) -> list[RegisterRow]:
    return flt.apply(_rows(request))


def row_filter(
    q: str = "",
    status: str = "",
    mode: str = "",
    discloser: str = "",
    recipient: str = "",
    gateway: str = "",
    incident: str = "",
) -> RowFilter:
    """The register's search and filters from the query string (shared by the page and API)."""
    return RowFilter(q, status, mode, discloser, recipient, gateway, incident)


@router.get("", response_model=RegisterOut)
def register(request: Request, flt: RowFilter = Depends(row_filter)) -> RegisterOut:
    """One row per flow with the register columns; filters match exactly, ``q`` by words."""
    rows = _filtered(request, flt)
    return RegisterOut(**exports.rows_json(rows))


@router.get("/rows.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def register_csv(request: Request, flt: RowFilter = Depends(row_filter)) -> Response:
    """The same rows as CSV (RFC 4180); list columns are joined with '; '."""
    rows = _filtered(request, flt)
    return Response(
        exports.rows_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accord-register.csv"'},
    )


@router.get("/dea", response_model=DeaOut)
def dea(request: Request) -> DeaOut:
    """Each published agreement in the DEA Part 5 register's 18 fields."""
    return DeaOut(fields=list(exports.DEA_FIELDS), records=exports.dea_records(_rows(request)))


@router.get("/dea.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def dea_csv(request: Request) -> Response:
    """The DEA 18 fields as CSV."""
    return Response(
        exports.dea_csv(_rows(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accord-dea-register.csv"'},
    )


def _published(request: Request, agreement_id: str) -> tuple[Any, str]:
    row = published_agreement(_rows(request), agreement_id)[0]
    ws = auth.workspace(request)
    version = next(
        v for v in agreement_service.versions(ws, agreement_id) if v.hash == row.agreement_hash
    )
    return version.agreement, version.hash


@router.get(
    "/agreements/{agreement_id}/odrl",
    response_class=JSONResponse,
    responses={200: {"content": {JSON_LD: {}}}},
)
def odrl(request: Request, agreement_id: str) -> JSONResponse:
    """The published version as an ODRL 2.2 Agreement policy (JSON-LD)."""
    agreement, _ = _published(request, agreement_id)
    return JSONResponse(exports.odrl_policy(agreement), media_type=JSON_LD)


@router.get(
    "/agreements/{agreement_id}/dcat",
    response_class=JSONResponse,
    responses={200: {"content": {JSON_LD: {}}}},
)
def dcat(request: Request, agreement_id: str) -> JSONResponse:
    """The data the published version shares, as a DCAT Dataset with distributions (JSON-LD)."""
    agreement, digest = _published(request, agreement_id)
    return JSONResponse(exports.dcat_dataset(agreement, agreement_hash=digest), media_type=JSON_LD)


@router.get("/tree-head", response_model=TreeHeadOut)
def tree_head(request: Request) -> TreeHeadOut:
    """The latest signed tree head, with witness cosignatures, and the verifier key.

    Reading never signs: heads are signed on the instance's own schedule (``accord sweep``,
    ``accord ledger sign-head``), so the log may have grown past this head.
    """
    ws = auth.workspace(request)
    head = ws.ledger.latest_head()
    return TreeHeadOut(
        size=head.size if head else 0,
        root_hash=head.root_hash.hex() if head else None,
        timestamp=head.timestamp if head else None,
        checkpoint=head.to_text() if head else None,
        verifier_key=ws.keystore.instance_verifier().to_string(),
    )


@router.get("/tree-heads")
def tree_heads(request: Request) -> dict[str, Any]:
    """The tree-head feed: every head the instance has signed, oldest first, append-only."""
    heads = auth.workspace(request).ledger.heads()
    return {"ok": True, "heads": [{"size": h.size, "checkpoint": h.to_text()} for h in heads]}


@router.get(
    "/tree-heads.jsonl",
    response_class=Response,
    responses={200: {"content": {"application/jsonl": {}}}},
)
def tree_heads_file(request: Request) -> Response:
    """The same feed as a file to save (the ``tree-heads.jsonl`` of an export)."""
    heads = auth.workspace(request).ledger.heads()
    body = "".join(json.dumps({"size": h.size, "checkpoint": h.to_text()}) + "\n" for h in heads)
    return Response(
        body,
        media_type="application/jsonl",
        headers={"Content-Disposition": 'attachment; filename="accord-tree-heads.jsonl"'},
    )


@router.get(
    "/checkpoint", response_class=Response, responses={200: {"content": {"text/plain": {}}}}
)
def checkpoint(request: Request) -> Response:
    """The latest signed head as a checkpoint note (C2SP tlog-checkpoint), cosignatures included."""
    head = auth.workspace(request).ledger.latest_head()
    if head is None:
        raise NotFound("no tree head has been signed yet")
    return PlainTextResponse(head.to_text())


def _published_size(request: Request) -> int:
    head = auth.workspace(request).ledger.latest_head()
    return head.size if head else 0


@router.get("/consistency", response_model=ProofOut)
def consistency(
    request: Request,
    old: int = Query(ge=1, le=2**53),
    new: int = Query(ge=1, le=2**53),
) -> ProofOut:
    """An RFC 9162 consistency proof between any two sizes up to the latest signed head."""
    if old > new:
        raise NotFound(f"no consistency proof runs from size {old} down to size {new}")
    if new > _published_size(request):
        raise NotFound(f"no signed tree head covers size {new} yet")
    return ProofOut(proof=auth.workspace(request).ledger.consistency(old, new))


@router.get("/proofs/{event_id}", response_model=ProofOut)
def proof(request: Request, event_id: str, size: int | None = None) -> ProofOut:
    """An RFC 9162 inclusion proof of a public ledger event against a signed tree head.

    Against the head of ``size`` when given (any head in the feed), else the latest.
    """
    ws = auth.workspace(request)
    entry = ws.ledger.find(event_id)
    public = {r.agreement_id for r in _rows(request) if not r.withheld}
    if entry.event.agreement_id not in public:
        raise NotFound(f"no public ledger event {event_id}")
    return ProofOut(proof=ws.ledger.prove(event_id, size=size))
