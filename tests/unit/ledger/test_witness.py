"""The witness's checks (C2SP tlog-witness order) and Ed25519 cosignatures (tlog-cosignature)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.errors import InputError, NotPermitted, VerificationError, WitnessConflict
from accord.ledger.checkpoint import NoteSigner, sign_tree_head
from accord.ledger.merkle import consistency_proof, hash_leaf, root_hash, subtree_hasher
from accord.ledger.witness import (
    AddCheckpoint,
    CosignatureVerifier,
    Cosigner,
    WitnessedLog,
    check_add_checkpoint,
)

TS = "2026-03-16T09:00:00.000000Z"
LOG = NoteSigner("log.example", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = NoteSigner("log.example", Ed25519PrivateKey.from_private_bytes(bytes(32)))
LEAVES = [hash_leaf(bytes([i])) for i in range(12)]


def request(old: int, size: int, leaves: list[bytes] = LEAVES) -> AddCheckpoint:
    proof = consistency_proof(old, size, subtree_hasher(leaves)) if 0 < old < size else []
    cp = sign_tree_head("accord/ledger", size, root_hash(leaves[:size]), TS, LOG)
    return AddCheckpoint.from_text(AddCheckpoint(old, tuple(proof), cp).to_text())


def state(size: int, leaves: list[bytes] = LEAVES) -> WitnessedLog:
    return WitnessedLog("accord/ledger", LOG.verifier(), size, root_hash(leaves[:size]) or None)


def test_a_consistent_head_passes_and_a_rewritten_one_is_refused() -> None:
    assert (
        check_add_checkpoint(
            request(0, 5), WitnessedLog("accord/ledger", LOG.verifier(), 0, None)
        ).size
        == 5
    )
    assert check_add_checkpoint(request(5, 12), state(5)).size == 12
    forked = LEAVES[:3] + [hash_leaf(b"rewritten")] + LEAVES[4:]
    with pytest.raises(VerificationError, match="does not reproduce the root of size 5"):
        check_add_checkpoint(request(5, 12, forked), state(5))


def test_the_witness_answers_with_the_protocol_errors() -> None:
    with pytest.raises(WitnessConflict) as conflict:
        check_add_checkpoint(request(0, 12), state(5))
    assert conflict.value.known_size == 5 and conflict.value.http_status == 409
    forked = [hash_leaf(b"x")] + LEAVES[1:]
    with pytest.raises(WitnessConflict, match="already has a cosigned head of size 5"):
        check_add_checkpoint(request(5, 5, forked), state(5))
    with pytest.raises(NotPermitted):
        check_add_checkpoint(
            request(5, 12), WitnessedLog("accord/ledger", OTHER.verifier(), 5, None)
        )
    with pytest.raises(InputError, match="first line"):
        AddCheckpoint.from_text("new 5\n\n" + request(5, 12).checkpoint.to_text())


def test_cosignatures_round_trip_and_bind_the_body() -> None:
    cosigner = Cosigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32))
    verifier = CosignatureVerifier.from_string(cosigner.verifier().to_string())
    body = request(5, 12).checkpoint.body()
    signature = cosigner.cosign(body, 1773651600)
    assert verifier.verify(body, signature) == 1773651600
    with pytest.raises(VerificationError, match="does not verify"):
        verifier.verify(body.replace(b"12\n", b"13\n"), signature)
