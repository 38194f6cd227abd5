"""HTML or JSON from one context: the ``.json`` suffix, the ``Accept`` header, and rendering.

A page route builds one context dict. :func:`render` serves it through the page's template, or
as JSON with ``"ok": true`` and ``"unstable": true`` (pages are not the documented API).
:class:`JsonSuffix` strips a trailing ``.json`` from page paths before routing and marks the
request as wanting JSON, so ``/agreements/x.json`` is the JSON of ``/agreements/x``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

# Paths whose own names end in .json (vendored assets, the API) are left alone.
_UNTOUCHED = ("/api/", "/assets/", "/static/")


class JsonSuffix:
    """ASGI middleware: ``/page.json`` is routed as ``/page`` with a JSON preference."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.endswith(".json") and not path.startswith(_UNTOUCHED):
                scope = dict(scope)
                scope["path"] = path[: -len(".json")].removesuffix("/") or "/"
                scope["raw_path"] = scope["path"].encode()
                scope.setdefault("state", {})
                scope["state"] = {**scope["state"], "wants_json": True}
        await self.app(scope, receive, send)


def wants_json(request: Request) -> bool:
    if getattr(request.state, "wants_json", False) or request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """The page as HTML through ``template``, or its context as JSON when asked."""
    if wants_json(request):
        return JSONResponse({"ok": True, "unstable": True, **context}, status_code=status_code)
    from accord.server.auth import identify

    identify(request)  # the header shows who is signed in, on public pages too
    page = {
        "page": context,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", None),
    }
    response: HTMLResponse = templates(request).TemplateResponse(
        request, template, page, status_code=status_code
    )
    return response
