"""A Delta Sharing profile file (PROTOCOL.md, "Profile File Format") for one accord user.

>>> from datetime import UTC, datetime
>>> doc = profile_document("http://h/delta-sharing/", "tok_1.s", datetime(2026, 4, 1, tzinfo=UTC))
>>> doc["endpoint"], doc["expirationTime"]
('http://h/delta-sharing', '2026-04-01T00:00:00Z')
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.service import users as user_service
from accord.service.users import IssuedToken
from accord.workspace import Workspace

DEFAULT_ENDPOINT = "http://127.0.0.1:8000/delta-sharing"
PROFILE_LIFETIME = timedelta(days=30)


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
    issued = user_service.issue_token(ws, user, "delta-sharing profile", lifetime)
    text = json.dumps(profile_document(endpoint, issued.token, issued.expires_at), indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return issued
