"""The storage-backed ledger on SQLite and PostgreSQL: appends, heads, proofs, races, crashes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from accord.errors import NotFound, VerificationError
from accord.ledger.events import AgreementApproved, DeliveryMade, Event, IncidentDeclared
from accord.ledger.keys import KeyStore
from accord.ledger.log import Ledger
from accord.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    root_hash,
    subtree_hasher,
    verify_consistency,
    verify_inclusion,
)
from accord.ledger.verify import verify_export
from accord.store import open_store
from accord.store.ledger import ledger_entries, ledger_nodes

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AT = "2026-03-16T09:00:00.000000Z"


def delivery(i: int, agreement: str = "covid-shielding") -> DeliveryMade:
    return DeliveryMade(
        agreement_id=agreement, agreement_version="1.0.0", agreement_hash="ab" * 32, at=AT,
        delivery_id=f"d-{i}", recipient="gss:E06000001", manifest_sha256="cd" * 32, row_count=i,
    )  # fmt: skip


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_store(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Ledger:
    return Ledger(engine, KeyStore(tmp_path / "keys"))


def test_append_gives_consecutive_indices_and_findable_entries(ledger: Ledger) -> None:
    first = ledger.append(
        IncidentDeclared(at=AT, incident_id="i-1", title="Flood", declared_by="co"), NOW
    )
    rest = ledger.append_many([delivery(i) for i in range(5)], NOW)
    assert [first.index, *(e.index for e in rest)] == list(range(6))
    assert ledger.size() == 6
    assert ledger.entry(3) == rest[2]
    assert ledger.find(rest[2].event_id) == rest[2]
    assert ledger.entry(3).event == delivery(2)
    assert ledger.entry(3).appended_at == AT
    with pytest.raises(NotFound):
        ledger.entry(6)
    with pytest.raises(NotFound):
        ledger.find("ev-nope")


def test_entries_for_agreement_in_log_order(ledger: Ledger) -> None:
    ledger.append_many([delivery(0, "a"), delivery(1, "b"), delivery(2, "a")], NOW)
    assert [e.event.row_count for e in ledger.entries_for_agreement("a")] == [0, 2]  # type: ignore[attr-defined]
    assert ledger.entries_for_agreement("zzz") == []


def test_tree_heads_sign_the_root_and_repeat_for_the_same_size(ledger: Ledger) -> None:
    empty = ledger.tree_head(NOW)
    assert empty.size == 0
    entries = ledger.append_many([delivery(i) for i in range(13)], NOW)
    head = ledger.tree_head(NOW + timedelta(minutes=1))
    assert head.size == 13
    assert head.root_hash == root_hash([e.leaf_hash for e in entries])
    assert head.verify(ledger.keystore.instance_verifier()) is head
    assert ledger.tree_head(NOW + timedelta(minutes=2)) == head  # nothing new to commit to
    assert ledger.latest_head() == head
    assert [h.size for h in ledger.heads()] == [0, 13]


def test_stored_proofs_equal_in_memory_proofs_and_verify(ledger: Ledger) -> None:
    entries = ledger.append_many([delivery(i) for i in range(37)], NOW)
    leaves = [e.leaf_hash for e in entries]
    small = ledger.tree_head(NOW)
    more = ledger.append_many([delivery(i) for i in range(37, 70)], NOW)
    leaves += [e.leaf_hash for e in more]
    head = ledger.tree_head(NOW + timedelta(seconds=1))
    for entry in entries + more:
        proved = ledger.prove(entry.event_id)
        proof = [bytes.fromhex(p) for p in proved["proof"]]
        assert proof == inclusion_proof(entry.index, 70, subtree_hasher(leaves))
        assert verify_inclusion(entry.leaf_hash, entry.index, 70, proof, head.root_hash)
        assert proved["checkpoint"] == head.to_text()
    consistency = ledger.consistency(small.size, head.size)
    proof = [bytes.fromhex(p) for p in consistency["proof"]]
    assert proof == consistency_proof(37, 70, subtree_hasher(leaves))
    assert verify_consistency(37, 70, proof, small.root_hash, head.root_hash)


def test_prove_signs_a_head_only_when_asked(ledger: Ledger) -> None:
    entry = ledger.append(delivery(0), NOW)
    with pytest.raises(NotFound, match="not yet covered"):
        ledger.prove(entry.event_id)
    assert ledger.prove(entry.event_id, now=NOW)["tree_size"] == 1


def test_a_restarted_or_second_writer_continues_the_same_tree(
    engine: Engine, tmp_path: Path
) -> None:
    keys = KeyStore(tmp_path / "keys")
    one, two = Ledger(engine, keys), Ledger(engine, keys)
    leaves = []
    for i in range(25):  # alternate writers, so each one's cached right edge goes stale
        leaves.append((one if i % 3 else two).append(delivery(i), NOW).leaf_hash)
    assert Ledger(engine, keys).tree_head(NOW).root_hash == root_hash(leaves)


def test_threads_appending_at_once_never_share_an_index(engine: Engine, tmp_path: Path) -> None:
    ledger = Ledger(engine, KeyStore(tmp_path / "keys"))
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(30):
                ledger.append(delivery(worker * 1000 + i), NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_log_is_whole(engine, 120)
    ledger.export(tmp_path / "export", now=NOW)
    assert verify_export(tmp_path / "export").size == 120


WORKER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from accord.ledger.events import DeliveryMade
    from accord.ledger.keys import KeyStore
    from accord.ledger.log import Ledger
    from accord.store import make_engine

    url, keys, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ledger = Ledger(make_engine(url), KeyStore(keys))
    for i in range(count):
        ledger.append(DeliveryMade(agreement_id="a", agreement_version="1.0.0",
            agreement_hash="ab" * 32, at="2026-03-16T09:00:00Z", delivery_id=f"{worker}-{i}",
            recipient="gss:E06000001", manifest_sha256="cd" * 32, row_count=i),
            datetime(2026, 3, 16, tzinfo=UTC))
    """
)


