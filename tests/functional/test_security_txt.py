"""``/.well-known/security.txt`` (RFC 9116): the required fields, an Expires that follows the
injected clock, and no file at all without a configured contact."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.server.app import create_app

CONTACT = "mailto:security@nhs.example"


def _fields(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.splitlines() if line)


def test_security_txt_has_the_rfc_9116_fields_and_expires_ahead_of_the_clock(site: Any) -> None:
    site.app = create_app(site.ws, security_contact=CONTACT)
    response = site.client().get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert _fields(response.text) == {
        "Contact": CONTACT,
        "Expires": "2026-09-12T09:00:00Z",  # the clock (16 March 2026, 09:00) + 180 days
        "Preferred-Languages": "en",
        "Canonical": "http://testserver/.well-known/security.txt",
    }
    site.clock.advance(timedelta(days=400))
    later = _fields(site.client().get("/.well-known/security.txt").text)
    assert later["Expires"] == "2027-10-17T09:00:00Z"


def test_without_a_contact_there_is_no_security_txt(site: Any) -> None:
    response = site.client().get(
        "/.well-known/security.txt", headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert response.json()["problems"] == [
        {"where": "security_contact", "reason": "start the server with --security-contact"}
    ]
