"""Exit and retention over simulated weeks (March 2025, before the recode).

Greenwich withdraws from its own flow and keeps what it received for ongoing direct care until
2025-03-20; sharing with Barnsley ends with nothing retained. Sheffield's flow and the agreement
go on. The sweep warns Greenwich before its review date, requests deletion at it, and purges the
instance's copies; Greenwich's signed certificates move it to deleted. Bad input records nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from boundary_world import (
    BARNSLEY,
    DECLARED,
    GREENWICH,
    SHEFFIELD,
    agreement,
    write_directory,
    write_source,
)
from sqlalchemy import select

from accord.clock import FixedClock
from accord.errors import InputError, NotPermitted
from accord.model.enums import Status
from accord.model.retention import RetentionState
from accord.refdata import Geography
from accord.service import agreements, lifecycle, retention, runs, sharing_deletes
from accord.service.register import register_rows
from accord.store.disputes import notifications
from accord.workspace import Workspace


def day(d: int) -> datetime:
    return datetime(2025, 3, d, 9, 0, tzinfo=UTC)


def _notes(ws: Workspace) -> list[tuple[str, str, str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(notifications).order_by(notifications.c.id)).all()
    return [(r.party, r.role, r.subject) for r in rows if not r.subject.startswith("Approval")]


@pytest.fixture
def world(tmp_path: Path):
    geo = Geography.load(write_directory(tmp_path / "nspl.csv"))
    source = write_source(tmp_path / "people.csv")
    a = agreement()
    with Workspace.init(tmp_path / "ws", clock=FixedClock(DECLARED)) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        yield ws, a, geo, source


def _run(ws, a, geo, source, when):  # type: ignore[no-untyped-def]
    ws.clock.set(when)
    return {
        d.recipient: d.rows for d in runs.run(ws, a.id, source=source, geography=geo).deliveries
    }


def test_withdraw_cease_retain_warn_request_purge_certify(world) -> None:  # type: ignore[no-untyped-def]
    ws, a, geo, source = world
    assert _run(ws, a, geo, source, day(3)) == {BARNSLEY: 4, SHEFFIELD: 2, GREENWICH: 4}
    assert _run(ws, a, geo, source, day(4)) == {BARNSLEY: 4, SHEFFIELD: 2, GREENWICH: 4}

    ws.clock.set(day(5))
    retention.withdraw(
        ws, a.id, "spl-e09000011", party=GREENWICH, purpose="ongoing direct care",
        until=date(2025, 3, 20),
    )  # fmt: skip
    retention.cease(ws, a.id, party=BARNSLEY)
    assert agreements.active_version(ws, a.id).status is Status.active
    assert _run(ws, a, geo, source, day(6)) == {SHEFFIELD: 2}

    # A change-feed file derived from Barnsley's deliveries (it holds their rows) goes with them.
    derived = sharing_deletes.cache_dir(ws.root, a.id, BARNSLEY, "spl-e08000016")
    derived.mkdir(parents=True)
    (derived / "rows.parquet").write_bytes(b"derived")
    lifecycle.sweep(ws, day(6))  # Barnsley: nothing retained, so its copies go at once
    assert not derived.exists()
    purged = [
        e.event for e in ws.ledger.entries_for_agreement(a.id) if e.event.name == "delivery-purged"
    ]
    assert {e.recipient for e in purged} == {BARNSLEY}
    assert len(purged) == 2
    assert not [p for p in ws.deliveries_dir.rglob("extract.parquet") if "E08000016" in str(p)]
    assert [p for p in ws.deliveries_dir.rglob("extract.parquet") if "E09000011" in str(p)]

    lifecycle.sweep(ws, day(13))  # 7 days before Greenwich's review date
    assert (GREENWICH, "siro", "Retention review in 7 days: "
            f"{a.title} (flow spl-e09000011)") in _notes(ws)  # fmt: skip
    assert lifecycle.sweep(ws, day(13)) == []  # told once

    swept = lifecycle.sweep(ws, day(20))
    assert ("deletion-requested", GREENWICH) in {(s.action, s.detail) for s in swept}
    assert ("purged", GREENWICH) in {(s.action, s.detail) for s in swept}
    assert any(s.startswith("Deletion requested") for p, _, s in _notes(ws) if p == GREENWICH)
    assert not [p for p in ws.deliveries_dir.rglob("extract.parquet") if "E09000011" in str(p)]
    assert [p for p in ws.deliveries_dir.rglob("extract.parquet") if "E08000019" in str(p)]

    made = [
        e.event.delivery_id
        for e in ws.ledger.entries_for_agreement(a.id)
        if e.event.name == "delivery-made" and e.event.recipient == GREENWICH
    ]
    assert len(made) == 2
    ws.clock.set(day(21))
    for delivery_id in made:
        cert = retention.certify_deletion(
            ws, a.id, party=GREENWICH, delivery_id=delivery_id, deleted_on=date(2025, 3, 21)
        )
        assert cert.signature
    steps = retention.states(ws, a.id)
    assert steps[(GREENWICH, "spl-e09000011")].state is RetentionState.deleted
    assert steps[(BARNSLEY, None)].state is RetentionState.deletion_due
    assert (SHEFFIELD, None) not in steps
    rows = {r.flow_id: r for r in register_rows(ws, now=day(21))}
    assert rows["spl-e09000011"].exit_state == "deleted for ongoing direct care until 2025-03-20"
    assert rows["spl-e09000011"].deletion_certificates == [f"{d} deleted 2025-03-21" for d in made]
    assert rows["spl-e08000016"].exit_state == "deletion_due"
    assert rows["spl-e08000019"].exit_state is None
    certified = [
        e.event
        for e in ws.ledger.entries_for_agreement(a.id)
        if e.event.name == "deletion-certified"
    ]
    keys = ws.keystore.public_keys()
    assert [keys.verify_event(e).delivery_id for e in certified] == made  # type: ignore[arg-type]
    names = [
        (e.event.recipient, e.event.to_state)  # type: ignore[attr-defined]
        for e in ws.ledger.entries_for_agreement(a.id)
        if e.event.name == "recipient-state-changed"
    ]
    assert names == [
        (GREENWICH, "retained"),
        (BARNSLEY, "deletion_due"),
        (GREENWICH, "deletion_due"),
        (GREENWICH, "deleted"),
    ]


def test_bad_input_names_the_field_and_records_nothing(world) -> None:  # type: ignore[no-untyped-def]
    ws, a, geo, source = world
    _run(ws, a, geo, source, day(3))
    barnsley = next(
        e.event.delivery_id
        for e in ws.ledger.entries_for_agreement(a.id)
        if e.event.name == "delivery-made" and e.event.recipient == BARNSLEY
    )
    before = (
        ws.ledger.size()
        if hasattr(ws.ledger, "size")
        else len(ws.ledger.entries_for_agreement(a.id))
    )
    with pytest.raises(InputError) as err:
        retention.certify_deletion(
            ws, a.id, party=GREENWICH, delivery_id=barnsley, deleted_on=date(2025, 3, 3)
        )
    assert [p.where for p in err.value.problems] == ["delivery_id"]
    with pytest.raises(InputError) as err:
        retention.cease(ws, a.id, party=SHEFFIELD, purpose="inquiry", until=date(2025, 3, 1))
    assert [p.where for p in err.value.problems] == ["until"]
    with pytest.raises(NotPermitted):
        retention.withdraw(ws, a.id, "spl-e08000019", party=GREENWICH)
    after = (
        ws.ledger.size()
        if hasattr(ws.ledger, "size")
        else len(ws.ledger.entries_for_agreement(a.id))
    )
    assert after == before
    assert retention.history(ws, a.id) == []
    assert retention.certificates(ws, a.id) == []
