"""Who is asking, and may they: sessions, CSRF, API tokens, and party-scoped access.

- Browser sessions: the cookie holds a random session id and its HMAC-SHA256 under a secret
  kept in the workspace's keys folder (``server-session.secret``, created on first use). The
  database keeps only the id's hash, the user and a CSRF token for that session.
- CSRF: every form POST carries the session's token in ``csrf_token``; a JSON POST made with
  a session cookie carries it in ``X-CSRF-Token``. Requests with a bearer token need neither.
  The sign-in form, made before any session exists, is protected by a signed double-submit
  cookie.
- Machines send ``Authorization: Bearer <token>`` (``accord user token``).
- Rate limits (:mod:`accord.server.ratelimit`): uses per token and failed tokens per address
  here; failed sign-ins per account and per address in the sign-in view.
- Access: a user sees an agreement only if their party is one of its parties; anything else
  is "not found", never data. A recipient service account only reads its own deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from accord.errors import NotAuthenticated, NotPermitted, Problem
from accord.server.ratelimit import Limiter
from accord.service import access
from accord.service import users as user_service
from accord.service.agreements import StoredVersion
from accord.service.users import Role, Session, User
from accord.workspace import Workspace

SESSION_COOKIE = "accord_session"
SIGNIN_COOKIE = "accord_signin"
SECRET_FILE = "server-session.secret"


def session_secret(keys_dir: Path) -> bytes:
    """The workspace's cookie-signing secret (32 random bytes, mode 0600, made once)."""
    path = keys_dir / SECRET_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    return path.read_bytes()


class CookieSigner:
    """Sign and check cookie values: ``value.signature`` with HMAC-SHA256."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, value: str, purpose: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, value: str, purpose: str) -> str:
        return f"{value}.{self._mac(value, purpose)}"

    def unsign(self, signed: str, purpose: str) -> str:
        value, _, mac = signed.rpartition(".")
        if not value or not hmac.compare_digest(mac, self._mac(value, purpose)):
            raise NotAuthenticated("the cookie is not valid", [Problem("cookie", purpose)])
        return value


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def _signer(request: Request) -> CookieSigner:
    signer: CookieSigner = request.app.state.cookie_signer
    return signer


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _session(request: Request) -> Session | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session_id = _signer(request).unsign(cookie, "session")
        return user_service.session_for(workspace(request), session_id)
    except NotAuthenticated:
        return None


def limiter(request: Request) -> Limiter:
    found: Limiter = request.app.state.limiter
    return found


def client_address(request: Request) -> str:
    """The caller's address (as a trusted proxy reported it, when there is one)."""
    return request.client.host if request.client else "unknown"


def token_caller(request: Request, token: str) -> User:
    """The user of a bearer token, within the rate limits: invalid tokens per address, then
    uses per token (a 429 before the token is even looked up once the address is over)."""
    limits = limiter(request)
    address = client_address(request)
    limits.bad_token.check(address)
    try:
        user = user_service.token_user(workspace(request), token)
    except NotAuthenticated:
        limits.bad_token.spend(address)
        raise
    limits.token.take(token.partition(".")[0])
    return user


def identify(request: Request) -> User | None:
    """Find the caller from a bearer token or a session cookie; remember it on the request.

    A bad bearer token is an error (401), never a fall-back to the cookie.
    """
    if hasattr(request.state, "identified"):
        found: User | None = request.state.user
        return found
    user: User | None = None
    token = _bearer(request)
    if token is not None:
        user = token_caller(request, token)
        request.state.via_token = True
    else:
        session = _session(request)
        if session is not None:
            user = session.user
            request.state.session = session
            request.state.csrf_token = session.csrf_token
    request.state.user = user
    request.state.identified = True
    return user


def optional_user(request: Request) -> User | None:
    """FastAPI dependency: the caller, or None when nobody is signed in."""
    return identify(request)


def current_user(request: Request) -> User:
    """FastAPI dependency: the caller; 401 when there is none."""
    user = identify(request)
    if user is None:
        raise NotAuthenticated(
            "you need to sign in or send an API token",
            [Problem("authorization", "send 'Authorization: Bearer <token>' or sign in")],
        )
    return user


def staff_user(request: Request) -> User:
    """A signed-in person (or their token) who is not only a recipient service."""
    user = current_user(request)
    if user.is_recipient_service:
        raise NotPermitted(
            "a recipient service account can only collect its own deliveries",
            [Problem("role", "recipient_service")],
        )
    return user


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise 403 unless a session request carries its session's CSRF token."""
    identify(request)
    if getattr(request.state, "via_token", False):
        return
    session: Session | None = getattr(request.state, "session", None)
    sent = submitted or request.headers.get("x-csrf-token") or ""
    if session is None or not hmac.compare_digest(sent, session.csrf_token):
        raise NotPermitted(
            "the form has expired or did not come from this service",
            [Problem("csrf_token", "missing or wrong; reload the page and try again")],
        )


def new_signin_token(request: Request) -> tuple[str, str]:
    """A fresh sign-in form token and the signed cookie that must come back with it."""
    token = secrets.token_urlsafe(24)
    return token, _signer(request).sign(token, "signin")


def sign_value(request: Request, value: str, purpose: str) -> str:
    """``value`` signed for a cookie of ``purpose`` (see :class:`CookieSigner`)."""
    return _signer(request).sign(value, purpose)


def unsign_value(request: Request, signed: str, purpose: str) -> str:
    """The value of a cookie signed by :func:`sign_value`; NotAuthenticated if forged."""
    return _signer(request).unsign(signed, purpose)


def check_signin_token(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    try:
        expected = _signer(request).unsign(cookie, "signin")
    except NotAuthenticated:
        expected = ""
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise NotPermitted(
            "the sign-in form has expired or did not come from this service",
            [Problem("csrf_token", "reload the sign-in page and try again")],
        )


def cookie_secure(request: Request) -> bool:
    """Mark cookies ``Secure``: always with ``secure_cookies``, else when the request came over
    HTTPS (directly, or as a trusted proxy reported it)."""
    return bool(request.app.state.secure_cookies) or request.url.scheme == "https"


def session_cookie_value(request: Request, session: Session) -> str:
    return _signer(request).sign(session.id, "session")


def visible_version(
    ws: Workspace, user: User, agreement_id: str, seq: int | None = None
) -> StoredVersion:
    """The agreement version, if the user may see it; otherwise 'not found' (the rule and its
    one answer live in :mod:`accord.service.access`)."""
    return access.visible_version(ws, user, agreement_id, seq)


def visible_agreements(ws: Workspace, user: User) -> list[StoredVersion]:
    """The latest version of every agreement the user's party is a party to."""
    return access.visible_agreements(ws, user)


CurrentUser = Annotated[User, Depends(current_user)]
StaffUser = Annotated[User, Depends(staff_user)]

__all__ = [
    "CurrentUser",
    "StaffUser",
    "CookieSigner",
    "Role",
    "check_csrf",
    "check_signin_token",
    "client_address",
    "limiter",
    "cookie_secure",
    "current_user",
    "identify",
    "optional_user",
    "session_secret",
    "sign_value",
    "staff_user",
    "token_caller",
    "unsign_value",
    "visible_agreements",
    "visible_version",
    "workspace",
]
