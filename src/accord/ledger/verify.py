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

Heads held outside the instance (saved by an auditor, taken from a witness or another party's
copy of the register's tree-head feed) are given with ``against``: the export must reproduce
each one's root at its size. A head of the same size as a signed head in the export, or as a
size the export's signed heads commit to, with a different root, is *equivocation*: the
instance key signed two histories. That raises :class:`~accord.errors.Equivocation` with both
heads in full, which no rewrite of the database can hide, because the saved head never was in
it. With ``witness_keys``, each head given with ``against`` must also carry a valid
cosignature by every one of those witnesses: a head the instance signed alone proves nothing a
witness checked. The format is written down in ``docs/reference/ledger-format.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import rfc8785

from accord.errors import AccordError, Equivocation, InputError, Problem, VerificationError
from accord.ledger.checkpoint import NoteVerifier, SignedTreeHead
from accord.ledger.events import SignedEvent, event_from_payload, event_id_for, leaf_bytes
from accord.ledger.keys import PublicKeys
from accord.ledger.merkle import CompactRange, hash_leaf, verify_consistency
from accord.ledger.witness import CosignatureVerifier

__all__ = ["EXPORT_FORMAT", "VerifiedLog", "load_heads", "verify_export"]

EXPORT_FORMAT = "accord-ledger-export/2"
READABLE_FORMATS = ("accord-ledger-export/1", EXPORT_FORMAT)


@dataclass(frozen=True)
class VerifiedLog:
    """What a successful verification established."""

    origin: str
    size: int
    heads: int
    latest_head: SignedTreeHead | None
    unsigned: int
    party_signatures: int
    against: int = 0
    unauthenticated_times: int = 0

    def verdict(self) -> str:
        """One line for people: what was verified, up to which signed head."""
        if self.latest_head is None:
            return f"UNSIGNED: {self.size} events and no signed tree head ({self.origin})"
        head = self.latest_head
        tail = f"; {self.unsigned} newer events not yet covered by a head" if self.unsigned else ""
        if self.against:
            tail += f"; consistent with all {self.against} heads given with --against"
        if self.unauthenticated_times:
            tail += (
                f"; {self.unauthenticated_times} entries are in leaf format 1, whose"
                " appended_at is not authenticated"
            )
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


def _check_entry(index: int, line: str, leaf_line: str, keys: PublicKeys) -> tuple[bytes, int, int]:
    """Check one exported entry; return its leaf hash, its party signatures and leaf format."""
    try:
        record: dict[str, Any] = json.loads(line)
        recorded = bytes.fromhex(leaf_line.strip())
    except ValueError as exc:
        raise _bad(index, f"the entry or its leaf hash is unreadable: {exc}") from exc
    if record.get("index") != index:
        raise _bad(index, f"the entry in this position claims index {record.get('index')}")
    leaf_format = record.get("leaf_format", 1)
    try:
        appended_at = record.get("appended_at")
        if leaf_format == 2 and not isinstance(appended_at, str):
            raise InputError("a format-2 entry needs its appended_at")
        leaf = hash_leaf(leaf_bytes(record["event"], appended_at, leaf_format))
    except (KeyError, TypeError, rfc8785.CanonicalizationError, InputError) as exc:
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
            return leaf, 1, leaf_format
    except AccordError as exc:
        raise _bad(index, exc.diagnostics()) from exc
    return leaf, 0, leaf_format


def load_heads(text: str, source: str = "input") -> list[SignedTreeHead]:
    """Read saved tree heads from any accord or C2SP source, whatever form they came in.

    Accepts a checkpoint note (signed by the instance, perhaps cosigned by witnesses), a
    ``tree-heads.jsonl`` file (one ``{"size", "checkpoint"}`` object a line), the register's
    ``/api/register/tree-head`` answer (an object with ``checkpoint``), or its feed (an object
    with ``heads``, a list of such objects).
    """
    stripped = text.lstrip()
    try:
        if not stripped.startswith(("{", "[")):
            return [SignedTreeHead.from_text(text)]
        if stripped.startswith("{") and "\n{" in stripped.rstrip():
            records = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        else:
            value = json.loads(stripped)
            records = value.get("heads", [value]) if isinstance(value, dict) else value
        heads = [SignedTreeHead.from_text(r["checkpoint"]) for r in records if r.get("checkpoint")]
    except (ValueError, KeyError, TypeError, AttributeError, VerificationError) as exc:
        raise VerificationError(f"{source} holds no readable tree head: {exc}") from exc
    if not heads:
        raise VerificationError(f"{source} holds no tree head")
    return heads


def _equivocation(
    size: int, first: SignedTreeHead, second: SignedTreeHead, how: str
) -> Equivocation:
    return Equivocation(
        f"EQUIVOCATION: two validly signed tree heads of size {size} have different roots"
        f" ({how}); the instance key signed two different histories of this log. Keep both"
        " heads as evidence:\n--- first head\n"
        + first.to_text()
        + "--- second head\n"
        + second.to_text(),
        [
            Problem(f"tree size {size}", f"root {first.root_hash.hex()}"),
            Problem(f"tree size {size}", f"root {second.root_hash.hex()}"),
        ],
    )


def _checked_against(
    against: Sequence[SignedTreeHead],
    verifier: NoteVerifier,
    origin: str,
    heads: list[SignedTreeHead],
    witnesses: Sequence[CosignatureVerifier] = (),
) -> dict[int, SignedTreeHead]:
    """Check the outside heads' origin, signature and required cosignatures, and equivocation
    with exported heads."""
    by_size: dict[int, SignedTreeHead] = {}
    exported = {h.size: h for h in heads}
    for head in against:
        if head.origin != origin:
            raise VerificationError(
                f"the head of size {head.size} given with --against is for log {head.origin!r},"
                f" not {origin!r}"
            )
        head.verify(verifier)
        for witness in witnesses:
            try:
                witness.verify_head(head)
            except VerificationError as exc:
                raise VerificationError(
                    f"the head of size {head.size} given with --against has no valid"
                    f" cosignature by witness {witness.name}: {exc.message}. A head the witness"
                    " did not cosign may be one it refused (a history it had not seen); ask"
                    " the witness for its latest checkpoint and verify against that",
                    [Problem(f"tree size {head.size}", f"not cosigned by {witness.name}")],
                ) from exc
        for other, how in (
            (by_size.get(head.size), "both given with --against"),
            (exported.get(head.size), "one given with --against, one in the export"),
        ):
            if other is not None and other.root_hash != head.root_hash:
                raise _equivocation(head.size, head, other, how)
        by_size.setdefault(head.size, head)
    return by_size


def verify_export(
    directory: str | Path,
    *,
    trusted_instance_key: str | None = None,
    against: Sequence[SignedTreeHead] = (),
    witness_keys: Sequence[str] = (),
) -> VerifiedLog:
    """Verify an exported ledger; return a summary, or raise naming the first bad index.

    ``trusted_instance_key`` is the instance's published verifier key
    (``name+hash+base64``); give it, so that a directory whose keys were replaced fails.
    ``against`` are signed heads from outside the export; the export must be consistent with
    each (Equivocation when a signed root of the same size differs). ``witness_keys`` are
    witnesses' cosigner keys (``name+keyid+base64``, C2SP cosignature/v1): each head in
    ``against`` must carry a valid cosignature by every one of them, so that a head the instance
    signed alone (which a witness may have refused) is not taken as proof. They need
    ``against``.
    """
    witnesses = [CosignatureVerifier.from_string(k) for k in witness_keys]
    if witnesses and not against:
        raise InputError(
            "a witness key is checked on the heads given with --against, and none was given",
            [Problem("--witness-key", "give the saved heads to check with --against")],
        )
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
    if meta.get("format") not in READABLE_FORMATS:
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

    outside = _checked_against(against, verifier, origin, heads, witnesses)
    head_problem = _first_bad_head(heads, verifier, origin, proofs)
    trusted = heads if head_problem is None else [h for h in heads if h.size < head_problem[0]]
    pending = iter(trusted)
    next_head = next(pending, None)
    verified_to = 0  # every index below this is vouched for by a checked head
    frontier = CompactRange()
    signatures = 0
    format_one = 0
    covering = trusted[-1] if trusted else None  # the newest head the export's own chain vouches

    def reach_heads() -> None:
        nonlocal next_head, verified_to
        saved = outside.get(frontier.size)
        if saved is not None and frontier.size > 0 and frontier.root() != saved.root_hash:
            if covering is not None and covering.size >= frontier.size:
                raise _equivocation(
                    frontier.size,
                    saved,
                    covering,
                    f"the second head is the export's head of size {covering.size}, which by"
                    f" its consistency proofs commits to root {frontier.root().hex()} at size"
                    f" {frontier.size}",
                )
            raise _bad(
                frontier.size - 1,
                f"the export is not consistent with the signed head of size {frontier.size}"
                f" given with --against: expected root {saved.root_hash.hex()}, the entries"
                f" give {frontier.root().hex()}",
            )
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
        leaf, signed, leaf_format = _check_entry(index, line, leaf_line, keys)
        signatures += signed
        format_one += leaf_format == 1
        frontier.append(leaf)
        reach_heads()

    size = frontier.size
    if head_problem is not None:
        raise head_problem[1]
    beyond = [h for h in outside.values() if h.size > size]
    if beyond:
        raise VerificationError(
            f"the head of size {beyond[0].size} given with --against is newer than this export"
            f" ({size} entries), so the export cannot show it is consistent: export again and"
            " verify the new export against it"
        )
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
        against=len(against),
        unauthenticated_times=format_one,
    )
