"""Delta Sharing pages: the record of every recipient's access under an agreement, and the
profiles of a party's recipient services, issued and revoked here.

- ``GET /agreements/{id}/accesses``: every Delta Sharing query and file download under the
  agreement, per recipient (:func:`accord.service.sharing.accesses`); a discloser's people see
  every recipient's, a recipient's people their own party's
  (:func:`accord.service.access.accesses_seen`).
- ``GET /sharing/profiles``: the recipient services of the signed-in SIRO's or information
  asset owner's party and their profiles; ``POST`` issues one (shown once, on the page that
  answers), ``POST /sharing/profiles/{token_id}/revoke`` revokes one: its token and every file
  link it was handed stop at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import InputError, Problem
from accord.server import auth
from accord.server.negotiation import render
from accord.service import access, sharing, sharing_profiles
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

PROFILES = "/sharing/profiles"


@router.get("/agreements/{agreement_id}/accesses")
def accesses_page(request: Request, user: auth.StaffUser, agreement_id: str) -> Response:
    ws = auth.workspace(request)
    version, only = access.accesses_seen(ws, user, agreement_id)
    found = sharing.accesses(ws, agreement_id, recipient=only)
    recipients = sorted({f.recipient for f in version.agreement.flows})
    if only is not None:
        recipients = [r for r in recipients if r == only]
    per_recipient = [
        {
            "recipient": r,
            "queries": sum(1 for a in found if a.recipient == r and a.kind == "query"),
            "downloads": sum(1 for a in found if a.recipient == r and a.kind == "download"),
        }
        for r in recipients
    ]
    context = {
        "title": f"Delta Sharing access: {agreement_id}",
        "agreement_id": agreement_id,
        "agreement_href": "/agreements/" + quote(agreement_id, safe=""),
        "recipients": per_recipient,
        "accesses": [a.as_dict() for a in found],
    }
    return render(request, "sharing_accesses.html", context)


def _profiles_context(
    request: Request,
    ws: Workspace,
    user: User,
    *,
    issued: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    services = sharing_profiles.services(ws, user)
    return {
        "title": "Delta Sharing profiles",
        "party": user.party_org_id,
        "action": PROFILES,
        "services": [
            {
                "id": s.service.id,
                "email": s.service.email,
                "profiles": [
                    {
                        "id": t.id,
                        "created_at": t.created_at.isoformat(),
                        "expires_at": t.expires_at.isoformat(),
                        "revoked": t.revoked_at is not None,
                        "expired": t.expires_at <= ws.clock.now(),
                        "revoke_href": f"{PROFILES}/{quote(t.id, safe='')}/revoke",
                    }
                    for t in s.profiles
                ],
            }
            for s in services
        ],
        "issued": issued,
        "endpoint": _endpoint(request),
        "problems": problems or [],
    }


def _endpoint(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/delta-sharing"


@router.get(PROFILES)
def profiles_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    return render(request, "sharing_profiles.html", _profiles_context(request, ws, user))


def _days(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 366):
        raise InputError(
            "say how many days the profile lasts",
            [Problem("days", "a whole number of days from 1 to 366")],
        )
    return int(text)


def _service_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise InputError("choose a recipient service", [Problem("service", "choose one")])
    return int(text)


@router.post(PROFILES)
def issue(
    request: Request,
    user: auth.StaffUser,
    service: str = Form("", max_length=20),
    days: str = Form("30", max_length=5),
    csrf_token: str = Form(""),
) -> Response:
    """Issue a profile to one of your party's recipient services; it is shown once."""
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    access.require_profile_manager(user)
    issued, document = sharing_profiles.issue(
        ws,
        user,
        _service_id(service),
        _endpoint(request),
        lifetime=timedelta(days=_days(days)),
    )
    shown = {"id": issued.id, "expires_at": issued.expires_at.isoformat(), "profile": document}
    context = _profiles_context(request, ws, user, issued=shown)
    return render(request, "sharing_profiles.html", context, status_code=201)


@router.post(PROFILES + "/{token_id}/revoke")
def revoke(
    request: Request, user: auth.StaffUser, token_id: str, csrf_token: str = Form("")
) -> Response:
    """Revoke a profile: its token and every file link it was handed stop at once."""
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    sharing_profiles.revoke(ws, user, token_id)
    return RedirectResponse(PROFILES, status_code=303)
