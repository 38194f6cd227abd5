"""Properties of the RFC 9162 Merkle tree: every leaf proves, every pair of sizes is consistent,
any flipped bit fails, and the shape is the RFC's recursive definition at every size."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import VerificationError
from accord.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    range_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
LEAVES = [hash_leaf(b"event %d" % i) for i in range(MAX)]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, written as the RFC writes it (recursion on the largest power of 2 < n)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hash_children(mth(leaves[:k]), mth(leaves[k:]))


@cache
def subtree(start: int, end: int) -> bytes:
    return mth(LEAVES[start:end])


ROOTS = [root_hash(LEAVES[:n]) for n in range(MAX + 1)]


def flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def test_leaf_and_node_hashes_use_distinct_prefixes() -> None:
    data = b"x" * 64
    assert hash_leaf(data) == hashlib.sha256(b"\x00" + data).digest()
    assert hash_children(data[:32], data[32:]) == hashlib.sha256(b"\x01" + data).digest()
    assert hash_leaf(data) != hash_children(data[:32], data[32:])


def test_root_is_the_rfc_recursive_definition_at_every_size() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    for n in range(MAX + 1):
        assert ROOTS[n] == mth(LEAVES[:n]), n


def test_every_leaf_of_every_tree_size_proves() -> None:
    for size in range(1, MAX + 1):
        for index in range(size):
            proof = inclusion_proof(index, size, subtree)
            assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size]) == ROOTS[size]


def test_every_pair_of_sizes_is_consistent() -> None:
    for new in range(1, MAX + 1):
        for old in range(1, new + 1):
            proof = consistency_proof(old, new, subtree)
            assert verify_consistency(old, new, proof, ROOTS[old], ROOTS[new]) == ROOTS[new]


@settings(derandomize=True, max_examples=300)
@given(size=st.integers(1, MAX), data=st.data(), bit=st.integers(0, 255))
def test_any_flipped_bit_fails_inclusion(size: int, data: st.DataObject, bit: int) -> None:
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, subtree)
    target = data.draw(st.integers(-2, len(proof) - 1))
    leaf, root = LEAVES[index], ROOTS[size]
    if target == -2:
        leaf = flip(leaf, bit)
    elif target == -1:
        root = flip(root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(VerificationError, match="expected .* computed"):
        verify_inclusion(leaf, index, size, proof, root)


@settings(derandomize=True, max_examples=300)
@given(new=st.integers(2, MAX), data=st.data(), bit=st.integers(0, 255))
def test_any_flipped_bit_fails_consistency(new: int, data: st.DataObject, bit: int) -> None:
    old = data.draw(st.integers(1, new - 1))
    proof = consistency_proof(old, new, subtree)
    target = data.draw(st.integers(-2, len(proof) - 1))
    old_root, new_root = ROOTS[old], ROOTS[new]
    if target == -2:
        old_root = flip(old_root, bit)
    elif target == -1:
        new_root = flip(new_root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(VerificationError, match="expected .* computed"):
        verify_consistency(old, new, proof, old_root, new_root)


@settings(derandomize=True, max_examples=100)
@given(size=st.integers(2, MAX), data=st.data())
def test_a_proof_for_one_index_does_not_prove_another(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    proof = inclusion_proof(index, size, subtree)
    with pytest.raises(VerificationError):
        verify_inclusion(LEAVES[index], other, size, proof, ROOTS[size])


@settings(derandomize=True, max_examples=100)
@given(leaves=st.lists(st.binary(max_size=40), max_size=70))
def test_compact_range_tracks_the_root_and_completed_nodes(leaves: list[bytes]) -> None:
    hashes = [hash_leaf(x) for x in leaves]
    compact = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for n, leaf in enumerate(hashes, 1):
        for level, index, node in compact.append(leaf):
            assert node == mth(hashes[index << level : (index + 1) << level])
            nodes[(level, index)] = node
        assert compact.root() == mth(hashes[:n])
        assert len(compact.hashes) == bin(n).count("1")
    # Every complete interior node was reported exactly once.
    expected = {(lvl, i) for lvl in range(1, 8) for i in range(len(hashes) >> lvl)}
    assert set(nodes) == expected


def test_range_nodes_cover_a_range_with_aligned_perfect_subtrees() -> None:
    for start in range(0, 40):
        for end in range(start, 80):
            covered = []
            for level, index in range_nodes(start, end):
                covered.extend(range(index << level, (index + 1) << level))
            assert covered == list(range(start, end))


def test_compact_range_rejects_a_wrong_number_of_hashes() -> None:
    with pytest.raises(ValueError, match="has 2 hashes"):
        CompactRange(3, [LEAVES[0]])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 5)])
def test_no_inclusion_proof_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(index, size, subtree)


@pytest.mark.parametrize(("old", "new"), [(0, 3), (4, 3)])
def test_no_consistency_proof_for_impossible_sizes(old: int, new: int) -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(old, new, subtree)


def test_proof_lengths_are_checked_before_the_root() -> None:
    proof = inclusion_proof(5, 8, subtree)
    with pytest.raises(VerificationError, match="too long"):
        verify_inclusion(LEAVES[5], 5, 8, [*proof, proof[0]], ROOTS[8])
    with pytest.raises(VerificationError, match="too short"):
        verify_inclusion(LEAVES[5], 5, 8, proof[:-1], ROOTS[8])
    cproof = consistency_proof(3, 8, subtree)
    with pytest.raises(VerificationError, match="too long"):
        verify_consistency(3, 8, [*cproof, cproof[0]], ROOTS[3], ROOTS[8])
    with pytest.raises(VerificationError, match="too short"):
        verify_consistency(3, 8, cproof[:-1], ROOTS[3], ROOTS[8])