def assert_log_is_whole(engine: Engine, count: int) -> None:
    with engine.connect() as conn:
        indices = conn.execute(select(ledger_entries.c.leaf_index)).scalars().all()
        nodes = conn.execute(select(func.count()).select_from(ledger_nodes)).scalar()
    assert sorted(indices) == list(range(count))
    assert nodes == sum(count >> level for level in range(1, count.bit_length()))


def test_two_processes_appending_at_once_never_share_an_index(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, str(tmp_path / "keys"), str(w), "60"]
        )
        for w in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert_log_is_whole(engine, 120)
    ledger = Ledger(engine, KeyStore(tmp_path / "keys"))
    ledger.export(tmp_path / "export", now=NOW)
    assert verify_export(tmp_path / "export").size == 120


CRASH = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from sqlalchemy import insert
    from accord.ledger.events import IncidentDeclared, canonical_bytes
    from accord.ledger.keys import KeyStore
    from accord.ledger.log import Ledger
    from accord.ledger.merkle import hash_leaf
    from accord.store import make_engine
    from accord.store.ledger import ledger_entries

    url, keys, where = sys.argv[1], sys.argv[2], sys.argv[3]
    ledger = Ledger(make_engine(url), KeyStore(keys))
    event = IncidentDeclared(at="2026-03-16T09:00:00Z", incident_id="i", title="t", declared_by="d")
    now = datetime(2026, 3, 16, tzinfo=UTC)
    ledger.append(event, now)  # committed, but no tree head is ever signed for it
    if where == "mid-append":  # the leaf row is written, the transaction never commits
        with ledger._serialised() as conn:
            payload = canonical_bytes(event)
            conn.execute(insert(ledger_entries).values(leaf_index=ledger.size(), event_id="ev-x",
                name=event.name, agreement_id=None, leaf_hash=hash_leaf(payload),
                payload=payload.decode(), appended_at="2026-03-16T09:00:00.000000Z"))
            os._exit(9)
    os._exit(9)
    """
)


@pytest.mark.parametrize("where", ["after-append", "mid-append"])
def test_a_crash_before_the_tree_head_leaves_a_log_that_verifies(
    engine: Engine, database_url: str, tmp_path: Path, where: str
) -> None:
    ledger = Ledger(engine, KeyStore(tmp_path / "keys"))
    ledger.append_many([delivery(i) for i in range(5)], NOW)
    ledger.tree_head(NOW)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, database_url, str(tmp_path / "keys"), where], timeout=60
    )
    assert crashed.returncode == 9
    # After the restart: the committed leaf is there, the half-written one is not.
    restarted = Ledger(engine, KeyStore(tmp_path / "keys"))
    assert restarted.size() == 6
    restarted.export(tmp_path / "before", now=None)
    summary = verify_export(tmp_path / "before")
    assert (summary.size, summary.unsigned) == (6, 1)
    restarted.append(delivery(99), NOW)
    restarted.export(tmp_path / "after", now=NOW + timedelta(seconds=1))
    summary = verify_export(tmp_path / "after")
    assert (summary.size, summary.unsigned, summary.heads) == (7, 0, 2)


def test_a_missing_stored_node_is_reported_not_guessed(ledger: Ledger, engine: Engine) -> None:
    entries = ledger.append_many([delivery(i) for i in range(8)], NOW)
    ledger.tree_head(NOW)
    with engine.begin() as conn:
        conn.execute(ledger_nodes.delete().where(ledger_nodes.c.level == 2))
    with pytest.raises(VerificationError, match="no node at level 2"):
        ledger.prove(entries[0].event_id)


def test_approvals_are_stored_with_their_signature(ledger: Ledger) -> None:
    approval = ledger.keystore.sign_event(
        AgreementApproved(
            agreement_id="a", agreement_version="1.0.0", agreement_hash="ab" * 32, at=AT,
            party="gss:E06000001", role="controller", decision="approve", signature="",
        )
    )  # fmt: skip
    entry = ledger.append(approval, NOW)
    stored: Event = ledger.find(entry.event_id).event
    assert stored == approval
    assert ledger.keystore.public_keys().verify_event(approval) is approval


def test_events_in_a_callers_transaction_roll_back_with_it(
    ledger: Ledger, engine: Engine, tmp_path: Path
) -> None:
    ledger.append_many([delivery(i) for i in range(3)], NOW)
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(ledger_entries.delete().where(ledger_entries.c.leaf_index == -1))  # a write
        ledger.append_many([delivery(i) for i in range(3, 6)], NOW, conn=conn)
        tx.rollback()
    assert ledger.size() == 3
    # Another writer takes the same indices; this ledger must not reuse a stale right edge.
    other = Ledger(engine, KeyStore(tmp_path / "keys"))
    other.append_many([delivery(i) for i in range(10, 12)], NOW)
    ledger.append_many([delivery(20)], NOW)
    with engine.begin() as conn:
        conn.execute(ledger_entries.delete().where(ledger_entries.c.leaf_index == -1))
        ledger.append_many([delivery(21)], NOW, conn=conn)
    ledger.tree_head(NOW)
    out = ledger.export(tmp_path / "export", now=NOW)
    assert verify_export(out).size == 7
