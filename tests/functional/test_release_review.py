"""Release review over the API, the web pages and the Delta Sharing protocol (issue 15).

An aggregate agreement has run; its tables are held. Its recipient sees nothing of them (API
deliveries, manifests, the real ``delta-sharing`` client) until two of the discloser's
reviewers approve one; the requester and a second review by the same person are refused.
"""

from __future__ import annotations

import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import delta_sharing
import pytest
import uvicorn

from accord.cli import main
from accord.clock import FixedClock
from accord.ledger.events import ReleaseReviewed, TableReleased
from accord.model.examples import example_counts_agreement
from accord.server.app import create_app
from accord.service import agreements as agreement_service
from accord.service import releases, runs, users
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

AGREEMENT_ID = "urn:accord:agreement:example-counts"
SHARE = "urn_accord_agreement_example-counts"
GREENWICH_TABLE = "spl-e09000011"
SERVICE = "svc@greenwich.example"
PASSWORD = "correct horse battery staple"  # the functional conftest's


def _clock() -> FixedClock:
    a = example_counts_agreement(AGREEMENT_ID)
    assert a.incident is not None
    return FixedClock(a.incident.declared_at)


@pytest.fixture(scope="module")
def ran(template_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The functional workspace (its users) where the aggregate agreement is active and ran."""
    folder = tmp_path_factory.mktemp("releases")
    root = folder / "ws"
    shutil.copytree(template_workspace, root)
    with Workspace.open(root, clock=_clock()) as ws:
        agreement_service.create(
            ws, example_counts_agreement(AGREEMENT_ID), actor="req@nhs.example"
        )
        for state in ("in_review", "approved", "active"):
            agreement_service.transition(ws, AGREEMENT_ID, state, actor="tests")
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=1_000, seed=11)
        write_population(
            folder / "people.parquet", rows=2_000, seed=11, postcode_directory=directory
        )
        runs.run(
            ws,
            AGREEMENT_ID,
            source=folder / "people.parquet",
            geography=runs.load_geography(ws),
            requested_by=users.user_by_email(ws, "req@nhs.example"),
        )
    return root


@dataclass
class Live:
    ws: Workspace
    client: Any
    table: str  # Greenwich's held table (its delivery id)

    def bearer(self, email: str) -> dict[str, str]:
        user = users.user_by_email(self.ws, email)
        token = users.issue_token(self.ws, user, "tests", timedelta(days=1)).token
        return {"Authorization": f"Bearer {token}"}

    def review(self, email: str, decision: str = "approve", note: str | None = None) -> Any:
        body = {"decision": decision, "note": note}
        url = f"/api/releases/{self.table}/reviews"
        return self.client.post(url, json=body, headers=self.bearer(email))

    def received(self) -> set[str]:
        found = self.client.get("/api/deliveries", headers=self.bearer(SERVICE)).json()
        return {d["id"] for d in found["deliveries"] if d["agreement_id"] == AGREEMENT_ID}


@pytest.fixture
def live(ran: Path, tmp_path: Path) -> Iterator[Live]:
    shutil.copytree(ran, tmp_path / "ws")
    with Workspace.open(tmp_path / "ws", clock=_clock()) as ws:
        (table,) = [
            r.delivery_id for r in releases.list_releases(ws) if r.flow_id == GREENWICH_TABLE
        ]
        client = _test_client_class()(create_app(ws), base_url="http://testserver")
        yield Live(ws, client, table)


def _test_client_class() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient


def test_a_held_table_is_invisible_to_its_recipient_until_two_reviewers_release_it(
    live: Live,
) -> None:
    c = live.client
    assert live.received() == set()
    manifest = f"/api/deliveries/{live.table}/manifest"
    assert c.get(manifest, headers=live.bearer(SERVICE)).status_code == 404
    # The recipient's people see neither the delivery nor the review queue.
    gwen = live.bearer("siro@greenwich.example")
    assert c.get("/api/releases", headers=gwen).json()["releases"] == []
    assert c.get(f"/api/releases/{live.table}", headers=gwen).status_code == 404
    # The discloser's reviewer sees the table and its suppression report.
    shown = c.get(f"/api/releases/{live.table}", headers=live.bearer("dpo@nhs.example")).json()
    release = shown["release"]
    assert release["state"] == "pending" and release["profile"] == "opensafely"
    assert release["columns"] == ["date_of_birth", "count", "suppressed", "is_total", "partial"]
    assert release["disclosure"]["profile"] == "opensafely"
    assert all(r["count"] is None or r["count"] % 5 == 0 for r in release["rows"])
    # The requester may not review, nor may anyone twice.
    refused = live.review("req@nhs.example")
    assert refused.status_code == 403 and "requested" in refused.json()["error"]
    assert live.review("dpo@nhs.example").status_code == 201
    again = live.review("dpo@nhs.example")
    assert again.status_code == 403 and "already reviewed" in again.json()["error"]
    assert live.received() == set()
    done = live.review("cg@nhs.example")
    assert done.status_code == 201 and done.json()["release"]["state"] == "released"
    assert live.received() == {live.table}
    assert c.get(manifest, headers=live.bearer(SERVICE)).status_code == 200
    names = [e.event.name for e in live.ws.ledger.entries_for_agreement(AGREEMENT_ID)]
    assert names.count(ReleaseReviewed.name) == 2 and names.count(TableReleased.name) == 1
    # One rejection withholds the other recipient's table for good.
    other = live.table.replace(GREENWICH_TABLE, "spl-e06000002")
    url = f"/api/releases/{other}/reviews"
    body = {"decision": "reject", "note": "bands too fine"}
    rejected = c.post(url, json=body, headers=live.bearer("cg@nhs.example"))
    assert rejected.status_code == 201 and rejected.json()["release"]["state"] == "withheld"
    late = c.post(url, json={"decision": "approve"}, headers=live.bearer("dpo@nhs.example"))
    assert late.status_code == 409


def _signed_in(live: Live, email: str, csrf_from: Any) -> Any:
    client = _test_client_class()(live.client.app, base_url="http://testserver")
    token = csrf_from(client.get("/sign-in").text)
    form = {"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"}
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303
    return client


def test_the_review_page_shows_the_table_and_takes_approvals(live: Live, csrf_from: Any) -> None:
    page_url = f"/releases/{live.table}"
    client = _signed_in(live, "req@nhs.example", csrf_from)
    listing = client.get("/releases")
    assert listing.status_code == 200 and live.table in listing.text
    page = client.get(page_url)
    assert "Suppression report" in page.text and "Approve release" in page.text
    report = releases.show(live.ws, live.table).disclosure["suppressed"]
    assert report and all(s["rule"] in page.text and s["row"] in page.text for s in report)
    token = csrf_from(page.text)
    # The requester's approval is refused, in an error summary, and nothing is recorded.
    refused = client.post(page_url, data={"decision": "approve", "csrf_token": token})
    assert refused.status_code == 403 and "requested" in refused.text
    assert "govuk-error-summary" in refused.text
    # Without the CSRF token nothing is recorded either.
    client = _signed_in(live, "dpo@nhs.example", csrf_from)
    assert client.post(page_url, data={"decision": "approve"}).status_code == 403
    token = csrf_from(client.get(page_url).text)
    ok = client.post(
        page_url, data={"decision": "approve", "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303
    shown = client.get(page_url).text
    assert "1 of 2" in shown and "dpo@nhs.example" in shown
    client = _signed_in(live, "cg@nhs.example", csrf_from)
    token = csrf_from(client.get(page_url).text)
    client.post(page_url, data={"decision": "approve", "csrf_token": token})
    assert "Approve release" not in client.get(page_url).text  # decided: no buttons
    assert live.received() == {live.table}
    recipient_page = _signed_in(live, "siro@greenwich.example", csrf_from).get(page_url)
    assert recipient_page.status_code == 404


# -- the real delta-sharing client ----------------------------------------------------------


def _serve(ws: Workspace) -> tuple[uvicorn.Server, threading.Thread, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        create_app(ws), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    return server, thread, port


def test_the_delta_sharing_client_sees_the_table_only_once_released(
    live: Live, tmp_path: Path
) -> None:
    server, thread, port = _serve(live.ws)
    try:
        out = tmp_path / "svc.share"
        argv = ["sharing", "profile", SERVICE, "--out", str(out)]
        argv += ["--endpoint", f"http://127.0.0.1:{port}/delta-sharing"]
        assert main(argv, {"ACCORD_HOME": str(live.ws.root)}, clock=live.ws.clock) == 0
        client = delta_sharing.SharingClient(str(out))
        assert SHARE not in {t.share for t in client.list_all_tables() if t.name == GREENWICH_TABLE}
        for reviewer in ("dpo@nhs.example", "cg@nhs.example"):
            assert live.review(reviewer).status_code == 201
        tables = [(t.share, t.name) for t in client.list_all_tables() if t.share == SHARE]
        assert tables == [(SHARE, GREENWICH_TABLE)]
        df = delta_sharing.load_as_pandas(f"{out}#{SHARE}.deliveries.{GREENWICH_TABLE}")
        assert list(df.columns) == ["date_of_birth", "count", "suppressed", "is_total", "partial"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
