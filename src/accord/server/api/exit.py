"""``/api/agreements/{id}/exit``: exit and retention per recipient, and deletion certificates.

Thin over :mod:`accord.service.retention`, which decides who may act: the discloser's SIRO (or
the arbiter) ends sharing with a recipient or all; a recipient's SIRO withdraws from its own flow;
the recipient certifies its own deletions."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import access, retention

router = APIRouter(prefix="/api/agreements", tags=["exit"], responses=ERRORS)


class CeaseIn(BaseModel):
    party: str | None = Field(None, description="One recipient (default: every recipient)")
    purpose: str | None = Field(None, description="Why the recipient may keep its copies")
    until: date | None = Field(None, description="Retention review date")
    reason: str | None = None


class WithdrawIn(BaseModel):
    flow_id: str
    purpose: str | None = None
    until: date | None = None


class CertificateIn(BaseModel):
    delivery_id: str
    deleted_on: date | None = Field(None, description="Default: today")


class ExitOut(BaseModel):
    ok: Literal[True] = True
    states: list[dict[str, Any]]
    certificates: list[dict[str, Any]]


def _mine(request: Request, user: auth.StaffUser, agreement_id: str) -> None:
    access.party_version(auth.workspace(request), user, agreement_id)


def _out(request: Request, agreement_id: str) -> ExitOut:
    ws = auth.workspace(request)
    return ExitOut(
        states=[
            {
                "party": s.party,
                "flow_id": s.flow_id,
                "state": s.state.value,
                "purpose": s.purpose,
                "until": s.until.isoformat() if s.until else None,
                "at": s.at.isoformat(),
                "describe": s.describe,
            }
            for s in retention.history(ws, agreement_id)
        ],
        certificates=[
            {
                "party": c.party,
                "delivery_id": c.delivery_id,
                "manifest_sha256": c.manifest_sha256,
                "deleted_on": c.deleted_on.isoformat(),
                "signature": c.signature,
            }
            for c in retention.certificates(ws, agreement_id)
        ],
    )


@router.get("/{agreement_id}/exit", response_model=ExitOut)
def show(request: Request, user: auth.StaffUser, agreement_id: str) -> ExitOut:
    """Each recipient's exit history and the deletion certificates, for a party's agreement."""
    _mine(request, user, agreement_id)
    return _out(request, agreement_id)


@router.post("/{agreement_id}/exit/cease", response_model=ExitOut, status_code=201)
def cease(request: Request, user: auth.StaffUser, agreement_id: str, body: CeaseIn) -> ExitOut:
    """As the discloser's SIRO: end sharing with one recipient, or with all."""
    auth.check_csrf(request, None)
    _mine(request, user, agreement_id)
    retention.cease_as(
        auth.workspace(request),
        user,
        agreement_id,
        party=body.party,
        purpose=body.purpose,
        until=body.until,
        reason=body.reason,
    )
    return _out(request, agreement_id)


@router.post("/{agreement_id}/exit/withdraw", response_model=ExitOut, status_code=201)
def withdraw(
    request: Request, user: auth.StaffUser, agreement_id: str, body: WithdrawIn
) -> ExitOut:
    """As a recipient's SIRO: withdraw from your own flow; the agreement goes on."""
    auth.check_csrf(request, None)
    _mine(request, user, agreement_id)
    retention.withdraw_as(
        auth.workspace(request),
        user,
        agreement_id,
        body.flow_id,
        purpose=body.purpose,
        until=body.until,
    )
    return _out(request, agreement_id)


@router.post("/{agreement_id}/exit/certificates", response_model=ExitOut, status_code=201)
def certify(
    request: Request, user: auth.StaffUser, agreement_id: str, body: CertificateIn
) -> ExitOut:
    """As the recipient: certify that you deleted a delivery you received (signed)."""
    auth.check_csrf(request, None)
    _mine(request, user, agreement_id)
    retention.certify_as(
        auth.workspace(request),
        user,
        agreement_id,
        delivery_id=body.delivery_id,
        deleted_on=body.deleted_on,
    )
    return _out(request, agreement_id)
