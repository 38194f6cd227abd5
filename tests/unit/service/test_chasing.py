"""Receipts outstanding: a delivery with no receipt of its manifest is listed, chased once after
N days by `accord sweep`, and no longer once the recipient's receipt (or MESH acknowledgement)
names its manifest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from push_builders import MESH_FLOW, pushing_agreement
from sqlalchemy import select

from accord.clock import FixedClock
from accord.ledger.events import DeliveryMade, DeliveryReceipt
from accord.model import example_agreement
from accord.service import agreements, chasing, lifecycle, push, runs
from accord.service._ledger import iso, record
from accord.store.disputes import notifications
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace


def _live(tmp_path: Path, agreement) -> Iterator[tuple[Workspace, Path, FixedClock]]:
    clock = FixedClock(agreement.incident.declared_at)
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        source = tmp_path / "people.parquet"
        write_population(source, rows=500, seed=4, postcode_directory=directory)
        agreements.create(ws, agreement)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, agreement.id, target)
        runs.run(ws, agreement.id, source=source, geography=runs.load_geography(ws))
        yield ws, source, clock


@pytest.fixture
def pulled(tmp_path: Path) -> Iterator[tuple[Workspace, Path, FixedClock]]:
    yield from _live(tmp_path, example_agreement())


def _receipt(ws: Workspace, made: DeliveryMade, manifest: str) -> None:
    receipt = DeliveryReceipt(
        agreement_id=made.agreement_id, agreement_version=made.agreement_version,
        agreement_hash=made.agreement_hash, at=iso(ws.clock.now()),
        delivery_id=made.delivery_id, recipient=made.recipient, manifest_sha256=manifest,
        signature="",
    )  # fmt: skip
    record(ws, ws.keystore.sign_event(receipt))


def _made(ws: Workspace) -> list[DeliveryMade]:
    entries = ws.ledger.entries_for_agreement(example_agreement().id)
    return [e.event for e in entries if isinstance(e.event, DeliveryMade)]


def _told(ws: Workspace) -> list[Any]:
    with ws.engine.connect() as conn:
        return conn.execute(
            select(notifications).where(notifications.c.subject.like("Receipt outstanding%"))
        ).all()


def test_unreceived_deliveries_are_chased_once_after_n_days(pulled) -> None:
    ws, _source, clock = pulled
    start = clock.now()
    listed = chasing.unreceived(ws, start + timedelta(days=2))
    assert sorted(u.recipient for u in listed) == ["gss:E06000002", "gss:E09000011"]
    assert {u.days for u in listed} == {2} and {u.push_state for u in listed} == {None}
    assert chasing.chase(ws, start + timedelta(days=2)) == []
    chased = chasing.chase(ws, start + timedelta(days=3))
    assert len(chased) == 2
    told = _told(ws)
    assert sorted((n.party, n.role) for n in told) == [
        ("gss:E06000002", "dpo"), ("gss:E06000002", "siro"),
        ("gss:E09000011", "dpo"), ("gss:E09000011", "siro"),
    ]  # fmt: skip
    assert all(n.message.count(n.subject.rsplit(" ", 1)[-1]) >= 1 for n in told)
    assert chasing.chase(ws, start + timedelta(days=4)) == []  # once per delivery


def test_a_receipt_of_the_manifest_ends_it_and_a_receipt_of_another_does_not(pulled) -> None:
    ws, _source, clock = pulled
    first, second = _made(ws)
    _receipt(ws, first, first.manifest_sha256)
    _receipt(ws, second, "00" * 32)
    (left,) = chasing.unreceived(ws, clock.now())
    assert left.delivery_id == second.delivery_id


def test_the_sweep_sends_what_is_due_and_chases_what_has_no_receipt(tmp_path, mesh_server) -> None:
    agreement = pushing_agreement()
    for ws, _source, clock in _live(tmp_path, agreement):
        assert {p.flow_id: p.state for p in push.listing(ws)}[MESH_FLOW] == "queued"
        push.configure_mesh(ws, mesh_server.settings())  # a mailbox to send from, at last
        later = clock.now() + timedelta(days=3)
        done = lifecycle.sweep(ws, later)
        actions = [(s.action, s.detail.split(" ")[0]) for s in done]
        mesh_push = next(p for p in push.listing(ws) if p.flow_id == MESH_FLOW)
        assert ("push-sent", mesh_push.delivery_id) in actions
        chased = sorted(d for a, d in actions if a == "chased")
        assert len(chased) == 2  # pushed, but no receipt yet from either recipient
        assert lifecycle.sweep(ws, later) == []  # a second sweep at the same moment: nothing
