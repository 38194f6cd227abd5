"""Merkle tree hashing, inclusion proofs and consistency proofs for an append-only log.

This module implements the Merkle Tree Hash of RFC 9162 (Certificate Transparency version 2.0)
§2.1, which keeps the hashing of RFC 6962 §2.1:

- the hash of a leaf is ``SHA-256(0x00 || leaf bytes)``;
- the hash of an interior node is ``SHA-256(0x01 || left || right)``;
- the tree over ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``,
  so the tree has a defined shape for every size, not only powers of two;
- the empty tree's hash is ``SHA-256()`` of nothing.

Inclusion proofs (audit paths) follow §2.1.3 and consistency proofs §2.1.4, both as generated
(§2.1.3.1, §2.1.4.1) and as verified (§2.1.3.2, §2.1.4.2), so any conforming verifier accepts
the proofs made here and these verifiers accept any conforming proof. The edge cases (empty
trees, equal sizes) follow the transparency-dev/merkle reference verifier, whose published test
vectors live in ``tests/conformance/assets/``.

Proof generation does not need the leaves: it asks a ``subtree`` callable for the hash of the
leaf range ``[start, end)``. A storage layer answers from stored node hashes; tests answer from a
list of leaf hashes with :func:`subtree_hasher`.

The module is pure (standard library and :mod:`accord.errors` only) so an auditor can check a
log offline. Verification raises :class:`~accord.errors.VerificationError` showing the expected
and the computed value, and returns the value it verified; it never returns a boolean.

>>> leaves = [hash_leaf(bytes([i])) for i in range(5)]
>>> root = root_hash(leaves)
>>> proof = inclusion_proof(3, 5, subtree_hasher(leaves))
>>> verify_inclusion(leaves[3], 3, 5, proof, root) == root
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from accord.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "CompactRange",
    "SubtreeHash",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "hash_range",
    "inclusion_proof",
    "range_nodes",
    "root_hash",
    "subtree_hasher",
    "verify_consistency",
    "verify_inclusion",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""Returns the Merkle Tree Hash of the leaves ``[start, end)`` of the tree being proved."""


def hash_leaf(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of leaf hashes, built left to right in O(log n) memory."""
    compact = CompactRange()
    for leaf in leaf_hashes:
        compact.append(leaf)
    return compact.root()


def subtree_hasher(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """A ``subtree`` callable over an in-memory list of leaf hashes (for tests and small trees)."""

    def subtree(start: int, end: int) -> bytes:
        return root_hash(leaf_hashes[start:end])

    return subtree


def range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees that exactly cover ``[start, end)``, left to right.

    Each is ``(level, index)``: the node at ``level`` (0 for leaves) covering the leaves
    ``[index << level, (index + 1) << level)``. Folding their hashes from the right gives the
    Merkle Tree Hash of the range when it is the right edge of a tree or itself perfect, which
    is every range a proof of this module asks for.
    """
    nodes: list[tuple[int, int]] = []
    while start < end:
        # The biggest aligned block that starts at ``start`` and ends by ``end``.
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def hash_range(hashes: Sequence[bytes]) -> bytes:
    """Fold the hashes of :func:`range_nodes` (left to right) into the hash of their range."""
    if not hashes:
        return EMPTY_ROOT
    node = hashes[-1]
    for left in reversed(hashes[:-1]):
        node = hash_children(left, node)
    return node


class CompactRange:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    Appending a leaf merges equal-sized subtrees, so memory is O(log n) whatever the size. This
    is the "compact range" ``[0, n)`` of the transparency-dev/merkle design, and what a streaming
    verifier keeps instead of the leaves.
    """

    __slots__ = ("size", "_hashes")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        expected = bin(size).count("1")
        if len(hashes) != expected:
            raise ValueError(
                f"a compact range of size {size} has {expected} hashes, not {len(hashes)}"
            )
        self.size = size
        self._hashes = list(hashes)

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the interior nodes it completes as ``(level, index, hash)``."""
        completed: list[tuple[int, int, bytes]] = []
        node = leaf_hash
        index = self.size
        level = 0
        while index & 1:
            node = hash_children(self._hashes.pop(), node)
            index >>= 1
            level += 1
            completed.append((level, index, node))
        self._hashes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves appended so far."""
        return hash_range(self._hashes)


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """The audit path ``PATH(index, D[0:size])`` of RFC 9162 §2.1.3.1, leaf end first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk from the root down, remembering siblings; the path lists them leaf end first.
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start = start + k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """The proof ``PROOF(old_size, D[0:new_size])`` of RFC 9162 §2.1.4.1.

    Empty when the sizes are equal; sizes must satisfy ``0 < old_size <= new_size``.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []
    start, end = 0, new_size
    whole = True  # SUBPROOF's flag b: is the old tree still the left edge of this subtree?
    while old_size != end:
        k = _split(end - start)
        if old_size - start <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start += k
            whole = False
    if not whole:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


def _hex(value: bytes) -> str:
    return value.hex() if value else "(empty)"


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bytes:
    """Check an audit path (RFC 9162 §2.1.3.2); return ``root``, or raise VerificationError."""
    if index >= size or index < 0:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise VerificationError(
            f"leaf hash has {len(leaf_hash)} bytes, expected {HASH_SIZE}: {_hex(leaf_hash)}"
        )
    fn, sn = index, size - 1
    node = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise VerificationError(
                f"inclusion proof for leaf {index} in tree size {size} is too long:"
                f" {len(proof)} hashes"
            )
        if fn & 1 or fn == sn:
            node = hash_children(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = hash_children(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"inclusion proof for leaf {index} in tree size {size} is too short:"
            f" {len(proof)} hashes"
        )
    if node != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} in tree size {size} does not match the root:"
            f" expected {_hex(root)}, computed {_hex(node)}"
        )
    return root


def verify_consistency(
    old_size: int,
    new_size: int,
    proof: Sequence[bytes],
    old_root: bytes,
    new_root: bytes,
) -> bytes:
    """Check a consistency proof (RFC 9162 §2.1.4.2); return ``new_root``, or raise."""
    if new_size < old_size:
        raise VerificationError(f"tree size went down from {old_size} to {new_size}")
    if old_size == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise VerificationError(
                f"sizes are equal ({old_size}) but the proof has {len(proof)} hashes"
            )
        if old_root != new_root:
            raise VerificationError(
                f"tree size {old_size} has two roots: expected {_hex(old_root)},"
                f" computed {_hex(new_root)}"
            )
        return new_root
    if not proof:
        raise VerificationError(f"empty consistency proof from size {old_size} to {new_size}")

    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_node = new_node = path[0]
    for node in path[1:]:
        if sn == 0:
            raise VerificationError(
                f"consistency proof from size {old_size} to {new_size} is too long:"
                f" {len(proof)} hashes"
            )
        if fn & 1 or fn == sn:
            old_node = hash_children(node, old_node)
            new_node = hash_children(node, new_node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_node = hash_children(new_node, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"consistency proof from size {old_size} to {new_size} is too short:"
            f" {len(proof)} hashes"
        )
    if old_node != old_root:
        raise VerificationError(
            f"consistency proof does not reproduce the root of size {old_size}:"
            f" expected {_hex(old_root)}, computed {_hex(old_node)}"
        )
    if new_node != new_root:
        raise VerificationError(
            f"consistency proof does not reproduce the root of size {new_size}:"
            f" expected {_hex(new_root)}, computed {_hex(new_node)}"
        )
    return new_root
