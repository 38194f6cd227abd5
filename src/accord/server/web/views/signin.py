"""Sign in and sign out (GOV.UK question page with an error summary).

Two ways in: the email and password of an accord account, and, when the server was given an
OpenID Connect provider (:class:`accord.server.oidc.OidcSettings`), the organisation's own
sign-in (``/sign-in/oidc`` out to the provider, ``/sign-in/oidc/callback`` back). Both end in
the same accord session; the provider only proves who the person is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import NotAuthenticated, NotFound, NotPermitted
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.server.oidc import FlowState, OidcClient
from accord.service import users as user_service
from accord.service.users import User

OIDC_COOKIE = "accord_oidc"

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
        "oidc_label": None,
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


def _oidc(request: Request) -> OidcClient | None:
    found: OidcClient | None = getattr(request.app.state, "oidc", None)
    return found


def _page(request: Request, email: str = "", next_: str = "/", problems: Any = None) -> Any:
    context = _context(email, next_, problems)
    client = _oidc(request)
    context["oidc_label"] = client.settings.label if client is not None else None
    return context


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    return _with_signin_cookie(request, _page(request, next_=next))


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
        return _with_signin_cookie(request, _page(request, email, next, [problem]), status=401)
    response = _signed_in(request, user, next)
    response.delete_cookie(
        auth.SIGNIN_COOKIE,
        path="/sign-in",
        secure=auth.cookie_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


def _signed_in(request: Request, user: User, next_: str) -> Response:
    """A new session for ``user`` and the redirect to where they were going."""
    ws = auth.workspace(request)
    session = user_service.start_session(ws, user)
    response = RedirectResponse(_safe_next(next_), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        auth.session_cookie_value(request, session),
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure(request),
        max_age=int((session.expires_at - ws.clock.now()).total_seconds()),
    )
    return response


def _oidc_client(request: Request) -> OidcClient:
    client = _oidc(request)
    if client is None:
        raise NotFound("this server has no organisation sign-in configured")
    return client


def _callback_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/sign-in/oidc")
def oidc_start(request: Request, next: str = "/") -> Response:
    """Send the browser to the provider, keeping state, nonce and PKCE verifier signed."""
    client = _oidc_client(request)
    ws = auth.workspace(request)
    url, flow = client.start(_callback_uri(request), _safe_next(next), ws.clock.now())
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        OIDC_COOKIE,
        auth.sign_value(request, flow.encode(), "oidc"),
        httponly=True,
        samesite="lax",  # it must come back on the provider's top-level redirect
        secure=auth.cookie_secure(request),
        path="/sign-in/oidc",
        max_age=600,
    )
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request) -> Response:
    """Back from the provider: check everything, then sign in the accord user it names."""
    client = _oidc_client(request)
    ws = auth.workspace(request)
    limits = auth.limiter(request)
    address = auth.client_address(request)
    limits.sign_in_address.check(address)
    try:
        cookie = request.cookies.get(OIDC_COOKIE, "")
        flow = FlowState.decode(auth.unsign_value(request, cookie, "oidc"))
        identity = client.finish(
            _callback_uri(request), flow, dict(request.query_params), ws.clock.now()
        )
        user = user_service.user_for_verified_email(ws, identity.email)
    except NotAuthenticated as exc:
        limits.sign_in_address.spend(address)
        if wants_json(request):
            raise
        problems = [{"where": "", "field": None, "reason": p.reason} for p in exc.problems]
        problems.insert(0, {"where": "", "field": None, "reason": exc.message})
        response = _with_signin_cookie(request, _page(request, problems=problems), status=401)
    else:
        response = _signed_in(request, user, flow.next)
    response.delete_cookie(
        OIDC_COOKIE,
        path="/sign-in/oidc",
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
