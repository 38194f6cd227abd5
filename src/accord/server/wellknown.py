"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability in this instance.

``Contact`` is the operator's (``accord serve --security-contact``); without one the file is
not served (404), since RFC 9116 makes ``Contact`` required. ``Expires`` is computed from the
workspace's clock at each request, :data:`EXPIRES_AFTER` ahead (the RFC asks for less than a
year), so it is never in the past and never hard-coded.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from accord.errors import NotFound, Problem
from accord.server import auth

EXPIRES_AFTER = timedelta(days=180)
router = APIRouter(include_in_schema=False)


def security_txt(contact: str, expires: str, canonical: str) -> str:
    """The file's text: one ``Field: value`` a line."""
    return "\n".join(
        [
            f"Contact: {contact}",
            f"Expires: {expires}",
            "Preferred-Languages: en",
            f"Canonical: {canonical}",
            "",
        ]
    )


@router.get("/.well-known/security.txt")
def security_txt_file(request: Request) -> PlainTextResponse:
    contact: str | None = request.app.state.security_contact
    if not contact:
        raise NotFound(
            "this instance names no security contact",
            [Problem("security_contact", "start the server with --security-contact")],
        )
    now = auth.workspace(request).clock.now()
    expires = (now + EXPIRES_AFTER).strftime("%Y-%m-%dT%H:%M:%SZ")
    canonical = str(request.url.replace(query=None, fragment=None))
    return PlainTextResponse(security_txt(contact, expires, canonical))


__all__ = ["EXPIRES_AFTER", "router", "security_txt"]
