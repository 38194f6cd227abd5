"""A real SQLite workspace with the example agreement, users of every party and role, and an
in-process client for the server (FastAPI's TestClient over the real app)."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.clock import FixedClock
from accord.model import example_agreement
from accord.server.app import create_app
from accord.service import agreements as agreement_service
from accord.service import users as user_service
from accord.workspace import Workspace

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AGREEMENT_ID = "urn:accord:agreement:example-shielding"

# (email, name, party, roles)
PEOPLE = [
    ("req@nhs.example", "Rae Requester", "ods:X26", ["requester"]),
    ("siro@nhs.example", "Sam Siro", "ods:X26", ["siro"]),
    ("cg@nhs.example", "Cal Guardian", "ods:X26", ["caldicott_guardian"]),
    ("legal@nhs.example", "Lee Legal", "ods:X26", ["legal"]),
    ("dpo@nhs.example", "Dee Dpo", "ods:X26", ["dpo"]),
    ("siro@greenwich.example", "Gwen Siro", "gss:E09000011", ["siro"]),
    ("siro@middlesbrough.example", "Mo Siro", "gss:E06000002", ["siro"]),
    ("svc@greenwich.example", "Council pipeline", "gss:E09000011", ["recipient_service"]),
    ("siro@birmingham.example", "Bea Outsider", "gss:E08000025", ["siro", "requester", "iao"]),
]


def _test_client_class() -> Any:
    # Starlette's TestClient warns at import that it would rather use httpx2; this suite uses
    # the httpx the server extra installs.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient


@dataclass
class Site:
    ws: Workspace
    clock: FixedClock
    app: Any

    def client(self) -> Any:
        return _test_client_class()(self.app, base_url="http://testserver")

    def signed_in(self, email: str) -> Any:
        client = self.client()
        page = client.get("/sign-in")
        token = csrf_from(page.text)
        response = client.post(
            "/sign-in",
            data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    def token(self, email: str, lifetime: timedelta = timedelta(days=1)) -> str:
        user = user_service.user_by_email(self.ws, email)
        return user_service.issue_token(self.ws, user, "tests", lifetime).token

    def bearer(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email)}"}


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once (argon2 hashing is slow on purpose), copied for every test."""
    root = tmp_path_factory.mktemp("template") / "ws"
    with Workspace.init(root, clock=FixedClock(START)) as ws:
        agreement_service.create(ws, example_agreement(), actor="req@nhs.example")
        for email, name, party, roles in PEOPLE:
            user_service.add_user(ws, email, name, party, roles, PASSWORD)
    return root


@pytest.fixture
def site(template_workspace: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Site]:
    root = tmp_path / "ws"
    shutil.copytree(template_workspace, root)
    with Workspace.open(root, clock=clock) as ws:
        yield Site(ws, clock, create_app(ws))


@pytest.fixture(name="csrf_from")
def csrf_from_fixture() -> Any:
    """The CSRF-token finder, for tests (conftest is not importable under importlib mode)."""
    return csrf_from
