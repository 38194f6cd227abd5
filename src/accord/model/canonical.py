"""Canonical form and identity of an agreement version.

The hash of a version is SHA-256 over the RFC 8785 (JSON Canonicalization Scheme) bytes of the
document without its lifecycle ``status`` and its ``approvals``: approvals and signatures are made
*over* the hash, and the status moves while the document stays the same.

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
    """RFC 8785 bytes of the hashed part of the document."""
    body = agreement.model_dump(mode="json", exclude=set(EXCLUDED_FROM_HASH))
    return rfc8785.dumps(body)


def agreement_hash(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_bytes(agreement)).hexdigest()


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON-able value."""
    return rfc8785.dumps(value)
