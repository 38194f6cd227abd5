"""accord.ledger: the tamper-evident, append-only log of everything accord does.

Owns the Merkle log (RFC 9162 hashing and proofs, :mod:`.merkle`), signed tree heads in the
signed-note checkpoint format (:mod:`.checkpoint`), Ed25519 keys for the instance and each
party (:mod:`.keys`), the typed events (:mod:`.events`), the storage-backed log
(:mod:`.log`, on the tables of :mod:`accord.store.ledger`) and offline verification of an
export (:mod:`.verify`).

Imports only ``accord.errors``, ``accord.store`` (from :mod:`.log` alone) and itself; never the
engine, disputes, register, server or CLI. :mod:`.merkle` needs nothing but the standard
library and :mod:`.checkpoint` only ``cryptography`` besides, so an auditor can verify a log
offline; :class:`Ledger` is imported lazily so that importing this package does not load the
database layer.

>>> from accord.ledger import hash_leaf, root_hash
>>> root_hash([hash_leaf(b"")]).hex()[:16]
'6e340b9cffb37a98'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.ledger.checkpoint import NoteSigner, NoteVerifier, SignedTreeHead, sign_tree_head
from accord.ledger.events import (
    EVENT_TYPES,
    Event,
    SignedEvent,
    canonical_bytes,
    event_from_payload,
    event_id_for,
)
from accord.ledger.keys import KeyStore, PublicKeys
from accord.ledger.merkle import (
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from accord.ledger.verify import VerifiedLog, verify_export

if TYPE_CHECKING:
    from accord.ledger.log import Ledger, LedgerEntry


def __getattr__(name: str) -> Any:
    if name in ("Ledger", "LedgerEntry"):
        from accord.ledger import log

        return getattr(log, name)
    raise AttributeError(f"module 'accord.ledger' has no attribute {name!r}")


__all__ = [
    "EVENT_TYPES",
    "Event",
    "KeyStore",
    "Ledger",
    "LedgerEntry",
    "NoteSigner",
    "NoteVerifier",
    "PublicKeys",
    "SignedEvent",
    "SignedTreeHead",
    "VerifiedLog",
    "canonical_bytes",
    "consistency_proof",
    "event_from_payload",
    "event_id_for",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "root_hash",
    "sign_tree_head",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
]
