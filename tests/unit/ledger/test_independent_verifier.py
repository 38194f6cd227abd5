"""A verifier written from docs/reference/ledger-format.md alone, with hashlib and cryptography
(and json/base64 from the standard library): no accord import checks anything. It verifies a
real export, and fails on a changed entry."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

AT = "2026-03-16T09:00:00.000000Z"


def canon(value: object) -> bytes:
    """RFC 8785 for the JSON an export holds (strings, integers, lists, objects, null)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify(directory: Path) -> int:
    meta = json.loads((directory / "log.json").read_text())
    name, key_hash, key_b64 = (
        (directory / "keys" / "instance.pub").read_text().strip().split("+", 2)
    )
    raw = base64.b64decode(key_b64)
    assert (
        raw[0] == 1 and hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_hash
    )
    key = Ed25519PublicKey.from_public_bytes(raw[1:])
    leaves: list[bytes] = []
    hashes = (directory / "leaf-hashes.txt").read_text().split()
    for i, line in enumerate((directory / "entries.jsonl").read_text().splitlines()):
        entry = json.loads(line)
        assert entry["index"] == i
        if entry.get("leaf_format") == 2:
            data = canon(
                {"accord-leaf": 2, "appended_at": entry["appended_at"], "event": entry["event"]}
            )
        else:
            data = canon(entry["event"])
        leaf = hashlib.sha256(b"\x00" + data).digest()
        assert leaf.hex() == hashes[i], f"entry {i} does not match its leaf hash"
        digest = hashlib.sha256(b"accord-event-id\x00" + i.to_bytes(8, "big") + leaf).hexdigest()
        assert entry["event_id"] == "ev-" + digest[:32]
        leaves.append(leaf)
    assert len(leaves) == meta["size"] == len(hashes)
    heads = [json.loads(x) for x in (directory / "tree-heads.jsonl").read_text().splitlines()]
    assert heads
    for record in heads:
        body, _, sigs = record["checkpoint"].rpartition("\n\n")
        body += "\n"
        origin, size, root = body.split("\n")[:3]
        assert origin == meta["origin"] and int(size) == record["size"]
        for sig in sigs.splitlines():
            dash, signer, blob_b64 = sig.split(" ")
            blob = base64.b64decode(blob_b64)
            if dash == "\u2014" and signer == name and blob[:4].hex() == key_hash:
                key.verify(blob[4:], body.encode())  # raises InvalidSignature
                break
        else:
            raise AssertionError("a head is not signed by the instance key")
        assert mth(leaves[: int(size)]) == base64.b64decode(root), f"head {size} root differs"
    return len(leaves)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    from accord.clock import FixedClock
    from accord.ledger.events import DeliveryMade
    from accord.workspace import Workspace

    now = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    with Workspace.init(tmp_path / "ws", clock=FixedClock(now)) as ws:
        for batch in range(3):
            ws.ledger.append_many(
                [
                    DeliveryMade(
                        agreement_id="covid-shielding",
                        agreement_version="1.0.0",
                        agreement_hash="ab" * 32,
                        at=AT,
                        delivery_id=f"d-{batch}-{i}",
                        recipient="gss:E06000001",
                        manifest_sha256="cd" * 32,
                        row_count=316 + i,
                    )  # fmt: skip
                    for i in range(5 + batch)
                ],
                now,
            )
            ws.ledger.tree_head(now)
        ws.ledger.export(tmp_path / "out", now=now)
    return tmp_path / "out"


def test_the_independent_verifier_accepts_a_real_export(export: Path) -> None:
    assert verify(export) == 18


def test_the_independent_verifier_rejects_a_changed_row_count(export: Path) -> None:
    path = export / "entries.jsonl"
    path.write_text(path.read_text().replace('"row_count":316', '"row_count":3160', 1))
    with pytest.raises(AssertionError, match="entry 0 does not match"):
        verify(export)
