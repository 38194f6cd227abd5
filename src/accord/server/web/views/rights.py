"""People's rights pages: the handler's page (requests on the deadline clock, lookups, codes,
decisions) and the person's own view (``/my-data``).

Thin over :mod:`accord.service.rights` and :mod:`accord.service.own_view`, which decide who may
do what. The handler's forms check the session's CSRF token. The person's view is public: the
NHS number and code are posted (never in a URL), tried within a per-address rate limit, and a
verified person gets a short-lived signed cookie naming only their keyed hash; its objection
form carries a token signed for that person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError, InputError, NotAuthenticated, NotPermitted, Problem
from accord.server import auth
from accord.server.auth import CookieSigner
from accord.server.negotiation import render, wants_json
from accord.service import access, own_view, rights
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

OWN_COOKIE = "accord_own_view"
OWN_LIFETIME = timedelta(minutes=30)
DECISION_WORDS = {
    "extend": "Extend by two months (complex request)",
    "uphold": "Uphold: stop sending this person's data",
    "refuse": "Refuse, with reasons",
    "answer": "Answered: access given or data corrected",
    "lift": "Lift the suppression (the objection no longer stands)",
}


def _clock(r: rights.Request, today: Any) -> dict[str, Any]:
    left = r.days_left(today)
    if r.state != "open":
        return {"text": r.state, "tag": r.state}
    if left < 0:
        return {"text": f"{-left} days overdue", "tag": "overdue"}
    return {"text": f"{left} days left", "tag": "soon" if left <= 7 else "later"}


def _problems(exc: AccordError) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"field": None, "where": "", "reason": exc.message}]
    return found + [{"field": None, "where": p.where, "reason": p.reason} for p in exc.problems]


def _handler_context(ws: Workspace, user: User, **extra: Any) -> dict[str, Any]:
    user.require_role(rights.HANDLER)
    today = ws.clock.now().date()
    found = rights.list_requests(ws, user)
    agreements = [
        {"value": v.agreement_id, "text": v.agreement.title}
        for v in access.visible_agreements(ws, user)
    ]
    return {
        "agreements": agreements,
        "kinds": [
            {"value": k, "text": v[:1].upper() + v[1:]} for k, v in rights.KIND_WORDS.items()
        ],
        "today": today.isoformat(),
        "title": "People's rights requests",
        "party": user.party_org_id,
        "requests": [
            {
                **r.as_dict(today),
                "clock": _clock(r, today),
                "href": f"/rights/requests/{r.request_id}",
            }
            for r in found
        ],
        "problems": [],
        "hits": None,
        "code": None,
        **extra,
    }


@router.get("/rights")
def rights_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    return render(request, "rights.html", _handler_context(ws, user))


@router.post("/rights/requests")
def receive(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str = Form(""),
    kind: str = Form(""),
    nhs_number: str = Form("", alias="request-nhs-number"),
    received: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    try:
        when = date.fromisoformat(received) if received.strip() else None
    except ValueError:
        bad = InputError("the date received is not a date", [Problem("received", "YYYY-MM-DD")])
        context = _handler_context(ws, user, problems=_problems(bad))
        return render(request, "rights.html", context, status_code=bad.http_status)
    try:
        r = rights.receive(ws, user, agreement_id, kind, nhs_number, received_on=when)
    except InputError as exc:
        if wants_json(request):
            raise
        context = _handler_context(ws, user, problems=_problems(exc))
        return render(request, "rights.html", context, status_code=exc.http_status)
    return RedirectResponse(f"/rights/requests/{r.request_id}", status_code=303)


@router.post("/rights/lookup")
def lookup(
    request: Request,
    user: auth.StaffUser,
    nhs_number: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    auth.limiter(request).lookup.take(user.email)
    ws = auth.workspace(request)
    try:
        found = rights.lookup(ws, user, nhs_number)
    except InputError as exc:
        if wants_json(request):
            raise
        context = _handler_context(ws, user, problems=_problems(exc))
        return render(request, "rights.html", context, status_code=exc.http_status)
    hits = [h.as_dict() for h in found]
    return render(request, "rights.html", _handler_context(ws, user, hits=hits))


@router.post("/rights/codes")
def issue_code(
    request: Request,
    user: auth.StaffUser,
    nhs_number: str = Form("", alias="code-nhs-number"),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    try:
        code = own_view.issue_code(ws, user, nhs_number)
    except InputError as exc:
        if wants_json(request):
            raise
        context = _handler_context(ws, user, problems=_problems(exc))
        return render(request, "rights.html", context, status_code=exc.http_status)
    return render(request, "rights.html", _handler_context(ws, user, code=code))


def _request_context(
    ws: Workspace, user: User, request_id: str, problems: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    r = rights.get(ws, user, request_id)
    today = ws.clock.now().date()
    return {
        "title": f"Rights request {r.request_id}",
        "request": r.as_dict(today),
        "kind_words": rights.KIND_WORDS[r.kind],
        "clock": _clock(r, today),
        "note": r.note,
        "may_decide": user.party_org_id == r.lead_party,
        "decisions": [{"value": k, "text": v} for k, v in DECISION_WORDS.items()],
        "action": f"/rights/requests/{r.request_id}",
        "problems": problems or [],
    }


@router.get("/rights/requests/{request_id}")
def request_page(request: Request, user: auth.StaffUser, request_id: str) -> Response:
    ws = auth.workspace(request)
    return render(request, "rights_request.html", _request_context(ws, user, request_id))


@router.post("/rights/requests/{request_id}")
def decide(
    request: Request,
    user: auth.StaffUser,
    request_id: str,
    decision: str = Form(""),
    note: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    rights.get(ws, user, request_id)  # "not found" unless the user may see it
    try:
        rights.decide(ws, user, request_id, decision, note=note.strip() or None)
    except (InputError, NotPermitted) as exc:
        if wants_json(request):
            raise
        context = _request_context(ws, user, request_id, _problems(exc))
        return render(request, "rights_request.html", context, status_code=exc.http_status)
    return RedirectResponse(f"/rights/requests/{request_id}", status_code=303)


# -- the person's own view -------------------------------------------------------------------------


def _signer(request: Request) -> CookieSigner:
    signer: CookieSigner = request.app.state.cookie_signer
    return signer


def _person(request: Request) -> str | None:
    """The verified person of this browser, from the signed cookie, while it is in date."""
    cookie = request.cookies.get(OWN_COOKIE)
    if not cookie:
        return None
    try:
        value = _signer(request).unsign(cookie, "own-view")
    except NotAuthenticated:
        return None
    person, _, until = value.partition("|")
    now = auth.workspace(request).clock.now()
    return person if until and datetime.fromisoformat(until) > now else None


def _own_context(
    ws: Workspace, request: Request, person: str | None, **extra: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "title": "Who has received your data",
        "verified": person is not None,
        "options": list(own_view.REAL_OPTIONS),
        "problems": [],
        "raised": None,
        **extra,
    }
    if person is not None:
        shared = own_view.shared_with(ws, person)
        context["shared"] = [s.as_dict() for s in shared]
        context["objections"] = [{"value": s.agreement_id, "text": s.title} for s in shared]
        context["requests"] = own_view.my_requests(ws, person)
        context["form_token"] = _signer(request).sign(person, "own-view-form")
    return context


@router.get("/my-data")
def my_data(request: Request) -> Response:
    ws = auth.workspace(request)
    return render(request, "my_data.html", _own_context(ws, request, _person(request)))


@router.post("/my-data")
def verify(request: Request, nhs_number: str = Form(""), code: str = Form("")) -> Response:
    auth.limiter(request).own_view.take(auth.client_address(request))
    ws = auth.workspace(request)
    try:
        person = own_view.verify(ws, nhs_number, code)
    except NotAuthenticated as exc:
        if wants_json(request):
            raise
        context = _own_context(ws, request, None, problems=_problems(exc))
        return render(request, "my_data.html", context, status_code=exc.http_status)
    until = (ws.clock.now() + OWN_LIFETIME).isoformat()
    response = RedirectResponse("/my-data", status_code=303)
    response.set_cookie(
        OWN_COOKIE,
        _signer(request).sign(f"{person}|{until}", "own-view"),
        httponly=True,
        samesite="strict",
        secure=auth.cookie_secure(request),
        max_age=int(OWN_LIFETIME.total_seconds()),
        path="/my-data",
    )
    return response


@router.post("/my-data/objection")
def object_to(
    request: Request, agreement_id: str = Form(""), form_token: str = Form("")
) -> Response:
    ws = auth.workspace(request)
    person = _person(request)
    if person is None or _signed_for(request, form_token) != person:
        raise NotAuthenticated("confirm who you are first", [])
    request_id = own_view.object_to(ws, person, agreement_id)
    context = _own_context(ws, request, person, raised=request_id)
    return render(request, "my_data.html", context, status_code=201)


def _signed_for(request: Request, token: str) -> str | None:
    try:
        return _signer(request).unsign(token, "own-view-form")
    except NotAuthenticated:
        return None
