"""Offline verification of an exported ledger, and every attack the issue names.

Each attack edits the exported files the way someone without the instance key could, and
``verify_export`` must fail naming the first bad index.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.errors import VerificationError
from accord.ledger.checkpoint import NoteSigner, SignedTreeHead, sign_tree_head
from accord.ledger.events import AgreementApproved, DeliveryMade, event_id_for, leaf_bytes
from accord.ledger.keys import KeyStore
from accord.ledger.log import Ledger
from accord.ledger.merkle import hash_leaf
from accord.ledger.verify import verify_export
from accord.store import open_store

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AT = "2026-03-16T09:00:00.000000Z"
APPROVAL_INDEX = 12


def delivery(i: int) -> DeliveryMade:
    return DeliveryMade(
        agreement_id="covid-shielding", agreement_version="1.0.0", agreement_hash="ab" * 32,
        at=AT, delivery_id=f"d-{i}", recipient="gss:E06000001", manifest_sha256="cd" * 32,
        row_count=i,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KeyStore]:
    """A 40-event log with heads at sizes 10, 25 and 40 and one signed approval, exported."""
    root = tmp_path_factory.mktemp("ledger")
    engine = open_store(f"sqlite:///{root / 'accord.sqlite'}")
    keys = KeyStore(root / "keys")
    ledger = Ledger(engine, keys)
    ledger.append_many([delivery(i) for i in range(10)], NOW)
    ledger.tree_head(NOW)
    ledger.append_many([delivery(i) for i in range(10, APPROVAL_INDEX)], NOW)
    approval = AgreementApproved(
        agreement_id="covid-shielding", agreement_version="1.0.0", agreement_hash="ab" * 32,
        at=AT, party="gss:E06000001", role="controller", decision="approve",
        reasons=("necessary and proportionate",), signature="",
    )  # fmt: skip
    ledger.append(keys.sign_event(approval), NOW)
    ledger.append_many([delivery(i) for i in range(APPROVAL_INDEX + 1, 25)], NOW)
    ledger.tree_head(NOW + timedelta(minutes=1))
    ledger.append_many([delivery(i) for i in range(25, 40)], NOW)
    ledger.export(root / "export", now=NOW + timedelta(minutes=2))
    engine.dispose()
    return root / "export", keys


@pytest.fixture
def export(pristine: tuple[Path, KeyStore], tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "export"
    shutil.copytree(pristine[0], copy)
    yield copy


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def entry_line(index: int, event: dict[str, object]) -> tuple[str, str]:
    """A self-consistent forged entry line and its leaf hash line."""
    leaf = hash_leaf(rfc8785.dumps(event))
    record = {"index": index, "event_id": event_id_for(index, leaf), "appended_at": AT}
    return json.dumps({**record, "event": event}) + "\n", leaf.hex() + "\n"


def expect_bad_index(export: Path, index: int, match: str = "") -> VerificationError:
    with pytest.raises(VerificationError, match=f"at index {index}: .*{match}") as caught:
        verify_export(export)
    assert caught.value.problems[0].where == f"index {index}"
    return caught.value


def test_the_pristine_export_verifies(export: Path, pristine: tuple[Path, KeyStore]) -> None:
    summary = verify_export(
        export, trusted_instance_key=pristine[1].instance_verifier().to_string()
    )
    assert (summary.size, summary.heads, summary.unsigned, summary.party_signatures) == (
        40,
        3,
        0,
        1,
    )
    assert summary.verdict().startswith("OK: 40 events verified against 3 signed tree heads")
    assert sorted(p.name for p in export.iterdir()) == [
        "consistency.jsonl", "entries.jsonl", "keys", "leaf-hashes.txt", "log.json",
        "tree-heads.jsonl",
    ]  # fmt: skip


def test_altering_an_event_names_its_index(export: Path) -> None:
    entries = lines(export / "entries.jsonl")
    entries[7] = entries[7].replace('"row_count":7', '"row_count":70')
    (export / "entries.jsonl").write_text("".join(entries))
    expect_bad_index(export, 7, "does not match its leaf hash")


def test_deleting_an_event_names_its_index(export: Path) -> None:
    entries = lines(export / "entries.jsonl")
    del entries[18]
    (export / "entries.jsonl").write_text("".join(entries))
    expect_bad_index(export, 18, "claims index 19")


def test_deleting_an_event_and_renumbering_the_rest_names_its_index(export: Path) -> None:
    entries = [json.loads(x) for x in lines(export / "entries.jsonl")]
    del entries[18]
    for position, record in enumerate(entries):
        record["index"] = position
    (export / "entries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in entries))
    expect_bad_index(export, 18, "does not match its leaf hash")


def test_inserting_an_event_names_its_index(export: Path) -> None:
    forged, _leaf = entry_line(5, delivery(555).to_payload())
    entries = lines(export / "entries.jsonl")
    entries.insert(5, forged)
    (export / "entries.jsonl").write_text("".join(entries))
    expect_bad_index(export, 5, "does not match its leaf hash")


def test_inserting_an_event_with_its_leaf_hash_names_the_first_unvouched_index(
    export: Path,
) -> None:
    """Rewriting leaf hashes too breaks the signed roots; 10 is where no valid head vouches."""
    forged, leaf = entry_line(15, delivery(555).to_payload())
    entries, leaves = lines(export / "entries.jsonl"), lines(export / "leaf-hashes.txt")
    entries.insert(15, forged)
    leaves.insert(15, leaf)
    renumbered = []
    for position, line in enumerate(entries):
        record = json.loads(line)
        record["index"] = position
        record["event_id"] = event_id_for(position, bytes.fromhex(leaves[position].strip()))
        renumbered.append(json.dumps(record) + "\n")
    (export / "entries.jsonl").write_text("".join(renumbered))
    (export / "leaf-hashes.txt").write_text("".join(leaves))
    expect_bad_index(export, 10, "do not give the signed root of size 25")


def test_reordering_two_events_names_the_first(export: Path) -> None:
    entries = lines(export / "entries.jsonl")
    entries[3], entries[8] = entries[8], entries[3]
    (export / "entries.jsonl").write_text("".join(entries))
    expect_bad_index(export, 3, "claims index 8")


def test_reordering_two_events_and_their_numbers_names_the_first(export: Path) -> None:
    entries = [json.loads(x) for x in lines(export / "entries.jsonl")]
    entries[3]["event"], entries[8]["event"] = entries[8]["event"], entries[3]["event"]
    (export / "entries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in entries))
    expect_bad_index(export, 3, "does not match its leaf hash")


def test_a_head_with_a_bad_signature_names_the_first_index_it_covers(export: Path) -> None:
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    head = SignedTreeHead.from_text(heads[1]["checkpoint"])
    signature = head.signatures[0]
    forged = bytes([signature.signature[0] ^ 1]) + signature.signature[1:]
    heads[1]["checkpoint"] = SignedTreeHead(
        head.origin, head.size, head.root_hash, head.timestamp,
        (type(signature)(signature.name, signature.key_hash, forged),),
    ).to_text()  # fmt: skip
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    expect_bad_index(export, 10, "tree head of size 25: .*bad signature")


def test_a_head_signed_by_another_key_fails(export: Path) -> None:
    forger = NoteSigner("accord-instance", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    real = SignedTreeHead.from_text(heads[0]["checkpoint"])
    heads[0]["checkpoint"] = sign_tree_head(
        real.origin, real.size, real.root_hash, real.timestamp or "", forger
    ).to_text()
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    expect_bad_index(export, 0, "not signed by accord-instance")


def test_a_validly_signed_head_with_the_wrong_root_names_the_first_index_it_covers(
    export: Path, pristine: tuple[Path, KeyStore]
) -> None:
    """The operator's own key signs a head that does not match the log: still caught."""
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    real = SignedTreeHead.from_text(heads[1]["checkpoint"])
    heads[1]["checkpoint"] = sign_tree_head(
        real.origin, real.size, b"\x42" * 32, real.timestamp or "",
        pristine[1].instance_signer(),
    ).to_text()  # fmt: skip
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    expect_bad_index(export, 10, "consistency proof")


