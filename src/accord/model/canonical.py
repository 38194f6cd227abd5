"""Canonical form and identity of an agreement version.

The hash of a version is SHA-256 over the RFC 8785 (JSON Canonicalization Scheme) bytes of the
document without its lifecycle ``status`` and its ``approvals``: approvals and signatures are made
*over* the hash, and the status moves while the document stays the same.

A field left at its default is not part of the hashed bytes, so a release of accord that adds an
optional field does not change the hash (and void the signatures) of any agreement that does not
use it. The other side of that rule: a default, once released, must never change, since a stored
document that leaves the field out would then mean something else under the same hash
(``tests/unit/model/test_hash_stability.py`` pins every default). Versions stored before this rule
(December 2026) were hashed with every field present; :func:`legacy_agreement_hash` gives that
hash, and the stored hash of a version, not a recomputed one, stays its identity.

>>> from accord.model.examples import example_agreement
>>> len(agreement_hash(example_agreement()))
64
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from accord.model.agreement import Agreement

EXCLUDED_FROM_HASH = frozenset({"status", "approvals"})


def document(agreement: Agreement) -> dict[str, Any]:
    """The full JSON-able document (what is stored and exported)."""
    return agreement.model_dump(mode="json")


def canonical_bytes(agreement: Agreement) -> bytes:
    """RFC 8785 bytes of the hashed part of the document: fields at their defaults left out."""
    body = agreement.model_dump(mode="json", exclude=set(EXCLUDED_FROM_HASH), exclude_defaults=True)
    return rfc8785.dumps(body)


def agreement_hash(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_bytes(agreement)).hexdigest()


def legacy_agreement_hash(agreement: Agreement) -> str:
    """The hash of the first scheme (every field present), for versions stored before it changed."""
    body = agreement.model_dump(mode="json", exclude=set(EXCLUDED_FROM_HASH))
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def hashes_of(agreement: Agreement) -> frozenset[str]:
    """Every hash this document has had under any scheme (to find it among stored versions)."""
    return frozenset({agreement_hash(agreement), legacy_agreement_hash(agreement)})


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON-able value."""
    return rfc8785.dumps(value)
