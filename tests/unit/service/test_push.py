"""Pushing deliveries after a run: by MESH (a real MESH server, NHS England's sandbox) and into
the outbox, through a queue in the store that retries with backoff, withdraws what a suspended
agreement had queued (telling the recipient why), and records the MESH message id and the
recipient's acknowledgement in the ledger."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mesh_client import MeshClient
from mesh_sandbox import RECIPIENT, MeshServer
from push_builders import MESH_FLOW, MESH_PARTY, OUTBOX_FLOW, pushing_agreement
from sqlalchemy import select

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.ledger.events import PushAcknowledged, PushFailed, PushSent, PushWithdrawn
from accord.model import Agreement
from accord.model.examples import example_counts_agreement
from accord.push.mesh import MeshSettings
from accord.service import agreements, assurance, lifecycle, push, releases, runs, users
from accord.store.disputes import notifications
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Workspace, Path, FixedClock]]:
    a = pushing_agreement()
    assert a.incident is not None
    clock = FixedClock(a.incident.declared_at)
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        source = tmp_path / "people.parquet"
        write_population(source, rows=1_000, seed=3, postcode_directory=directory)
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        yield ws, source, clock


def _run(ws: Workspace, source: Path) -> runs.RunResult:
    return runs.run(ws, pushing_agreement().id, source=source, geography=runs.load_geography(ws))


def _events(ws: Workspace, cls: type) -> list[Any]:
    entries = ws.ledger.entries_for_agreement(pushing_agreement().id)
    return [e.event for e in entries if isinstance(e.event, cls)]


def _by_flow(ws: Workspace) -> dict[str, push.Push]:
    return {p.flow_id: p for p in push.listing(ws)}


def _dead_mesh(server: MeshServer) -> MeshSettings:
    return MeshSettings(**(server.settings().to_json() | {"url": "https://127.0.0.1:9"}))


def _recipient_inbox(server: MeshServer) -> MeshClient:
    s = server.settings(RECIPIENT)
    return MeshClient(
        s.url, s.mailbox, s.password, shared_key=s.shared_key.encode(), cert=(s.cert, s.key),
        verify=s.ca, max_retries=0,
    )  # fmt: skip


def _notices(ws: Workspace, party: str) -> list[Any]:
    with ws.engine.connect() as conn:
        return conn.execute(select(notifications).where(notifications.c.party == party)).all()


def test_a_run_sends_by_mesh_and_the_acknowledgement_is_a_receipt_of_the_manifest(
    live, mesh_server
) -> None:
    ws, source, _clock = live
    push.configure_mesh(ws, mesh_server.settings())
    result = _run(ws, source)
    sent = _by_flow(ws)[MESH_FLOW]
    delivery = next(d for d in result.deliveries if d.flow_id == MESH_FLOW)
    assert (sent.state, sent.address, sent.attempts) == ("sent", RECIPIENT, 1)
    (event,) = [e for e in _events(ws, PushSent) if e.method == "mesh"]
    assert event.message_id == sent.message_id and event.workflow_id == "ACCORD_TEST"
    assert event.manifest_sha256 == delivery.manifest_sha256
    # The recipient finds one message carrying the whole delivery, manifest and extract.
    with _recipient_inbox(mesh_server) as inbox:
        message = inbox.retrieve_message(sent.message_id)
        body = message.read()
        assert hashlib.sha256(body).hexdigest() == event.package_sha256
        assert message.local_id == sent.delivery_id and message.workflow_id == "ACCORD_TEST"
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            assert sorted(zf.namelist()) == sorted(delivery.files) + ["manifest.json"]
            manifest = zf.read("manifest.json")
        assert hashlib.sha256(manifest).hexdigest() == delivery.manifest_sha256
        for name, digest in delivery.files.items():
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        assert push.poll_acknowledgements(ws) == []  # not yet acknowledged
        message.acknowledge()
    (acked,) = push.poll_acknowledgements(ws)
    assert acked.state == "acknowledged"
    (receipt,) = _events(ws, PushAcknowledged)
    assert (receipt.message_id, receipt.manifest_sha256) == (
        sent.message_id, delivery.manifest_sha256,
    )  # fmt: skip
    assert push.poll_acknowledgements(ws) == []  # recorded once


def test_a_rerun_sends_nothing_twice(live, mesh_server) -> None:
    ws, source, _clock = live
    push.configure_mesh(ws, mesh_server.settings())
    _run(ws, source)
    again = _run(ws, source)
    assert again.rerun
    assert len(push.listing(ws)) == 2 and len(_events(ws, PushSent)) == 2


def test_the_outbox_holds_the_delivery_whole_in_the_recipients_folder(live) -> None:
    ws, source, _clock = live
    result = _run(ws, source)
    delivery = next(d for d in result.deliveries if d.flow_id == OUTBOX_FLOW)
    p = _by_flow(ws)[OUTBOX_FLOW]
    assert p.state == "sent" and p.address == "outbox/gss_E06000002"
    (folder,) = [f for f in (ws.root / p.address).iterdir() if not f.name.startswith(".")]
    held = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in folder.iterdir()}
    assert held == {**delivery.files, "manifest.json": delivery.manifest_sha256}
    assert list((ws.root / p.address / ".staging").iterdir()) == []
    (event,) = [e for e in _events(ws, PushSent) if e.method == "outbox"]
    assert event.message_id is None and event.manifest_sha256 == delivery.manifest_sha256
    # the MESH flow has no mailbox configured here: it waits in the queue, saying why
    waiting = _by_flow(ws)[MESH_FLOW]
    assert waiting.state == "queued" and "no MESH mailbox" in (waiting.last_error or "")


def test_failures_are_retried_with_backoff_then_given_up_then_retried_by_hand(
    live, mesh_server
) -> None:
    ws, source, clock = live
    push.configure_mesh(ws, _dead_mesh(mesh_server))
    _run(ws, source)
    start = clock.now()
    p = _by_flow(ws)[MESH_FLOW]
    assert (p.state, p.attempts) == ("queued", 1)
    assert p.next_attempt_at == push.iso(start + timedelta(minutes=1))
    assert push.send_due(ws, start + timedelta(seconds=59)) == []  # not due yet
    at = start
    for attempt in range(2, push.MAX_ATTEMPTS + 1):
        at = at + push.backoff(attempt - 1)
        (tried,) = push.send_due(ws, at)
        assert tried.attempts == attempt
    assert tried.state == "failed"
    (failed,) = _events(ws, PushFailed)
    assert failed.attempts == push.MAX_ATTEMPTS and "MESH send failed" in failed.error
    told = _notices(ws, "ods:X26")
    assert [n.subject for n in told] == [f"Delivery not sent after 6 attempts: {p.delivery_id}"]
    assert push.send_due(ws, at + timedelta(days=1)) == []  # failed waits for a person
    push.configure_mesh(ws, mesh_server.settings())
    again = push.retry(ws, p.delivery_id)
    assert (again.state, again.attempts) == ("sent", 1)


def test_suspending_the_agreement_withdraws_its_queued_messages_and_tells_the_recipient(
    live, mesh_server
) -> None:
    ws, source, clock = live
    push.configure_mesh(ws, _dead_mesh(mesh_server))
    _run(ws, source)
    queued = _by_flow(ws)[MESH_FLOW]
    assert queued.state == "queued"
    agreements.transition(ws, pushing_agreement().id, "suspended", reason="a dispute", actor="me")
    withdrawn = _by_flow(ws)[MESH_FLOW]
    assert withdrawn.state == "withdrawn"
    assert withdrawn.withdrawn_reason == "the agreement version 1.0.0 was suspended: a dispute"
    (event,) = _events(ws, PushWithdrawn)
    assert (event.delivery_id, event.actor) == (queued.delivery_id, "me")
    told = _notices(ws, MESH_PARTY)
    assert {n.role for n in told} >= {"siro", "dpo"}
    assert any("a dispute" in n.message for n in told)
    # MESH answers again: nothing withdrawn is ever sent
    push.configure_mesh(ws, mesh_server.settings())
    assert push.send_due(ws, clock.now() + timedelta(days=1)) == []
    assert [e.method for e in _events(ws, PushSent)] == ["outbox"]
    with pytest.raises(NotPermitted, match="only an unsent push"):
        push.withdraw(ws, queued.delivery_id, reason="again", actor="me")


def test_a_person_withdraws_a_queued_push_and_cannot_withdraw_a_sent_one(live) -> None:
    ws, source, _clock = live
    _run(ws, source)
    queued, sent = _by_flow(ws)[MESH_FLOW], _by_flow(ws)[OUTBOX_FLOW]
    done = push.withdraw(ws, queued.delivery_id, reason="wrong mailbox", actor="dpo@x26")
    assert done.state == "withdrawn" and done.withdrawn_reason == "wrong mailbox"
    with pytest.raises(NotPermitted, match="is sent; only an unsent push") as caught:
        push.withdraw(ws, sent.delivery_id, reason="late", actor="dpo@x26")
    assert "cannot be recalled" in caught.value.diagnostics()


def test_two_senders_never_send_the_same_attempt(live) -> None:
    ws, source, clock = live
    _run(ws, source)
    p = _by_flow(ws)[MESH_FLOW]
    now = clock.now() + timedelta(hours=1)
    assert push._claim(ws, p, now) is True
    assert push._claim(ws, p, now) is False  # the same snapshot: already claimed


def test_mesh_settings_are_kept_readable_by_the_instance_only(live, mesh_server) -> None:
    ws, _source, _clock = live
    assert push.mesh_settings(ws) is None
    path = push.configure_mesh(ws, mesh_server.settings())
    assert path.stat().st_mode & 0o777 == 0o600
    assert push.mesh_settings(ws) == mesh_server.settings()
    assert json.loads(path.read_text())["mailbox"] == "X26ABC1"


def test_a_flow_the_sweep_suspends_has_its_queued_push_withdrawn(live, mesh_server) -> None:
    ws, source, clock = live
    assurance.record_assurance(
        ws,
        {"party": MESH_PARTY, "scheme": "dspt", "status": "standards_met",
         "effective_from": "2025-03-20", "valid_until": "2026-03-20"},
        actor="ig",
    )  # fmt: skip
    push.configure_mesh(ws, _dead_mesh(mesh_server))
    _run(ws, source)
    assert _by_flow(ws)[MESH_FLOW].state == "queued"
    clock.set(datetime(2026, 3, 21, 9, tzinfo=UTC))
    done = lifecycle.sweep(ws)
    assert ("push-withdrawn", _by_flow(ws)[MESH_FLOW].delivery_id) in {
        (s.action, s.detail) for s in done
    }
    withdrawn = _by_flow(ws)[MESH_FLOW]
    assert withdrawn.state == "withdrawn"
    assert withdrawn.withdrawn_reason.startswith(f"the flow {MESH_FLOW} is suspended")


@given(st.integers(min_value=1, max_value=60))
def test_backoff_grows_and_is_capped(attempt: int) -> None:
    assert push.backoff(attempt) <= push.backoff(attempt + 1) <= push.LONGEST_WAIT
    assert push.backoff(attempt) >= push.FIRST_WAIT


def test_an_aggregate_table_is_pushed_only_once_its_review_releases_it(tmp_path) -> None:
    doc = example_counts_agreement("urn:accord:agreement:counts").model_dump(mode="json")
    for f in doc["flows"]:
        f.update(push="outbox", transfer_method="sftp")
    a = Agreement.model_validate(doc)
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=5)
        source = tmp_path / "people.parquet"
        write_population(source, rows=3_000, seed=5, postcode_directory=directory)
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        for email, roles in [("req@nhs.example", ["requester"]), ("dpo@nhs.example", ["dpo"]),
                             ("cg@nhs.example", ["caldicott_guardian"])]:  # fmt: skip
            users.add_user(ws, email, email.split("@")[0], "ods:X26", roles, "pw-long-enough-1")
        requester = users.user_by_email(ws, "req@nhs.example")
        runs.run(ws, a.id, source=source, geography=runs.load_geography(ws),
                 requested_by=requester)  # fmt: skip
        held = {p.recipient: p for p in push.listing(ws)}
        assert {p.state for p in held.values()} == {"held"}
        assert not (ws.root / "outbox").exists()  # nothing leaves before the review
        first, second = sorted(held.values(), key=lambda p: p.recipient)
        for email in ("dpo@nhs.example", "cg@nhs.example"):
            releases.review(ws, first.delivery_id, users.user_by_email(ws, email), "approve")
        reviewer = users.user_by_email(ws, "dpo@nhs.example")
        releases.review(ws, second.delivery_id, reviewer, "reject", note="too small")
        after = {p.recipient: p.state for p in push.listing(ws)}
        assert after == {first.recipient: "sent", second.recipient: "withdrawn"}
        assert (ws.root / first.address).is_dir() and not (ws.root / second.address).exists()
