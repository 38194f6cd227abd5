"""Sign in and sign out (GOV.UK question page with an error summary)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import NotAuthenticated, NotPermitted
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.service import users as user_service

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _context(
    email: str = "", next_: str = "/", problems: list[Any] | None = None
) -> dict[str, Any]:
    problems = problems or []
    error = problems[0]["reason"] if problems else None
    return {
        "title": "Sign in",
        "next": _safe_next(next_),
        "problems": problems,
        "fields": [
            {
                "name": "email",
                "label": "Email address",
                "type": "email",
                "autocomplete": "username",
                "value": email,
                "error": error,
            },
            {
                "name": "password",
                "label": "Password",
                "type": "password",
                "autocomplete": "current-password",
            },
        ],
    }


def _with_signin_cookie(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    token, cookie = auth.new_signin_token(request)
    request.state.csrf_token = token
    response = render(request, "sign_in.html", context, status_code=status)
    response.set_cookie(
        auth.SIGNIN_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure(request),
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    return _with_signin_cookie(request, _context(next_=next))


@router.post("/sign-in")
def sign_in(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    auth.check_signin_token(request, csrf_token)
    ws = auth.workspace(request)
    limits = auth.limiter(request)
    account, address = email.strip().lower(), auth.client_address(request)
    limits.sign_in_account.check(account)
    limits.sign_in_address.check(address)
    try:
        user = user_service.authenticate(ws, email, password)
    except NotAuthenticated as exc:
        limits.sign_in_account.spend(account)
        limits.sign_in_address.spend(address)
        if wants_json(request):
            raise
        problem = {"where": "email", "field": "email", "reason": exc.message}
        return _with_signin_cookie(request, _context(email, next, [problem]), status=401)
    session = user_service.start_session(ws, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        auth.session_cookie_value(request, session),
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure(request),
        max_age=int((session.expires_at - ws.clock.now()).total_seconds()),
    )
    response.delete_cookie(
        auth.SIGNIN_COOKIE,
        path="/sign-in",
        secure=auth.cookie_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: str = Form("")) -> Response:
    auth.check_csrf(request, csrf_token)
    session = getattr(request.state, "session", None)
    if session is None:
        raise NotPermitted("you are not signed in with a browser session")
    user_service.end_session(auth.workspace(request), session.id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(
        auth.SESSION_COOKIE, secure=auth.cookie_secure(request), httponly=True, samesite="lax"
    )
    return response
