"""Offline verification of an exported ledger: no database, no network, no trust in the operator.

:func:`verify_export` reads a directory written by :meth:`accord.ledger.log.Ledger.export` and
checks, streaming, one entry at a time (memory stays O(log n) whatever the log's size):

1. every signed tree head: its signature by the instance key (pinned with
   ``trusted_instance_key``, or else the exported ``keys/instance.pub``), its origin, that sizes
   grow and timestamps never go back, and the RFC 9162 consistency proof from the head before;
2. every entry in order: its ``index`` is its position, its event re-hashes (RFC 8785 canonical
   JSON, then the leaf hash) to the exported leaf hash, its event id is derived from both, its
   payload is a known, well-typed event, and a party's signature on it (approvals, signatures,
   receipts, decisions) verifies against that party's exported public key;
3. the tree rebuilt from those leaf hashes has, at each head's size, the head's root.

The first failure raises :class:`~accord.errors.VerificationError` naming the first bad index.
Editing, deleting, inserting or reordering an event is caught at its own index, because the
leaf hashes it no longer matches are pinned by the signed roots. If an attacker rewrote the leaf
hashes too, the signed roots still fail, and the error names the first index that no valid head
vouches for, which is as precise as signatures over prefixes allow.

Entries after the newest head are checked for internal consistency but no signature covers
them; the summary says how many (a crash between an append and its head leaves such a tail).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import rfc8785

from accord.errors import AccordError, Problem, VerificationError
from accord.ledger.checkpoint import NoteVerifier, SignedTreeHead
from accord.ledger.events import SignedEvent, event_from_payload, event_id_for
from accord.ledger.keys import PublicKeys
from accord.ledger.merkle import CompactRange, hash_leaf, verify_consistency

__all__ = ["EXPORT_FORMAT", "VerifiedLog", "verify_export"]

EXPORT_FORMAT = "accord-ledger-export/1"


@dataclass(frozen=True)
class VerifiedLog:
    """What a successful verification established."""

    origin: str
    size: int
    heads: int
    latest_head: SignedTreeHead | None
    unsigned: int
    party_signatures: int

    def verdict(self) -> str:
        """One line for people: what was verified, up to which signed head."""
        if self.latest_head is None:
            return f"UNSIGNED: {self.size} events and no signed tree head ({self.origin})"
        head = self.latest_head
        tail = f"; {self.unsigned} newer events not yet covered by a head" if self.unsigned else ""
        return (
            f"OK: {self.size} events verified against {self.heads} signed tree heads of"
            f" {self.origin}; latest size {head.size} root {head.root_hash.hex()} at"
            f" {head.timestamp}; {self.party_signatures} party signatures verified{tail}"
        )


def _bad(index: int, reason: str) -> VerificationError:
    return VerificationError(
        f"ledger fails verification at index {index}: {reason}",
        [Problem(f"index {index}", reason)],
    )


def _read_heads(root: Path) -> list[SignedTreeHead]:
    heads: list[SignedTreeHead] = []
    with (root / "tree-heads.jsonl").open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
                head = SignedTreeHead.from_text(record["checkpoint"])
            except (ValueError, KeyError, TypeError, VerificationError) as exc:
                raise VerificationError(
                    f"tree-heads.jsonl line {number} is unreadable: {exc}"
                ) from exc
            if record.get("size") != head.size:
                raise VerificationError(
                    f"tree-heads.jsonl line {number} says size {record.get('size')}"
                    f" but its checkpoint says {head.size}"
                )
            heads.append(head)
    return heads


def _read_consistency(root: Path) -> dict[tuple[int, int], list[bytes]]:
    proofs: dict[tuple[int, int], list[bytes]] = {}
    with (root / "consistency.jsonl").open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
                key = (int(record["old_size"]), int(record["new_size"]))
                proofs[key] = [bytes.fromhex(h) for h in record["proof"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise VerificationError(
                    f"consistency.jsonl line {number} is unreadable: {exc}"
                ) from exc
    return proofs


def _first_bad_head(
    heads: list[SignedTreeHead],
    verifier: NoteVerifier,
    origin: str,
    proofs: dict[tuple[int, int], list[bytes]],
) -> tuple[int, VerificationError] | None:
    """Check heads alone; return (first index the first bad head claims, why) or None."""
    previous: SignedTreeHead | None = None
    for head in heads:
        covered_from = previous.size if previous else 0
        try:
            if head.origin != origin:
                raise VerificationError(f"origin is {head.origin!r}, the log is {origin!r}")
            head.verify(verifier)
            if head.timestamp is None:
                raise VerificationError("it has no timestamp")
            if previous is not None:
                if head.size <= previous.size:
                    raise VerificationError(f"it does not grow from size {previous.size}")
                if head.timestamp < (previous.timestamp or ""):
                    raise VerificationError(
                        f"its time {head.timestamp} is before the previous head's"
                        f" {previous.timestamp}"
                    )
                if previous.size > 0:
                    proof = proofs.get((previous.size, head.size))
                    if proof is None:
                        raise VerificationError(f"no consistency proof from size {previous.size}")
                    verify_consistency(
                        previous.size, head.size, proof, previous.root_hash, head.root_hash
                    )
        except VerificationError as exc:
            return covered_from, _bad(covered_from, f"tree head of size {head.size}: {exc}")
        previous = head
    return None


def _entries(root: Path) -> Iterator[tuple[str | None, str | None]]:
    with (
        (root / "entries.jsonl").open(encoding="utf-8") as entries,
        (root / "leaf-hashes.txt").open(encoding="ascii") as leaves,
    ):
        yield from zip_longest(entries, leaves)


def _check_entry(index: int, line: str, leaf_line: str, keys: PublicKeys) -> tuple[bytes, int]:
    """Check one exported entry; return its leaf hash and how many party signatures it had."""
    try:
        record: dict[str, Any] = json.loads(line)
        recorded = bytes.fromhex(leaf_line.strip())
    except ValueError as exc:
        raise _bad(index, f"the entry or its leaf hash is unreadable: {exc}") from exc
    if record.get("index") != index:
        raise _bad(index, f"the entry in this position claims index {record.get('index')}")
    try:
        leaf = hash_leaf(rfc8785.dumps(record["event"]))
    except (KeyError, rfc8785.CanonicalizationError) as exc:
        raise _bad(index, f"the entry has no canonical event: {exc}") from exc
    if leaf != recorded:
        raise _bad(
            index,
            f"the event does not match its leaf hash: expected {recorded.hex()},"
            f" computed {leaf.hex()}",
        )
    if record.get("event_id") != event_id_for(index, leaf):
        raise _bad(
            index,
            f"event id is {record.get('event_id')}, expected {event_id_for(index, leaf)}",
        )
    try:
        event = event_from_payload(record["event"])
        if isinstance(event, SignedEvent):
            keys.verify_event(event)
            return leaf, 1
    except AccordError as exc:
        raise _bad(index, exc.diagnostics()) from exc
    return leaf, 0


def verify_export(directory: str | Path, *, trusted_instance_key: str | None = None) -> VerifiedLog:
    """Verify an exported ledger; return a summary, or raise naming the first bad index.

    ``trusted_instance_key`` is the instance's published verifier key
    (``name+hash+base64``); give it, so that a directory whose keys were replaced fails.
    """
    root = Path(directory)
    try:
        meta = json.loads((root / "log.json").read_text(encoding="utf-8"))
        keys = PublicKeys.load(root / "keys")
        heads = _read_heads(root)
        proofs = _read_consistency(root)
    except FileNotFoundError as exc:
        raise VerificationError(f"not a ledger export: {exc.filename} is missing") from exc
    except json.JSONDecodeError as exc:
        raise VerificationError(f"log.json is unreadable: {exc}") from exc
    if meta.get("format") != EXPORT_FORMAT:
        raise VerificationError(f"unknown export format {meta.get('format')!r}")
    origin = str(meta.get("origin"))
    verifier = keys.instance
    if trusted_instance_key is not None:
        verifier = NoteVerifier.from_string(trusted_instance_key)
        if verifier != keys.instance:
            raise VerificationError(
                f"the exported instance key is {keys.instance.to_string()}, expected"
                f" {verifier.to_string()}"
            )

    head_problem = _first_bad_head(heads, verifier, origin, proofs)
    trusted = heads if head_problem is None else [h for h in heads if h.size < head_problem[0]]
    pending = iter(trusted)
    next_head = next(pending, None)
    verified_to = 0  # every index below this is vouched for by a checked head
    frontier = CompactRange()
    signatures = 0

    def reach_heads() -> None:
        nonlocal next_head, verified_to
        while next_head is not None and next_head.size == frontier.size:
            root_hash = frontier.root()
            if root_hash != next_head.root_hash:
                raise _bad(
                    verified_to,
                    f"entries from index {verified_to} to {next_head.size - 1} do not give the"
                    f" signed root of size {next_head.size}: expected"
                    f" {next_head.root_hash.hex()}, computed {root_hash.hex()}",
                )
            verified_to = next_head.size
            next_head = next(pending, None)

    reach_heads()
    for index, (line, leaf_line) in enumerate(_entries(root)):
        if head_problem is not None and index >= head_problem[0]:
            raise head_problem[1]
        if line is None:
            raise _bad(index, "leaf-hashes.txt has a leaf hash but entries.jsonl has no entry")
        if leaf_line is None:
            raise _bad(index, "entries.jsonl has an entry but leaf-hashes.txt has no leaf hash")
        leaf, signed = _check_entry(index, line, leaf_line, keys)
        signatures += signed
        frontier.append(leaf)
        reach_heads()

    size = frontier.size
    if head_problem is not None:
        raise head_problem[1]
    if next_head is not None:
        raise _bad(
            size, f"the tree head of size {next_head.size} covers more than the {size} entries"
        )
    if meta.get("size") != size:
        raise _bad(
            min(size, int(meta.get("size") or 0)),
            f"log.json says {meta.get('size')} entries, found {size}",
        )
    latest = trusted[-1] if trusted else None
    return VerifiedLog(
        origin=origin,
        size=size,
        heads=len(trusted),
        latest_head=latest,
        unsigned=size - (latest.size if latest else 0),
        party_signatures=signatures,
    )
