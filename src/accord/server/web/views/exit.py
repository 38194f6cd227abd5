"""The recipient's deletion-certificate page: certify that a delivery it received is deleted.

The POST checks the CSRF token and calls :func:`accord.service.retention.certify_as`, which
decides who may certify and refuses bad input naming the field (shown in an error summary).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import InputError, NotPermitted, Problem
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.service import access, retention
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)


def _href(agreement_id: str) -> str:
    return "/agreements/" + quote(agreement_id, safe=":") + "/deletion-certificate"


def _context(
    ws: Workspace, user: User, agreement_id: str, problems: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    v = access.party_version(ws, user, agreement_id)
    mine = retention.received(ws, agreement_id, user.party_org_id)
    return {
        "title": "Certify deletion",
        "agreement": {"id": agreement_id, "title": v.agreement.title},
        "action": _href(agreement_id),
        "back": "/agreements/" + quote(agreement_id, safe=":"),
        "problems": problems or [],
        "deliveries": mine,
        "pending": [d for d in mine if not d["certified"]],
    }


@router.get("/agreements/{agreement_id}/deletion-certificate")
def certificate_page(request: Request, user: auth.StaffUser, agreement_id: str) -> Response:
    ws = auth.workspace(request)
    return render(request, "deletion_certificate.html", _context(ws, user, agreement_id))


@router.post("/agreements/{agreement_id}/deletion-certificate")
def certify(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    delivery_id: str = Form(""),
    deleted_on: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    try:
        try:
            when = date.fromisoformat(deleted_on) if deleted_on else None
        except ValueError:
            raise InputError("not an ISO date", [Problem("deleted_on", "use YYYY-MM-DD")]) from None
        retention.certify_as(ws, user, agreement_id, delivery_id=delivery_id, deleted_on=when)
    except (InputError, NotPermitted) as exc:
        if wants_json(request):
            raise
        problems: list[dict[str, Any]] = [
            {"field": p.where, "where": "", "reason": p.reason} for p in exc.problems
        ]
        problems.insert(0, {"field": None, "where": "", "reason": exc.message})
        context = _context(ws, user, agreement_id, problems)
        return render(request, "deletion_certificate.html", context, status_code=exc.http_status)
    return RedirectResponse(_href(agreement_id), status_code=303)
