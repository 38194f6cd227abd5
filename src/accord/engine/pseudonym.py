"""Pseudonym keys and values: HKDF-SHA256 per recipient, HMAC-SHA256 per value.

A key is derived from the instance secret with HKDF-SHA256 (RFC 5869), ``info`` naming the
agreement, the scope and (for recipient scope) the recipient's organisation id, so two
recipients of one agreement get unrelated pseudonyms for the same person unless the agreement
permits linkage. The key stays inside the instance: it is never written to any delivery,
manifest, plan or log.

A pseudonym is the lower-case hex HMAC-SHA256 (RFC 2104) of the value's text (UTF-8). HMAC is
``H((K xor opad) || H((K xor ipad) || m))``; :func:`hmac_pads` gives the two padded keys so a SQL
backend can compute it with its own SHA-256 and no per-row Python.

>>> key = derive_key(b"s" * 32, agreement_id="urn:accord:x", key_id="recipient:gss:E09000011")
>>> len(key), pseudonym(key, "9434765919") == pseudonym(key, "9434765919")
(32, True)
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from accord.errors import ConfigError, Problem

KEY_BYTES = 32
_BLOCK = 64  # SHA-256 block size
_INFO_PREFIX = b"accord/pseudonym/v1"


def derive_key(secret: bytes, *, agreement_id: str, key_id: str) -> bytes:
    """The 32-byte key for ``key_id`` (``recipient:<org_id>`` or ``agreement``)."""
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise ConfigError(
            "the instance secret must be at least 16 bytes",
            [Problem("secret", "too short or not bytes")],
        )
    info = b"\x00".join([_INFO_PREFIX, agreement_id.encode(), key_id.encode()])
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def pseudonym(key: bytes, value: str) -> str:
    """Hex HMAC-SHA256 of ``value`` under ``key``."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """``(K xor ipad, K xor opad)`` for a key no longer than one SHA-256 block."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)
