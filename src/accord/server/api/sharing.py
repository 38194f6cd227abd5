"""``/api/agreements/{id}/accesses``: every Delta Sharing query and file download under an
agreement, as the ledger recorded them.

Thin over :mod:`accord.service.sharing`; :func:`accord.service.access.accesses_seen` decides
whose accesses the caller sees (a discloser's people every recipient's, a recipient's people
their own party's).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from accord.errors import InputError, Problem
from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import access, sharing

router = APIRouter(prefix="/api/agreements", tags=["delta-sharing"], responses=ERRORS)


class AccessOut(BaseModel):
    at: str = Field(description="When, in UTC (ISO 8601)")
    recipient: str = Field(description="The recipient party's org id")
    kind: Literal["query", "download"]
    table: str = Field(description="The table: the flow's id")
    version: int = Field(description="The table version read (the first, for a range)")
    detail: str = Field(description="The versions and file count, or the file and its SHA-256")
    token_id: str = Field(description="The API token (profile) that asked; never its secret")
    event_id: str = Field(description="The ledger event")


class AccessesOut(BaseModel):
    ok: Literal[True] = True
    agreement_id: str
    accesses: list[AccessOut]


@router.get("/{agreement_id}/accesses", response_model=AccessesOut)
def list_accesses(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    recipient: Annotated[
        str | None, Query(max_length=200, description="Only this recipient party's accesses")
    ] = None,
    until: Annotated[
        str | None,
        Query(max_length=40, description="Only accesses up to this time (ISO 8601 with a zone)"),
    ] = None,
) -> AccessesOut:
    """Every Delta Sharing query and file download under the agreement, in log order."""
    ws = auth.workspace(request)
    _, only = access.accesses_seen(ws, user, agreement_id)
    if only is not None and recipient not in (None, only):
        raise InputError(
            "you see only your own party's accesses", [Problem("recipient", f"use {only}")]
        )
    when = sharing.parse_time(until, "until") if until is not None else None
    found = sharing.accesses(ws, agreement_id, recipient=only or recipient, until=when)
    return AccessesOut(
        agreement_id=agreement_id, accesses=[AccessOut(**a.as_dict()) for a in found]
    )
