"""The one exception handler: every error becomes a JSON envelope or a GOV.UK error page.

JSON: ``{"ok": false, "error": "...", "problems": [{"where": "body.title", "reason": "..."}]}``
with the HTTP status the error class fixes (``accord.errors``: ``http_status``). Pages get the
same message and problems on an error page; a page that needs sign-in redirects to it.
Unexpected exceptions are logged and shown as a 500 with no detail.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from accord.errors import (
    AccordError,
    InputError,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    Problem,
    TooManyRequests,
)
from accord.server.negotiation import templates, wants_json

log = logging.getLogger("accord.server")

_HTTP_ERRORS: dict[int, type[AccordError]] = {
    401: NotAuthenticated,
    403: NotPermitted,
    404: NotFound,
    405: NotPermitted,
}
_TITLES = {
    400: "There is a problem with your request",
    401: "You need to sign in",
    403: "You cannot do this",
    404: "Page not found",
    409: "This cannot be done now",
    422: "There is a problem",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


def _validation_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "(request)"
        problems.append(
            Problem(where, str(err.get("msg", "not valid")).removeprefix("Value error, "))
        )
    return problems


def as_accord_error(exc: Exception) -> AccordError:
    """Translate framework errors into accord's tree; anything unknown is a 500."""
    if isinstance(exc, AccordError):
        return exc
    if isinstance(exc, RequestValidationError):
        return InputError("the request is not valid", _validation_problems(exc))
    if isinstance(exc, HTTPException):
        cls = _HTTP_ERRORS.get(exc.status_code, InputError)
        err = cls(str(exc.detail) if exc.detail else _TITLES.get(exc.status_code, "error"))
        err.http_status = exc.status_code
        return err
    log.exception("unexpected error", exc_info=exc)
    err = AccordError("something went wrong; the error has been logged")
    return err


def envelope(err: AccordError) -> dict[str, Any]:
    return {
        "ok": False,
        "error": err.message,
        "problems": [{"where": p.where, "reason": p.reason} for p in err.problems],
    }


def error_headers(err: AccordError) -> dict[str, str] | None:
    """``WWW-Authenticate`` with a 401, ``Retry-After`` with a 429."""
    if isinstance(err, TooManyRequests):
        return {"Retry-After": str(err.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if err.http_status == 401 else None


async def handle(request: Request, exc: Exception) -> Response:
    err = as_accord_error(exc)
    status = err.http_status
    if wants_json(request):
        return JSONResponse(envelope(err), status_code=status, headers=error_headers(err))
    if status == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
    page = {
        "page": {"title": _TITLES.get(status, _TITLES[400]), "status": status, **envelope(err)},
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", None),
    }
    return templates(request).TemplateResponse(
        request, "error.html", page, status_code=status, headers=error_headers(err)
    )


def install(app: FastAPI) -> None:
    """Route every error through :func:`handle`."""
    app.add_exception_handler(AccordError, handle)
    app.add_exception_handler(RequestValidationError, handle)
    app.add_exception_handler(HTTPException, handle)
    app.add_exception_handler(Exception, handle)
