"""The discloser SIRO's assurance exception form, and the owners' upcoming deadlines.

The form's POST checks the CSRF token and calls :func:`accord.service.assurance.record_exception`
once; who may record an exception, and what a complete one is, is the service's to say, and its
refusal (naming the field) comes back on the form in an error summary. Also JSON (``.json``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from accord.errors import AccordError, InputError, NotPermitted
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.service import access, assurance, lifecycle
from accord.service.agreements import StoredVersion
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)
FIELDS = {"recipient", "controls", "starts", "ends"}


def _href(agreement_id: str) -> str:
    return "/agreements/" + quote(agreement_id, safe=":")


def upcoming_for(ws: Workspace, user: User, on: date, horizon: int = 60) -> list[dict[str, Any]]:
    """The deadlines of the agreements the user's party is a party to, soonest first."""
    mine = {v.agreement_id for v in auth.visible_agreements(ws, user)}
    return [
        {
            "agreement_id": d.agreement_id,
            "href": _href(d.agreement_id),
            "title": d.title,
            "what": d.what,
            "last_day": d.last_day.isoformat(),
            "days_left": d.days_left(on),
            "urgency": "red"
            if d.days_left(on) <= 7
            else "yellow"
            if d.days_left(on) <= 14
            else "grey",
        }
        for d in lifecycle.upcoming(ws, on, horizon=horizon)
        if d.agreement_id in mine
    ]


def _visible(ws: Workspace, user: User, agreement_id: str) -> StoredVersion:
    return access.acting_version(ws, user, agreement_id)


def _context(
    ws: Workspace,
    v: StoredVersion,
    values: dict[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    today = ws.clock.now().date()
    paused = lifecycle.gate(ws, v, ws.clock.now()).paused if v.status.value == "active" else {}
    recipients = v.agreement.recipients
    chosen = values.get("recipient") or ""
    return {
        "title": "Record an assurance exception",
        "agreement": {
            "id": v.agreement_id,
            "title": v.agreement.title,
            "href": _href(v.agreement_id),
        },
        "action": _href(v.agreement_id) + "/exception",
        "back": _href(v.agreement_id),
        "problems": problems or [],
        "paused": [
            {"flow": f, "recipient": v.agreement.flow(f).recipient, "reason": r}
            for f, r in sorted(paused.items())
        ],
        "exceptions": [
            {**e.as_dict(), "in_force": e.in_force(today)}
            for e in assurance.exceptions(ws, v.agreement_id)
        ],
        "fields": [
            {
                "kind": "radios",
                "name": "recipient",
                "label": "Which recipient is the exception for?",
                "error": errors.get("recipient"),
                "options": [
                    {
                        "value": p.org_id,
                        "text": f"{p.name} ({p.org_id})",
                        "checked": p.org_id == chosen,
                    }
                    for p in recipients
                ],
            },
            {
                "kind": "textarea",
                "name": "controls",
                "label": "What compensating controls are in place?",
                "hint": "In words; signed with your party's key and shown on the register.",
                "value": values.get("controls", ""),
                "error": errors.get("controls"),
                "rows": 4,
            },
            {
                "name": "starts",
                "label": "First day (YYYY-MM-DD)",
                "hint": "Leave empty for today.",
                "value": values.get("starts", ""),
                "error": errors.get("starts"),
                "width": "10",
            },
            {
                "name": "ends",
                "label": "Last day in force (YYYY-MM-DD)",
                "hint": "The exception ends by itself after this day.",
                "value": values.get("ends", ""),
                "error": errors.get("ends"),
                "width": "10",
            },
        ],
    }


def _problems(exc: AccordError) -> list[dict[str, Any]]:
    out = [
        {"field": p.where if p.where in FIELDS else None, "where": "", "reason": p.reason}
        for p in exc.problems
    ]
    if not out or any(p["field"] is None for p in out):
        out.insert(0, {"field": None, "where": "", "reason": exc.message})
    return out


@router.get("/agreements/{agreement_id}/exception")
def exception_page(request: Request, user: auth.StaffUser, agreement_id: str) -> Response:
    ws = auth.workspace(request)
    v = _visible(ws, user, agreement_id)
    return render(request, "exception.html", _context(ws, v))


@router.post("/agreements/{agreement_id}/exception")
def record_exception(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    recipient: str = Form(""),
    controls: str = Form(""),
    starts: str = Form(""),
    ends: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    v = _visible(ws, user, agreement_id)
    values = {"recipient": recipient, "controls": controls, "starts": starts, "ends": ends}
    try:
        stored = assurance.record_exception(
            ws,
            user,
            agreement_id=agreement_id,
            recipient=recipient,
            controls=controls,
            starts=starts or None,
            ends=ends or None,
        )
        lifecycle.sweep(ws)  # the recipient's paused flows resume now, with their events
    except (InputError, NotPermitted) as exc:
        if wants_json(request):
            raise
        context = _context(ws, v, values, _problems(exc))
        return render(request, "exception.html", context, status_code=exc.http_status)
    if wants_json(request):
        return JSONResponse({"ok": True, "unstable": True, "exception": stored.as_dict()})
    return RedirectResponse(_href(agreement_id) + "/exception", status_code=303)