def test_a_validly_signed_extra_head_with_the_wrong_root_fails_at_its_size(
    export: Path, pristine: tuple[Path, KeyStore]
) -> None:
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    latest = SignedTreeHead.from_text(heads[-1]["checkpoint"])
    extra = sign_tree_head(
        latest.origin, 41, b"\x42" * 32, "2026-03-16T09:05:00.000000Z",
        pristine[1].instance_signer(),
    )  # fmt: skip
    heads.append({"size": 41, "checkpoint": extra.to_text()})
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    expect_bad_index(export, 40, "no consistency proof")


def test_a_head_going_back_in_time_fails(export: Path, pristine: tuple[Path, KeyStore]) -> None:
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    real = SignedTreeHead.from_text(heads[2]["checkpoint"])
    heads[2]["checkpoint"] = sign_tree_head(
        real.origin, real.size, real.root_hash, "2026-03-16T08:00:00.000000Z",
        pristine[1].instance_signer(),
    ).to_text()  # fmt: skip
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    expect_bad_index(export, 25, "before the previous head")


def test_a_changed_approval_names_the_party_and_the_version(export: Path) -> None:
    entries = [json.loads(x) for x in lines(export / "entries.jsonl")]
    leaves = lines(export / "leaf-hashes.txt")
    approval = entries[APPROVAL_INDEX]
    approval["event"]["decision"] = "reject"
    leaf = hash_leaf(leaf_bytes(approval["event"], approval["appended_at"], 2))
    approval["event_id"] = event_id_for(APPROVAL_INDEX, leaf)
    leaves[APPROVAL_INDEX] = leaf.hex() + "\n"
    (export / "entries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in entries))
    (export / "leaf-hashes.txt").write_text("".join(leaves))
    error = expect_bad_index(export, APPROVAL_INDEX, "gss:E06000001")
    assert "covid-shielding version 1.0.0" in str(error)


def test_truncating_the_log_fails_at_the_first_missing_index(export: Path) -> None:
    for name in ("entries.jsonl", "leaf-hashes.txt"):
        (export / name).write_text("".join(lines(export / name)[:39]))
    expect_bad_index(export, 39, "covers more than the 39 entries")


def test_a_missing_leaf_hash_line_names_its_index(export: Path) -> None:
    (export / "leaf-hashes.txt").write_text("".join(lines(export / "leaf-hashes.txt")[:33]))
    expect_bad_index(export, 33, "no leaf hash")


def test_replaced_keys_fail_against_the_published_instance_key(
    export: Path, pristine: tuple[Path, KeyStore]
) -> None:
    """Someone re-signs every head with their own key and swaps the exported public key."""
    forger = NoteSigner("accord-instance", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    heads = [json.loads(x) for x in lines(export / "tree-heads.jsonl")]
    for record in heads:
        real = SignedTreeHead.from_text(record["checkpoint"])
        record["checkpoint"] = sign_tree_head(
            real.origin, real.size, real.root_hash, real.timestamp or "", forger
        ).to_text()
    (export / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    (export / "keys" / "instance.pub").write_text(forger.verifier().to_string() + "\n")
    verify_export(export)  # self-consistent: only a pinned key can tell
    published = pristine[1].instance_verifier().to_string()
    with pytest.raises(VerificationError, match="exported instance key is"):
        verify_export(export, trusted_instance_key=published)


def test_entries_after_the_newest_head_are_counted_as_unsigned(export: Path) -> None:
    heads = lines(export / "tree-heads.jsonl")
    (export / "tree-heads.jsonl").write_text("".join(heads[:2]))
    summary = verify_export(export)
    assert (summary.size, summary.unsigned) == (40, 15)
    assert "15 newer events not yet covered by a head" in summary.verdict()


def test_a_directory_that_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(VerificationError, match="not a ledger export"):
        verify_export(tmp_path)
