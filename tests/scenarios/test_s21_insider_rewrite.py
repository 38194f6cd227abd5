"""Issue 21: an insider with the database and the instance key rewrites an old delivery-made
event (row count 316 -> 3160), recomputes its leaf hash, event id and every stored node, and
exports. Heads that left the instance catch it: the signer refuses while its own heads remain,
a witness (another party's instance, over its real HTTP API) refuses to cosign the rewritten
history, and `accord verify --against` the saved head reports equivocation, exit 6."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from accord.cli import main
from accord.clock import FixedClock
from accord.errors import Equivocation, VerificationError
from accord.ledger.checkpoint import SignedTreeHead
from accord.ledger.events import DeliveryMade, event_id_for, leaf_bytes, parse_leaf
from accord.ledger.merkle import CompactRange, hash_leaf
from accord.ledger.verify import verify_export
from accord.server.app import create_app
from accord.service import heads
from accord.store.ledger import ledger_entries, ledger_nodes, ledger_tree_heads
from accord.workspace import Workspace

AT = "2026-03-16T09:00:00.000000Z"
WITNESS_URL = "http://witness.example/api/witness/add-checkpoint"


def delivery(i: int, rows: int) -> DeliveryMade:
    return DeliveryMade(
        agreement_id="covid-shielding", agreement_version="1.0.0", agreement_hash="ab" * 32,
        at=AT, delivery_id=f"d-{i}", recipient="gss:E06000001", manifest_sha256="cd" * 32,
        row_count=rows,
    )  # fmt: skip


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient(app, base_url="http://witness.example")


@pytest.fixture
def parties(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Workspace, Workspace, Any]]:
    """The discloser's instance and a recipient's instance acting as its witness."""
    with (
        Workspace.init(tmp_path / "discloser", clock=clock) as ws,
        Workspace.init(tmp_path / "recipient", clock=clock) as witness_ws,
    ):
        client = _client(create_app(witness_ws))

        def post(url: str, body: str) -> tuple[int, str]:
            assert url == WITNESS_URL
            response = client.post("/api/witness/add-checkpoint", content=body.encode())
            return response.status_code, response.text

        heads.follow_log(witness_ws, ws.keystore.instance_verifier().to_string(), "accord/ledger")
        heads.add_witness(ws, witness_ws.keystore.witness_verifier().to_string(), WITNESS_URL)
        yield ws, witness_ws, post


def rewrite(ws: Workspace, index: int, row_count: int) -> None:
    """What the insider did: new payload, leaf hash, event id and every stored node."""
    with ws.engine.begin() as conn:
        row = conn.execute(select(ledger_entries).where(ledger_entries.c.leaf_index == index)).one()
        _fmt, event, appended_at = parse_leaf(row.payload)
        event["row_count"] = row_count
        payload = leaf_bytes(event, appended_at)
        leaf = hash_leaf(payload)
        conn.execute(
            update(ledger_entries)
            .where(ledger_entries.c.leaf_index == index)
            .values(payload=payload.decode(), leaf_hash=leaf, event_id=event_id_for(index, leaf))
        )
        leaves = conn.execute(
            select(ledger_entries.c.leaf_hash).order_by(ledger_entries.c.leaf_index)
        ).scalars()
        compact = CompactRange()
        nodes = [
            {"level": lvl, "node_index": i, "hash": h}
            for leaf_hash in leaves
            for lvl, i, h in compact.append(bytes(leaf_hash))
        ]
        conn.execute(delete(ledger_nodes))
        conn.execute(insert(ledger_nodes), nodes)
    ws.close()  # the instance restarts on the rewritten database (no cached right edge)


def test_the_rewrite_is_refused_by_the_signer_the_witness_and_verify(
    parties: tuple[Workspace, Workspace, Any], tmp_path: Path, clock: FixedClock
) -> None:
    ws, witness_ws, post = parties
    ws.ledger.append_many([delivery(i, 316 if i == 3 else i) for i in range(10)], clock.now())
    signed = heads.sign_head(ws, post=post)
    assert [w.outcome for w in signed.witnesses] == ["cosigned"]
    saved = tmp_path / "saved-head.txt"  # what an auditor saved from the register's feed
    saved.write_text(signed.head.to_text())
    assert len(SignedTreeHead.from_text(saved.read_text()).signatures) == 2  # instance + witness

    rewrite(ws, 3, 3160)

    # The signer refuses to extend a log inconsistent with its own last head, naming the range.
    clock.advance(timedelta(minutes=1))
    ws.ledger.append(delivery(10, 10), clock.now())
    with pytest.raises(VerificationError, match="refusing to sign .* between index 0 and index 9"):
        heads.sign_head(ws, post=post)

    # The insider deletes the stored heads; now the instance signs, but the witness refuses.
    with ws.engine.begin() as conn:
        conn.execute(delete(ledger_tree_heads))
    resigned = heads.sign_head(ws, post=post)
    assert [w.outcome for w in resigned.witnesses] == ["refused"]
    assert "HTTP 422" in resigned.witnesses[0].detail
    with witness_ws.engine.connect() as conn:
        from accord.store.witness import witness_logs

        assert conn.execute(select(witness_logs.c.tree_size)).scalar_one() == 10  # unmoved

    # The export verifies on its own (everything was recomputed)...
    export = tmp_path / "export"
    ws.ledger.export(export, now=clock.now())
    assert verify_export(export).size == 11
    # ...but not against the head the auditor saved: equivocation, with both heads.
    with pytest.raises(Equivocation, match="EQUIVOCATION: .* size 10") as caught:
        verify_export(export, against=[SignedTreeHead.from_text(saved.read_text())])
    assert signed.head.root_hash.hex() in str(caught.value.problems)
    assert main(["verify", str(export), "--against", str(saved)], {}) == 6


def test_a_same_size_rewrite_is_two_signed_roots_of_one_size(
    parties: tuple[Workspace, Workspace, Any], tmp_path: Path, clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    ws, _witness_ws, post = parties
    ws.ledger.append_many([delivery(i, 316 if i == 3 else i) for i in range(6)], clock.now())
    saved = tmp_path / "feed.jsonl"
    heads.sign_head(ws, post=post)
    saved.write_text(_client(create_app(ws)).get("/api/register/tree-heads.jsonl").text)
    rewrite(ws, 3, 3160)
    with ws.engine.begin() as conn:
        conn.execute(delete(ledger_tree_heads))
    export = tmp_path / "export"
    ws.ledger.export(export, now=clock.now() + timedelta(minutes=1))
    capsys.readouterr()
    assert main(["verify", str(export), "--against", str(saved)], {}) == 6
    out = capsys.readouterr().out
    assert "EQUIVOCATION" in out and out.count("accord/ledger\n6\n") == 2  # both heads shown


def test_export_refuses_an_entry_that_does_not_match_its_leaf_hash(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    ws.ledger.append_many([delivery(i, i) for i in range(5)], ws.clock.now())
    with ws.engine.begin() as conn:
        row = conn.execute(select(ledger_entries).where(ledger_entries.c.leaf_index == 2)).one()
        conn.execute(
            update(ledger_entries)
            .where(ledger_entries.c.leaf_index == 2)
            .values(payload=row.payload.replace('"row_count":2', '"row_count":20'))
        )
    with pytest.raises(VerificationError, match="refusing to export: the stored entry at index 2"):
        ws.ledger.export(tmp_path / "out")
    assert not (tmp_path / "out" / "entries.jsonl").exists()


def test_reading_the_tree_head_never_signs(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    ws.ledger.append_many([delivery(i, i) for i in range(3)], ws.clock.now())
    client = _client(create_app(ws))
    for path in ("/api/register/tree-head", "/register/tree-head", "/api/register/tree-heads"):
        assert client.get(path).status_code == 200
    assert ws.ledger.heads() == []
    assert client.get("/api/register/tree-head").json()["size"] == 0
    heads.sign_head(ws)
    body = client.get("/api/register/tree-head").json()
    assert body["size"] == 3
    feed = client.get("/api/register/tree-heads").json()["heads"]
    assert [h["size"] for h in feed] == [3]
    proof = client.get("/api/register/consistency", params={"old": 1, "new": 3}).json()
    assert proof["proof"]["old_size"] == 1 and len(proof["proof"]["proof"]) >= 1
    assert json.loads(client.get("/api/register/tree-heads.jsonl").text)["size"] == 3


def test_verify_requires_each_given_witnesss_cosignature_on_the_saved_heads(
    parties: tuple[Workspace, Workspace, Any],
    tmp_path: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 21: `accord verify --witness-key KEY`: a head the instance signed alone (here the
    one it signed after deleting its heads, which the witness refused) is not proof."""
    ws, witness_ws, post = parties
    ws.ledger.append_many([delivery(i, i) for i in range(10)], clock.now())
    cosigned = heads.sign_head(ws, post=post)
    assert [w.outcome for w in cosigned.witnesses] == ["cosigned"]
    saved = tmp_path / "cosigned.txt"
    saved.write_text(cosigned.head.to_text())
    witness_key = witness_ws.keystore.witness_verifier().to_string()
    with Workspace.init(tmp_path / "stranger", clock=clock) as stranger:
        other_key = stranger.keystore.witness_verifier().to_string()

    rewrite(ws, 3, 3160)
    with ws.engine.begin() as conn:
        conn.execute(delete(ledger_tree_heads))
    clock.advance(timedelta(minutes=1))
    alone = heads.sign_head(ws, post=post)  # the witness refuses the rewritten history
    assert [w.outcome for w in alone.witnesses] == ["refused"]
    published = tmp_path / "published.txt"  # what the instance now serves as its head
    published.write_text(alone.head.to_text())
    export = tmp_path / "export"
    ws.ledger.export(export, now=clock.now())

    verify = ["verify", str(export), "--against", str(published)]
    assert main(verify, {}) == 0  # the instance's own signature alone: it looks fine
    capsys.readouterr()
    assert main([*verify, "--witness-key", witness_key], {}) == 6
    out = capsys.readouterr().out
    assert (
        out.startswith("FAILED: ")
        and f"cosignature by witness {witness_ws.keystore.witness_verifier().name}" in out
    )
    # The head the witness did cosign is present and valid, and it exposes the rewrite.
    honest = ["verify", str(export), "--against", str(saved), "--witness-key", witness_key]
    assert main(honest, {}) == 6
    assert "EQUIVOCATION" in capsys.readouterr().out
    assert main([*honest, "--witness-key", other_key], {}) == 6  # each given witness is required
    assert "no valid cosignature" in capsys.readouterr().out
    assert main(["verify", str(export), "--witness-key", witness_key], {}) == 2  # needs --against
    assert "--against" in capsys.readouterr().err
    assert main([*verify, "--witness-key", "not-a-key"], {}) == 6


def test_a_cosigned_head_passes_with_its_witness_key(
    parties: tuple[Workspace, Workspace, Any], tmp_path: Path, clock: FixedClock
) -> None:
    ws, witness_ws, post = parties
    ws.ledger.append_many([delivery(i, i) for i in range(5)], clock.now())
    saved = tmp_path / "head.txt"
    saved.write_text(heads.sign_head(ws, post=post).head.to_text())
    ws.ledger.append(delivery(5, 5), clock.now())
    export = tmp_path / "export"
    ws.ledger.export(export, now=clock.now())
    key = witness_ws.keystore.witness_verifier().to_string()
    argv = ["verify", str(export), "--against", str(saved), "--witness-key", key]
    assert main(argv, {}) == 0
    assert verify_export(export, against=[SignedTreeHead.from_text(saved.read_text())],
                         witness_keys=[key]).size == 6  # fmt: skip
