"""``/api/rights``: people's rights requests on the statutory clock, and the per-person lookup.

Thin over :mod:`accord.service.rights`, which decides who may receive, see, decide and look up
(a handler, the ``dpo`` role, of a party). The NHS number travels only in a request body, never
in a URL; answers name the person by keyed hash only. Lookups are rate-limited per account.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import rights

router = APIRouter(prefix="/api/rights", tags=["rights"], responses=ERRORS)


class ReceiveIn(BaseModel):
    agreement_id: str
    kind: Literal["access", "objection", "rectification", "erasure", "restriction"]
    nhs_number: str = Field(description="The person's NHS number (stored as a keyed hash only)")
    received_on: date | None = Field(None, description="Default: today")
    note: str | None = Field(None, description="The handler's own note; never in the ledger")


class DecisionIn(BaseModel):
    decision: Literal["extend", "uphold", "refuse", "answer", "lift"]
    note: str | None = None


class LookupIn(BaseModel):
    nhs_number: str = Field(description="Ten digits with a valid check digit; spaces allowed")


class RequestOut(BaseModel):
    ok: Literal[True] = True
    request: dict[str, Any]


class RequestsOut(BaseModel):
    ok: Literal[True] = True
    requests: list[dict[str, Any]]


class LookupOut(BaseModel):
    ok: Literal[True] = True
    person: str = Field(description="The keyed hash the ledger records the lookup under")
    deliveries: list[dict[str, Any]]


def _today(request: Request) -> date:
    return auth.workspace(request).clock.now().date()


@router.get("/requests", response_model=RequestsOut)
def list_requests(
    request: Request, user: auth.StaffUser, state: str | None = Query(None)
) -> RequestsOut:
    """Requests your party received or leads, soonest due first, with days left."""
    user.require_role(rights.HANDLER)
    found = rights.list_requests(auth.workspace(request), user, state=state)
    return RequestsOut(requests=[r.as_dict(_today(request)) for r in found])


@router.post("/requests", response_model=RequestOut, status_code=201)
def receive(request: Request, user: auth.StaffUser, body: ReceiveIn) -> RequestOut:
    """Record a request your party received: routed to the lead party, due in one month."""
    auth.check_csrf(request, None)
    r = rights.receive(
        auth.workspace(request),
        user,
        body.agreement_id,
        body.kind,
        body.nhs_number,
        received_on=body.received_on,
        note=body.note,
    )
    return RequestOut(request=r.as_dict(_today(request)))


@router.get("/requests/{request_id}", response_model=RequestOut)
def show(request: Request, user: auth.StaffUser, request_id: str) -> RequestOut:
    """One request your party received or leads."""
    r = rights.get(auth.workspace(request), user, request_id)
    return RequestOut(request=r.as_dict(_today(request)))


@router.post("/requests/{request_id}/decisions", response_model=RequestOut, status_code=201)
def decide(request: Request, user: auth.StaffUser, request_id: str, body: DecisionIn) -> RequestOut:
    """As the lead party's handler: extend, uphold, refuse, answer, or lift a suppression."""
    auth.check_csrf(request, None)
    r = rights.decide(auth.workspace(request), user, request_id, body.decision, note=body.note)
    return RequestOut(request=r.as_dict(_today(request)))


@router.post("/lookup", response_model=LookupOut)
def lookup(request: Request, user: auth.StaffUser, body: LookupIn) -> LookupOut:
    """Which deliveries of your party's agreements included a person; a ledger event, refused
    ones too. Only a handler of a party may; rate-limited per account."""
    auth.check_csrf(request, None)
    auth.limiter(request).lookup.take(user.email)
    ws = auth.workspace(request)
    found = rights.lookup(ws, user, body.nhs_number)
    return LookupOut(
        person=rights.person_hash(ws, body.nhs_number), deliveries=[h.as_dict() for h in found]
    )
