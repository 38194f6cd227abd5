"""accord's Merkle log and checkpoints agree with published Certificate Transparency vectors.

The data (see ``assets/README.md``) comes from transparency-dev/merkle and transparency-dev/formats,
the reference implementations of RFC 6962/9162 proofs and of signed-note checkpoints.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from accord.errors import VerificationError
from accord.ledger.checkpoint import NoteVerifier, SignedTreeHead
from accord.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root_hash,
    subtree_hasher,
    verify_consistency,
    verify_inclusion,
)

ASSETS = Path(__file__).parent / "assets"
REFERENCE = json.loads((ASSETS / "merkle_reference_tree.json").read_text())
LEAVES = [hash_leaf(bytes.fromhex(x)) for x in REFERENCE["leaf_inputs_hex"]]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _probes(name: str) -> list[Any]:
    probes = json.loads((ASSETS / name).read_text())["probes"]
    return [pytest.param(p, id=p["file"].split("testdata/")[1]) for p in probes]


@pytest.mark.parametrize("case", REFERENCE["hasher"], ids=lambda c: c["desc"])
def test_hasher_matches_rfc6962_vectors(case: dict[str, str]) -> None:
    if case["kind"] == "empty":
        got = EMPTY_ROOT
    elif case["kind"] == "leaf":
        got = hash_leaf(bytes.fromhex(case["input_hex"]))
    else:
        got = hash_children(bytes.fromhex(case["left_hex"]), bytes.fromhex(case["right_hex"]))
    assert got.hex() == case["want"]


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_reference_size(size: int) -> None:
    assert root_hash(LEAVES[:size]).hex() == REFERENCE["root_hashes_by_size"][size]


def test_every_reference_node_hash() -> None:
    for level, nodes in enumerate(REFERENCE["node_hashes_by_level"]):
        for index, want in enumerate(nodes):
            leaves = LEAVES[index << level : (index + 1) << level]
            assert root_hash(leaves).hex() == want, (level, index)


@pytest.mark.parametrize("case", REFERENCE["inclusion_proofs"], ids=str)
def test_generated_inclusion_proofs_are_the_published_ones(case: dict[str, Any]) -> None:
    size = case["tree_size"]
    proof = inclusion_proof(case["leaf_index"], size, subtree_hasher(LEAVES[:size]))
    assert [p.hex() for p in proof] == case["proof"]
    root = bytes.fromhex(REFERENCE["root_hashes_by_size"][size])
    assert verify_inclusion(LEAVES[case["leaf_index"]], case["leaf_index"], size, proof, root)


@pytest.mark.parametrize("case", REFERENCE["consistency_proofs"], ids=str)
def test_generated_consistency_proofs_are_the_published_ones(case: dict[str, Any]) -> None:
    old, new = case["size1"], case["size2"]
    proof = consistency_proof(old, new, subtree_hasher(LEAVES[:new]))
    assert [p.hex() for p in proof] == case["proof"]
    roots = REFERENCE["root_hashes_by_size"]
    new_root = bytes.fromhex(roots[new])
    assert verify_consistency(old, new, proof, bytes.fromhex(roots[old]), new_root) == new_root


@pytest.mark.parametrize("probe", _probes("merkle_inclusion_probes.json"))
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    args = (
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        [_b64(p) for p in probe["proof"] or []],
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        assert verify_inclusion(*args) == _b64(probe["root"])


@pytest.mark.parametrize("probe", _probes("merkle_consistency_probes.json"))
def test_consistency_probe(probe: dict[str, Any]) -> None:
    args = (
        probe["size1"],
        probe["size2"],
        [_b64(p) for p in probe["proof"] or []],
        _b64(probe["root1"]),
        _b64(probe["root2"]),
    )
    if probe["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        assert verify_consistency(*args) == _b64(probe["root2"])


NOTES = json.loads((ASSETS / "checkpoint_notes.json").read_text(encoding="utf-8"))["notes"]


@pytest.mark.parametrize("case", NOTES, ids=lambda c: c["desc"])
def test_published_signed_checkpoint_parses_verifies_and_round_trips(case: dict[str, Any]) -> None:
    head = SignedTreeHead.from_text(case["note"])
    assert (head.origin, head.size) == (case["origin"], case["size"])
    assert head.root_hash == base64.b64decode(case["root_base64"])
    assert head.to_text() == case["note"]
    for key in case["verifier_keys"]:
        verifier = NoteVerifier.from_string(key)
        assert verifier.to_string() == key
        assert head.verify(verifier) is head


def test_published_checkpoint_fails_when_its_size_is_changed() -> None:
    note = NOTES[0]["note"].replace("6476701", "6476702")
    with pytest.raises(VerificationError, match="bad signature"):
        SignedTreeHead.from_text(note).verify(
            NoteVerifier.from_string(NOTES[0]["verifier_keys"][0])
        )
