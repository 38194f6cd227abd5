"""``/api/releases``: aggregate tables held for two-person review, and the reviews.

Thin over :mod:`accord.service.releases`, which decides who may see and review a table.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from accord.server import auth
from accord.server.api.schemas import ERRORS, ReleaseOut, ReleasesOut, ReviewIn
from accord.service import releases

router = APIRouter(prefix="/api/releases", tags=["releases"], responses=ERRORS)


@router.get("", response_model=ReleasesOut)
def list_releases(
    request: Request,
    user: auth.StaffUser,
    state: Literal["pending", "released", "withheld", "all"] = Query("pending"),
) -> ReleasesOut:
    """Aggregate tables of agreements your party discloses under (waiting for review unless
    ``state`` says otherwise), oldest first."""
    ws = auth.workspace(request)
    found = releases.visible_releases(ws, user, state=None if state == "all" else state)
    return ReleasesOut(releases=[r.as_dict() for r in found])


@router.get("/{delivery_id:path}", response_model=ReleaseOut)
def show_release(request: Request, delivery_id: str, user: auth.StaffUser) -> ReleaseOut:
    """One held table: its cells, its suppression report and its reviews so far."""
    view = releases.show_for(auth.workspace(request), user, delivery_id)
    return ReleaseOut(release=view.as_dict())


@router.post("/{delivery_id:path}/reviews", response_model=ReleaseOut, status_code=201)
def review(request: Request, delivery_id: str, body: ReviewIn, user: auth.StaffUser) -> ReleaseOut:
    """Approve or reject the table. The second independent approval releases it to its
    recipient; a rejection withholds it for good. Never the requester, never twice."""
    ws = auth.workspace(request)
    releases.show_for(ws, user, delivery_id)  # "not found" unless you may see it
    releases.review(ws, delivery_id, user, body.decision, body.note)
    return ReleaseOut(release=releases.show(ws, delivery_id).as_dict())
