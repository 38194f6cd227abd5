"""The storage-backed ledger: append events, sign tree heads, prove, export.

:class:`Ledger` keeps the Merkle log of :mod:`accord.ledger.merkle` in the tables of
:mod:`accord.store.ledger` (the leaves, every complete interior node, and the signed heads).

Appends are serialised so two writers, threads or processes, can never give two leaves one
index: on SQLite each append transaction starts with ``BEGIN IMMEDIATE`` (the database write
lock), on PostgreSQL with ``pg_advisory_xact_lock``. The leaf and the nodes it completes are
written in one transaction; a tree head is signed later and is only a commitment over a prefix,
so a crash between the two leaves a log that verifies (its newest leaves are just not yet
covered by a head).

Before signing a head the signer proves, from the stored nodes, that the new tree extends the
instance's previous signed head (RFC 9162 consistency), and refuses otherwise; export re-hashes
every stored entry and refuses one that does not match its stored leaf hash. Either refusal
means the database was changed outside accord, and its error says where and what to do.

An event's id is derived from its place and content, ``ev-`` and the first 32 hex digits of
``SHA-256("accord-event-id" 0x00 || index || leaf hash)``, so an exported log can check ids
offline (:func:`accord.ledger.events.event_id_for`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text

from accord.errors import InputError, NotFound, Problem, VerificationError
from accord.ledger.checkpoint import SignedTreeHead, format_timestamp, sign_tree_head
from accord.ledger.events import (
    LEAF_FORMAT,
    Event,
    event_from_payload,
    event_id_for,
    leaf_bytes,
    parse_leaf,
)
from accord.ledger.keys import KeyStore
from accord.ledger.merkle import (
    CompactRange,
    consistency_proof,
    hash_leaf,
    hash_range,
    inclusion_proof,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)
from accord.ledger.verify import EXPORT_FORMAT
from accord.store.ledger import ledger_entries, ledger_nodes, ledger_tree_heads
from accord.store.witness import ledger_cosignatures

__all__ = ["DEFAULT_ORIGIN", "Ledger", "LedgerEntry"]

DEFAULT_ORIGIN = "accord/ledger"
# pg_advisory_xact_lock key: the first 8 bytes of SHA-256("accord.ledger.append"), signed.
_PG_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"accord.ledger.append").digest()[:8], "big", signed=True
)


@dataclass(frozen=True)
class LedgerEntry:
    """One appended event: where it is, its leaf hash, its id, and when it was appended."""

    index: int
    leaf_hash: bytes
    event_id: str
    event: Event
    appended_at: str


class Ledger:
    """The append-only log of accord's events on ``engine``, heads signed by ``keystore``."""

    def __init__(self, engine: Engine, keystore: KeyStore, *, origin: str = DEFAULT_ORIGIN):
        self.engine = engine
        self.keystore = keystore
        self.origin = origin
        self._frontier: CompactRange | None = None  # right edge cache; checked on every write
        self._cache_lock = threading.Lock()

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def _serialised(self) -> Iterator[Connection]:
        """A transaction holding the ledger's write lock; commits on success."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def append(self, event: Event, now: datetime) -> LedgerEntry:
        """Append one event; return its entry (index, leaf hash, event id)."""
        return self.append_many([event], now)[0]

    def append_many(
        self, events: Iterable[Event], now: datetime, *, conn: Connection | None = None
    ) -> list[LedgerEntry]:
        """Append events in order in one transaction: all of them, or none.

        With ``conn``, the events join the caller's open transaction, so a state change and
        its ledger event commit (or roll back) together. On PostgreSQL the ledger's advisory
        lock is taken in that transaction; on SQLite the caller's transaction must already
        have written (holding SQLite's write lock), as every accord service does first.
        """
        if conn is None:
            with self._serialised() as own:
                entries, frontier = self._append(own, list(events), now)
            with self._cache_lock:
                self._frontier = frontier
            return entries
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        with self._cache_lock:
            self._frontier = None  # the caller may still roll back: do not trust a cache
        entries, _ = self._append(conn, list(events), now)
        return entries

    def _append(
        self, conn: Connection, events: list[Event], now: datetime
    ) -> tuple[list[LedgerEntry], CompactRange]:
        appended_at = format_timestamp(now)
        frontier = self._right_edge(conn)
        entries: list[LedgerEntry] = []
        entry_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        for event in events:
            payload = leaf_bytes(event.to_payload(), appended_at, LEAF_FORMAT)
            leaf = hash_leaf(payload)
            index = frontier.size
            for level, node_index, node in frontier.append(leaf):
                node_rows.append({"level": level, "node_index": node_index, "hash": node})
            entry = LedgerEntry(index, leaf, event_id_for(index, leaf), event, appended_at)
            entries.append(entry)
            entry_rows.append(
                {
                    "leaf_index": index,
                    "event_id": entry.event_id,
                    "name": event.name,
                    "agreement_id": event.agreement_id,
                    "leaf_hash": leaf,
                    "payload": payload.decode(),
                    "appended_at": appended_at,
                }
            )
        if entry_rows:
            conn.execute(insert(ledger_entries), entry_rows)
        if node_rows:
            conn.execute(insert(ledger_nodes), node_rows)
        return entries, frontier

    def _right_edge(self, conn: Connection) -> CompactRange:
        """The compact range of the whole log, from the cache if no other writer moved it."""
        size = self._size(conn)
        with self._cache_lock:
            cached = self._frontier
        if cached is not None and cached.size == size:
            return CompactRange(cached.size, cached.hashes)
        return self._compact(conn, size)

    def _compact(self, conn: Connection, size: int) -> CompactRange:
        """The compact range ``[0, size)`` read from the stored nodes."""
        return CompactRange(size, [self._node(conn, lvl, i) for lvl, i in range_nodes(0, size)])

    def tree_head(self, now: datetime) -> SignedTreeHead:
        """Sign and store a head over the whole log (or return the stored one for this size).

        Refuses (VerificationError) when the stored log does not extend the instance's previous
        signed head: a head is never signed over a history that contradicts an earlier one.
        """
        with self._serialised() as conn:
            size = self._size(conn)
            previous = self._latest_head(conn)
            root = self._right_edge(conn).root()
            if previous is not None:
                self._check_extends(conn, previous, size, root)
                if previous.size == size:
                    return self._cosigned(conn, previous)
            head = sign_tree_head(
                self.origin, size, root, format_timestamp(now), self.keystore.instance_signer()
            )
            conn.execute(
                insert(ledger_tree_heads).values(
                    tree_size=size,
                    root_hash=root,
                    timestamp=head.timestamp,
                    signature=head.signatures[0].signature,
                    checkpoint=head.to_text(),
                )
            )
        return head

    def _check_extends(
        self, conn: Connection, previous: SignedTreeHead, size: int, root: bytes
    ) -> None:
        """Raise unless the stored tree (``size``, ``root``) extends the signed ``previous``."""
        try:
            previous.verify(self.keystore.instance_verifier())
            if previous.size > size:
                raise VerificationError(
                    f"the log has {size} entries but the last signed head has {previous.size}"
                )
            if previous.size == 0:
                return
            proof = consistency_proof(previous.size, size, lambda a, b: self._subtree(conn, a, b))
            verify_consistency(previous.size, size, proof, previous.root_hash, root)
        except VerificationError as exc:
            low, high = self._changed_range(conn, previous)
            raise VerificationError(
                f"refusing to sign a tree head of size {size}: the stored log is not"
                f" consistent with the instance's last signed head (size {previous.size},"
                f" root {previous.root_hash.hex()}); entries between index {low} and index"
                f" {high} were changed after they were signed ({exc.message}). Sign nothing and"
                " export nothing: restore the database from a backup that matches that head,"
                " and check it with `accord verify DIR --against HEAD` using the heads your"
                " witnesses and auditors hold",
                [Problem(f"index {low}", "first index that may have been changed")],
            ) from exc

    def _changed_range(self, conn: Connection, previous: SignedTreeHead) -> tuple[int, int]:
        """The narrowest index range the stored heads allow for a change: (first, last)."""
        size = self._size(conn)
        low, high = 0, min(previous.size, max(size, 1)) - 1
        query = select(ledger_tree_heads.c.tree_size, ledger_tree_heads.c.root_hash).order_by(
            ledger_tree_heads.c.tree_size
        )
        for tree_size, root in conn.execute(query).all():
            if tree_size == 0 or tree_size > size:
                continue
            try:
                same = self._compact(conn, int(tree_size)).root() == bytes(root)
            except VerificationError:
                same = False
            if same:
                low = int(tree_size)
            else:
                high = min(high, int(tree_size) - 1)
                break
        return min(low, high), high

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    def _size(conn: Connection) -> int:
        last = conn.execute(select(func.max(ledger_entries.c.leaf_index))).scalar()
        return 0 if last is None else int(last) + 1

    def size(self) -> int:
        with self.engine.connect() as conn:
            return self._size(conn)

    @staticmethod
    def _node(conn: Connection, level: int, index: int) -> bytes:
        if level == 0:
            query = select(ledger_entries.c.leaf_hash).where(ledger_entries.c.leaf_index == index)
        else:
            query = select(ledger_nodes.c.hash).where(
                ledger_nodes.c.level == level, ledger_nodes.c.node_index == index
            )
        found = conn.execute(query).scalar()
        if found is None:
            raise VerificationError(f"the stored tree has no node at level {level} index {index}")
        return bytes(found)

    def _subtree(self, conn: Connection, start: int, end: int) -> bytes:
        """The Merkle Tree Hash of leaves ``[start, end)`` from stored nodes (a few lookups)."""
        return hash_range([self._node(conn, level, i) for level, i in range_nodes(start, end)])

    @staticmethod
    def _entry(row: Any) -> LedgerEntry:
        event = event_from_payload(parse_leaf(row.payload)[1])
        return LedgerEntry(
            int(row.leaf_index), bytes(row.leaf_hash), row.event_id, event, row.appended_at
        )

    def entry(self, index: int) -> LedgerEntry:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger_entries).where(ledger_entries.c.leaf_index == index)
            ).first()
        if row is None:
            raise NotFound(f"no ledger entry at index {index}")
        return self._entry(row)

    def find(self, event_id: str) -> LedgerEntry:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger_entries).where(ledger_entries.c.event_id == event_id)
            ).first()
        if row is None:
            raise NotFound(f"no ledger event {event_id}")
        return self._entry(row)

    def entries_for_agreement(self, agreement_id: str) -> list[LedgerEntry]:
        """Every event about one agreement, in log order."""
        query = (
            select(ledger_entries)
            .where(ledger_entries.c.agreement_id == agreement_id)
            .order_by(ledger_entries.c.leaf_index)
        )
        with self.engine.connect() as conn:
            return [self._entry(row) for row in conn.execute(query)]

    @staticmethod
    def _head_at(conn: Connection, size: int) -> SignedTreeHead | None:
        query = select(ledger_tree_heads.c.checkpoint).where(ledger_tree_heads.c.tree_size == size)
        note = conn.execute(query).scalar()
        return None if note is None else SignedTreeHead.from_text(note)

    @staticmethod
    def _latest_head(conn: Connection) -> SignedTreeHead | None:
        query = (
            select(ledger_tree_heads.c.checkpoint)
            .order_by(ledger_tree_heads.c.tree_size.desc())
            .limit(1)
        )
        note = conn.execute(query).scalar()
        return None if note is None else SignedTreeHead.from_text(note)

    @staticmethod
    def _cosigned(conn: Connection, head: SignedTreeHead) -> SignedTreeHead:
        """``head`` with every stored witness cosignature line added after the instance's."""
        query = (
            select(ledger_cosignatures.c.signature_line)
            .where(ledger_cosignatures.c.tree_size == head.size)
            .order_by(ledger_cosignatures.c.witness)
        )
        lines: list[str] = list(conn.execute(query).scalars())
        if not lines:
            return head
        return SignedTreeHead.from_text(head.to_text() + "".join(lines))

    def latest_head(self) -> SignedTreeHead | None:
        """The newest signed head, with its witnesses' cosignatures."""
        with self.engine.connect() as conn:
            head = self._latest_head(conn)
            return None if head is None else self._cosigned(conn, head)

    def head_at(self, size: int) -> SignedTreeHead:
        """The signed head of ``size``, with its cosignatures; NotFound if none was signed."""
        with self.engine.connect() as conn:
            head = self._head_at(conn, size)
            if head is None:
                raise NotFound(f"no signed tree head of size {size}")
            return self._cosigned(conn, head)

    def heads(self) -> list[SignedTreeHead]:
        """Every signed tree head, smallest first, each with its witnesses' cosignatures."""
        query = select(ledger_tree_heads.c.checkpoint).order_by(ledger_tree_heads.c.tree_size)
        with self.engine.connect() as conn:
            notes: list[str] = list(conn.execute(query).scalars())
            cosigs: dict[int, list[str]] = {}
            rows = conn.execute(
                select(ledger_cosignatures).order_by(ledger_cosignatures.c.witness)
            ).all()
        for row in rows:
            cosigs.setdefault(int(row.tree_size), []).append(row.signature_line)
        heads = []
        for note in notes:
            head = SignedTreeHead.from_text(note)
            extra = cosigs.get(head.size)
            heads.append(SignedTreeHead.from_text(note + "".join(extra)) if extra else head)
        return heads

    def add_cosignature(self, size: int, witness: str, signature_line: str) -> None:
        """Keep a witness's (already verified) cosignature line on the head of ``size``."""
        with self.engine.begin() as conn:
            done = conn.execute(
                select(ledger_cosignatures.c.tree_size).where(
                    ledger_cosignatures.c.tree_size == size,
                    ledger_cosignatures.c.witness == witness,
                )
            ).first()
            if done is None:
                conn.execute(
                    insert(ledger_cosignatures).values(
                        tree_size=size, witness=witness, signature_line=signature_line
                    )
                )

    # -- proofs ------------------------------------------------------------------------------

    def prove(
        self, event_id: str, *, size: int | None = None, now: datetime | None = None
    ) -> dict[str, Any]:
        """An inclusion proof for ``event_id`` against a signed head, as JSON data.

        Against the head of ``size`` when given (any head the instance has published), else
        the latest. If no signed head covers the event yet, ``now`` signs a new one; without
        it, NotFound. The proof is checked before it is returned.
        """
        entry = self.find(event_id)
        head = self.head_at(size) if size is not None else self.latest_head()
        if head is None or head.size <= entry.index:
            if now is None or size is not None:
                raise NotFound(
                    f"event {event_id} is not yet covered by "
                    + (f"the signed tree head of size {size}" if size else "a signed tree head")
                )
            head = self.tree_head(now)
        with self.engine.connect() as conn:
            proof = inclusion_proof(entry.index, head.size, lambda a, b: self._subtree(conn, a, b))
        verify_inclusion(entry.leaf_hash, entry.index, head.size, proof, head.root_hash)
        return {
            "event_id": entry.event_id,
            "index": entry.index,
            "tree_size": head.size,
            "leaf_hash": entry.leaf_hash.hex(),
            "root_hash": head.root_hash.hex(),
            "proof": [p.hex() for p in proof],
            "event": entry.event.to_payload(),
            "appended_at": entry.appended_at,
            "leaf_format": self._leaf_format(entry.index),
            "checkpoint": head.to_text(),
        }

    def _leaf_format(self, index: int) -> int:
        with self.engine.connect() as conn:
            payload = conn.execute(
                select(ledger_entries.c.payload).where(ledger_entries.c.leaf_index == index)
            ).scalar_one()
        return parse_leaf(payload)[0]

    def root_at(self, size: int) -> bytes:
        """The root hash of the first ``size`` leaves (any size up to the log's)."""
        with self.engine.connect() as conn:
            if size > self._size(conn):
                raise NotFound(f"the log has fewer than {size} entries")
            return self._compact(conn, size).root()

    def consistency(self, old: int, new: int) -> dict[str, Any]:
        """A consistency proof that the tree of size ``old`` is a prefix of size ``new``.

        Any two sizes ``0 < old <= new <= size``, not only those of signed heads.
        """
        if not 0 < old <= new:
            raise InputError(f"a consistency proof needs 0 < old <= new, not {old} and {new}")
        old_root, new_root = self.root_at(old), self.root_at(new)
        with self.engine.connect() as conn:
            proof = consistency_proof(old, new, lambda a, b: self._subtree(conn, a, b))
        verify_consistency(old, new, proof, old_root, new_root)
        return {
            "old_size": old,
            "new_size": new,
            "old_root": old_root.hex(),
            "new_root": new_root.hex(),
            "proof": [p.hex() for p in proof],
        }

    # -- export ------------------------------------------------------------------------------

    def export(self, directory: str | Path, *, now: datetime | None = None) -> Path:
        """Write the log, its heads, consistency proofs and public keys as plain files.

        With ``now``, first sign a head over the whole log so every entry is covered. Layout:
        ``log.json`` (format, origin, size), ``entries.jsonl`` (one event a line, with its index,
        id and append time), ``leaf-hashes.txt`` (one hex leaf hash a line), ``tree-heads.jsonl``
        (each signed checkpoint), ``consistency.jsonl`` (a proof between each pair of successive
        heads) and ``keys/`` (``instance.pub``, ``parties/*.pem``). Read back by
        :func:`accord.ledger.verify.verify_export`.
        """
        if now is not None:
            self.tree_head(now)
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        self.keystore.export_public(root / "keys")
        heads = self.heads()
        with (root / "tree-heads.jsonl").open("w", encoding="utf-8") as f:
            for head in heads:
                f.write(json.dumps({"size": head.size, "checkpoint": head.to_text()}) + "\n")
        with (root / "consistency.jsonl").open("w", encoding="utf-8") as f:
            for old, new in zip(heads, heads[1:], strict=False):
                if old.size == 0:
                    continue  # nothing to prove from the empty tree
                f.write(json.dumps(self.consistency(old.size, new.size)) + "\n")
        size = self._export_entries(root)
        (root / "log.json").write_text(
            json.dumps({"format": EXPORT_FORMAT, "origin": self.origin, "size": size}, indent=2)
            + "\n"
        )
        return root

    def _export_entries(self, root: Path) -> int:
        """Write ``entries.jsonl`` and ``leaf-hashes.txt``, refusing an entry that does not
        match its stored leaf hash (both files appear only when every entry matched)."""
        query = select(ledger_entries).order_by(ledger_entries.c.leaf_index)
        size = 0
        entries_path, leaves_path = root / "entries.jsonl", root / "leaf-hashes.txt"
        entries_tmp = entries_path.with_name(entries_path.name + ".partial")
        leaves_tmp = leaves_path.with_name(leaves_path.name + ".partial")
        try:
            with (
                self.engine.connect() as conn,
                entries_tmp.open("w", encoding="utf-8") as entries,
                leaves_tmp.open("w", encoding="ascii") as leaves,
            ):
                rows = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
                for row in rows:
                    entries.write(_export_line(size, row))
                    leaves.write(bytes(row.leaf_hash).hex() + "\n")
                    size += 1
        except BaseException:
            entries_tmp.unlink(missing_ok=True)
            leaves_tmp.unlink(missing_ok=True)
            raise
        entries_tmp.replace(entries_path)
        leaves_tmp.replace(leaves_path)
        return size


def _refuse_export(index: int, reason: str) -> VerificationError:
    return VerificationError(
        f"refusing to export: the stored entry at index {index} {reason}. The database was"
        " changed outside accord; nothing was exported. Restore the database from a backup"
        " that matches the signed tree heads, and check it with `accord verify DIR --against"
        " HEAD` using the heads your witnesses and auditors hold",
        [Problem(f"index {index}", reason)],
    )


def _export_line(position: int, row: Any) -> str:
    """One ``entries.jsonl`` line for a stored entry, after checking it against its leaf hash."""
    index = int(row.leaf_index)
    if index != position:
        raise _refuse_export(position, f"is missing (the next stored index is {index})")
    payload: str = row.payload
    leaf = hash_leaf(payload.encode())
    if leaf != bytes(row.leaf_hash):
        raise _refuse_export(
            index,
            f"does not match its stored leaf hash: stored {bytes(row.leaf_hash).hex()},"
            f" computed {leaf.hex()}",
        )
    if row.event_id != event_id_for(index, leaf):
        raise _refuse_export(index, f"has event id {row.event_id}, not the one its hash gives")
    try:
        leaf_format, _event, appended_at = parse_leaf(payload)
    except (InputError, ValueError) as exc:
        raise _refuse_export(index, "is not a readable leaf") from exc
    if leaf_format >= 2 and appended_at != row.appended_at:
        raise _refuse_export(index, "has an appended_at that is not the one its leaf covers")
    head = json.dumps({"index": index, "event_id": row.event_id, "appended_at": row.appended_at})
    if leaf_format == 1:
        # The stored canonical payload goes in verbatim: the leaf hash covers these bytes.
        return head[:-1] + ', "event": ' + payload + "}\n"
    # Format 2 stores {"accord-leaf":2,"appended_at":"...","event":{...}} canonically, so the
    # event's canonical bytes are everything after the fixed prefix, less the closing brace.
    event = payload[payload.index(',"event":') + len(',"event":') : -1]
    return head[:-1] + f', "leaf_format": {leaf_format}, "event": ' + event + "}\n"
