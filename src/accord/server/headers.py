"""Security headers on every response: one ASGI middleware, :class:`SecurityHeaders`.

- ``Content-Security-Policy``: pages load scripts, styles, fonts and images from accord only
  (govuk-frontend is served by accord), run no inline script and may not be framed. The API
  documentation page (Swagger UI, from its CDN) gets a policy naming that CDN and the hashes of
  its inline scripts, computed from FastAPI's own page functions. A response that sets its own
  policy keeps it (the exercise report: inline styles, no script at all).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
  ``X-Frame-Options: DENY``, ``Permissions-Policy`` denying devices and payments,
  ``Cross-Origin-Opener-Policy: same-origin``; ``Strict-Transport-Security`` over HTTPS.

Whether a request came over HTTPS is ``scope["scheme"]``; behind a TLS proxy the app trusts
``X-Forwarded-Proto`` only from the proxies it was given (uvicorn's ``ProxyHeadersMiddleware``,
see :func:`accord.server.app.create_app`).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BASE = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"font-src 'self'; connect-src 'self'; {_BASE}"
)
# The standalone exercise report: its CSS is inline, and it runs nothing.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
FIXED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), geolocation=(), microphone=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}
HSTS = "max-age=31536000"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for each inline ``<script>`` of ``html``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(title: str, openapi_url: str, oauth2_redirect_url: str) -> str:
    """The policy of the Swagger UI pages FastAPI serves for these settings."""
    pages = (
        get_swagger_ui_html(
            openapi_url=openapi_url, title=title, oauth2_redirect_url=oauth2_redirect_url
        ),
        get_swagger_ui_oauth2_redirect_html(),
    )
    hashes = [h for page in pages for h in script_hashes(bytes(page.body).decode())]
    return (
        f"default-src 'self'; script-src 'self' {SWAGGER_CDN} {' '.join(hashes)}; "
        f"style-src 'self' {SWAGGER_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
        f"connect-src 'self'; {_BASE}"
    )


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...], docs: str) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.docs = docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.docs if scope["path"] in self.docs_paths else PAGE_POLICY
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", policy)
                for name, value in FIXED.items():
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["PAGE_POLICY", "REPORT_POLICY", "SecurityHeaders", "docs_policy", "script_hashes"]
