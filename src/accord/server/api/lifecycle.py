"""``/api/assurance``, ``/api/deadlines`` and an agreement's assurance exceptions: party
assurance over time, what ends soon, and the discloser SIRO's signed exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from accord.server import auth
from accord.server.api.schemas import ERRORS
from accord.service import access, assurance, lifecycle

router = APIRouter(prefix="/api", tags=["lifecycle"], responses=ERRORS)


class AssuranceIn(BaseModel):
    party: str = Field(description="Your own party, e.g. gss:E09000011")
    scheme: str = Field("dspt", description="dspt, iso27001, cyber_essentials(_plus)")
    status: str = Field(
        description="A DSPT status (standards_exceeded, standards_met, approaching_standards, "
        "plan_agreed, not_met, not_published), or certified / withdrawn"
    )
    framework: str | None = Field(None, description="DSPT: caf_aligned or ndg_standards")
    effective_from: date
    valid_until: date | None = None
    improvement_plan_until: date | None = Field(
        None, description="approaching_standards or plan_agreed: the improvement plan's last day"
    )
    reference: str | None = None
    source_url: str | None = None


class AssuranceOut(BaseModel):
    ok: Literal[True] = True
    on: str
    records: list[dict[str, Any]]


class ExceptionIn(BaseModel):
    recipient: str
    controls: str | None = Field(None, description="The compensating controls, in words")
    starts: date | None = Field(None, description="First day (default: today)")
    ends: date | None = Field(None, description="Last day in force; it ends by itself after")


class ExceptionsOut(BaseModel):
    ok: Literal[True] = True
    exceptions: list[dict[str, Any]]


class DeadlineOut(BaseModel):
    agreement_id: str
    title: str
    what: str
    last_day: str
    days_left: int


class DeadlinesOut(BaseModel):
    ok: Literal[True] = True
    deadlines: list[DeadlineOut]


@router.get("/assurance/{party}", response_model=AssuranceOut)
def party_assurance(request: Request, user: auth.StaffUser, party: str) -> AssuranceOut:
    """Every assurance record of ``party``, each with what it means today (published data)."""
    ws = auth.workspace(request)
    on = ws.clock.now().date()
    return AssuranceOut(
        on=on.isoformat(), records=[s.as_dict(on) for s in assurance.history(ws, party)]
    )


@router.post("/assurance", response_model=AssuranceOut, status_code=201)
def record_assurance(request: Request, user: auth.StaffUser, body: AssuranceIn) -> AssuranceOut:
    """Record a published DSPT status or certificate of your own party (SIRO, DPO or IAO)."""
    auth.check_csrf(request, None)
    ws = auth.workspace(request)
    data = {k: v for k, v in body.model_dump(mode="json").items() if v is not None}
    stored = assurance.record_own_assurance(ws, user, data)
    on = ws.clock.now().date()
    return AssuranceOut(on=on.isoformat(), records=[stored.as_dict(on)])


def _mine(request: Request, user: auth.StaffUser, agreement_id: str) -> None:
    access.acting_version(auth.workspace(request), user, agreement_id)


@router.get("/agreements/{agreement_id}/exceptions", response_model=ExceptionsOut)
def list_exceptions(request: Request, user: auth.StaffUser, agreement_id: str) -> ExceptionsOut:
    """The SIRO exceptions recorded for one of your party's agreements."""
    _mine(request, user, agreement_id)
    found = assurance.exceptions(auth.workspace(request), agreement_id)
    return ExceptionsOut(exceptions=[e.as_dict() for e in found])


@router.post("/agreements/{agreement_id}/exceptions", response_model=ExceptionsOut, status_code=201)
def record_exception(
    request: Request, user: auth.StaffUser, agreement_id: str, body: ExceptionIn
) -> ExceptionsOut:
    """As the discloser's SIRO: a signed, time-limited assurance exception for one recipient."""
    auth.check_csrf(request, None)
    _mine(request, user, agreement_id)
    ws = auth.workspace(request)
    stored = assurance.record_exception(
        ws,
        user,
        agreement_id=agreement_id,
        recipient=body.recipient,
        controls=body.controls,
        starts=body.starts,
        ends=body.ends,
    )
    lifecycle.sweep(ws)
    return ExceptionsOut(exceptions=[stored.as_dict()])


@router.get("/deadlines", response_model=DeadlinesOut)
def deadlines(request: Request, user: auth.StaffUser, horizon: int = 60) -> DeadlinesOut:
    """What ends within ``horizon`` days in your party's active agreements, soonest first."""
    ws = auth.workspace(request)
    on = ws.clock.now().date()
    mine = {v.agreement_id for v in auth.visible_agreements(ws, user)}
    return DeadlinesOut(
        deadlines=[
            DeadlineOut(
                agreement_id=d.agreement_id,
                title=d.title,
                what=d.what,
                last_day=d.last_day.isoformat(),
                days_left=d.days_left(on),
            )
            for d in lifecycle.upcoming(ws, on, horizon=horizon)
            if d.agreement_id in mine
        ]
    )
