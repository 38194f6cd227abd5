"""Delta Sharing profile files (PROTOCOL.md, "Profile File Format") for recipient services.

A profile holds an expiring API token of one recipient service account. It is issued by
``accord sharing profile`` or, from the web app, by a SIRO or information asset owner of the
service's own party (:func:`accord.service.access.may_manage_profiles`), who may also list and
revoke that party's profiles: a revoked profile's token refuses at once, and so do the file
links it was handed (:func:`accord.service.sharing.open_file`).

>>> from datetime import UTC, datetime
>>> doc = profile_document("http://h/delta-sharing/", "tok_1.s", datetime(2026, 4, 1, tzinfo=UTC))
>>> doc["endpoint"], doc["expirationTime"]
('http://h/delta-sharing', '2026-04-01T00:00:00Z')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.errors import NotFound, Problem
from accord.service import access
from accord.service import users as user_service
from accord.service.users import IssuedToken, TokenInfo, User
from accord.workspace import Workspace

DEFAULT_ENDPOINT = "http://127.0.0.1:8000/delta-sharing"
PROFILE_LIFETIME = timedelta(days=30)
PROFILE_NAME = "delta-sharing profile"


def profile_document(endpoint: str, token: str, expires: datetime) -> dict[str, object]:
    when = expires.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "shareCredentialsVersion": 1,
        "endpoint": endpoint.rstrip("/"),
        "bearerToken": token,
        "expirationTime": when,
    }


def write_profile(
    ws: Workspace,
    email: str,
    out: Path,
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    lifetime: timedelta = PROFILE_LIFETIME,
) -> IssuedToken:
    """Issue an expiring API token for ``email`` and write it as a profile file (mode 0600)."""
    user = user_service.user_by_email(ws, email)
    issued = user_service.issue_token(ws, user, PROFILE_NAME, lifetime)
    text = json.dumps(profile_document(endpoint, issued.token, issued.expires_at), indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return issued


@dataclass(frozen=True)
class ServiceProfiles:
    """One recipient service account and the profiles issued to it."""

    service: User
    profiles: list[TokenInfo]


def services(ws: Workspace, manager: User) -> list[ServiceProfiles]:
    """The recipient services of the manager's party, each with its profiles."""
    access.require_profile_manager(manager)
    return [
        ServiceProfiles(u, [t for t in user_service.list_tokens(ws, u) if t.name == PROFILE_NAME])
        for u in user_service.list_users(ws, manager.party_org_id)
        if u.is_recipient_service and not u.disabled
    ]


def _service(ws: Workspace, manager: User, service_id: int) -> User:
    for s in services(ws, manager):
        if s.service.id == service_id:
            return s.service
    raise NotFound(
        f"no recipient service {service_id} of your party", [Problem("service", "check the id")]
    )


def issue(
    ws: Workspace,
    manager: User,
    service_id: int,
    endpoint: str,
    *,
    lifetime: timedelta = PROFILE_LIFETIME,
) -> tuple[IssuedToken, dict[str, object]]:
    """A new profile for one of the manager's party's recipient services (shown once)."""
    service = _service(ws, manager, service_id)
    issued = user_service.issue_token(ws, service, PROFILE_NAME, lifetime)
    return issued, profile_document(endpoint, issued.token, issued.expires_at)


def revoke(ws: Workspace, manager: User, token_id: str) -> None:
    """Revoke a profile of one of the manager's party's recipient services."""
    for s in services(ws, manager):
        if any(t.id == token_id for t in s.profiles):
            user_service.revoke_token(ws, token_id, owner=s.service)
            return
    raise NotFound(f"no profile {token_id} of your party", [Problem("token", "check the id")])


__all__ = [
    "DEFAULT_ENDPOINT",
    "PROFILE_LIFETIME",
    "ServiceProfiles",
    "issue",
    "profile_document",
    "revoke",
    "services",
    "write_profile",
]
