"""``kill -9`` of the web server in the middle of an approval (issue 19).

A real server process (uvicorn over accord's app, as ``accord serve`` runs it) receives the
last approval of a version in review over the API, with a bearer token, and is SIGKILLed at
one point of handling it: before the ledger append, after it (not committed), just before and
just after the commit. The caller gets no answer. Then:

- the ledger verifies; the stored approvals and states match their ledger events one for one;
- either the approval and its move to ``approved`` are all stored, or none of them;
- a restarted server takes the retried approval (or, if it was stored, the caller finds it
  there) and the ledger ends with exactly the leaves an uninterrupted approval records.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fault_world as world
import httpx
import pytest

import accord
from accord.model.enums import Status
from accord.service import agreements, approvals
from accord.service.users import issue_token, user_by_email

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("crash_child.py")
SRC = str(Path(accord.__file__).resolve().parents[1])
APPEND = "accord.ledger.log:Ledger._append"
COMMIT = "sqlalchemy.engine.base:Connection._commit_impl"
POINTS = [
    f"before {APPEND} 1",
    f"after {APPEND} 1",
    f"before {COMMIT} 1 accord.service.approvals:approve",
    f"after {COMMIT} 1 accord.service.approvals:approve",
]
LAST_EMAIL, _, LAST_ROLE = world.APPROVERS[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _server(root: Path, point: str | None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ACCORD_KILL_AT"}
    env.update(PYTHONPATH=SRC, ACCORD_TEST_PORT=str(port))
    if point is not None:
        env["ACCORD_KILL_AT"] = point
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "serve", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(f"{base}/api/register/tree-head", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()  # the one process this test started
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _approve(base: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/agreements/{world.APPROVE_ID}/approvals",
        json={"role": LAST_ROLE, "decision": "approve"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve") / "template"
    world.build(root)
    with world.open_world(root) as ws:
        world.do_approve(ws, leave=1)  # four of five approvals given
    return root


@pytest.fixture(scope="module")
def reference(template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The leaves one uninterrupted last approval adds."""
    root = tmp_path_factory.mktemp("serve") / "reference"
    shutil.copytree(template, root)
    with world.open_world(root) as ws:
        before = ws.ledger.size()
        world.do_approve(ws)
        return world.leaf_hashes(ws)[before:]


@pytest.mark.parametrize("point", POINTS)
def test_a_server_killed_mid_approval_keeps_all_or_nothing(
    point: str, template: Path, reference: list[str], tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    with world.open_world(root) as ws:
        size = ws.ledger.size()
        token = issue_token(ws, user_by_email(ws, LAST_EMAIL), "tests").token

    with _server(root, point) as (proc, base):
        with pytest.raises(httpx.TransportError):  # no answer: the server died mid-request
            _approve(base, token)
        assert proc.wait(timeout=30) == -signal.SIGKILL

    with world.open_world(root) as ws:  # the restarted instance
        world.ledger_verifies(ws, tmp_path / "after-crash")
        world.approvals_agree(ws)
        added = world.leaf_hashes(ws)[size:]
        assert added in ([], reference)  # the approval with its move, or nothing
        status = agreements.get(ws, world.APPROVE_ID).status
        assert status is (Status.approved if added else Status.in_review)
        stored = len(approvals.recorded(ws, world.APPROVE_ID))

    with _server(root, None) as (_, base):  # restart the server; the caller retries
        if stored < len(world.APPROVERS):
            assert _approve(base, token).status_code == 201

    with world.open_world(root) as ws:
        assert world.leaf_hashes(ws)[size:] == reference
        world.approvals_agree(ws)
        world.ledger_verifies(ws, tmp_path / "after-retry")
        assert agreements.get(ws, world.APPROVE_ID).status is Status.approved
