"""Signed tree heads as checkpoints in the signed-note format of transparency-dev and Go's sumdb.

A signed tree head commits to the first ``size`` events of the log. Its text form is a
checkpoint (https://github.com/transparency-dev/formats/tree/main/log) wrapped in a signed note
(golang.org/x/mod/sumdb/note)::

    accord/ledger                                   <- origin: which log
    1234                                            <- tree size, decimal
    3q2+7w...=                                      <- root hash, standard base64
    timestamp 2026-01-01T12:00:00.000000Z           <- otherdata: when it was signed (UTC)

    — accord-instance Ab12cd...=                    <- em dash, key name, base64(key hash || sig)

The Ed25519 signature covers the body (every line above the blank line, each with its ``\\n``),
so it covers the tree size, the root hash and the timestamp. The 4-byte key hash is the first
four bytes of ``SHA-256(key name || "\\n" || 0x01 || public key)``, and a verifier key is written
``name+hexhash+base64(0x01 || public key)``, both exactly as sumdb notes do, so standard
tooling can check accord's heads and this module can check theirs.

Needs only the standard library and ``cryptography``, so an auditor can verify offline.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> signer = NoteSigner("example-log", Ed25519PrivateKey.from_private_bytes(bytes(32)))
>>> head = sign_tree_head("example.org/log", 2, bytes(32), "2026-01-01T00:00:00.000000Z", signer)
>>> SignedTreeHead.from_text(head.to_text()).verify(signer.verifier()) == head
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import VerificationError

__all__ = [
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "SignedTreeHead",
    "format_timestamp",
    "sign_tree_head",
]

ALG_ED25519 = 0x01
EM_DASH = "\u2014"
TIMESTAMP_PREFIX = "timestamp "
_NAME = re.compile(r"^[^\s+]+$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def format_timestamp(moment: datetime) -> str:
    """The fixed-width UTC form used in tree heads and events: ``2026-01-01T12:00:00.000000Z``."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key_hash(name: str, key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64: {text!r}") from exc


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: the signer's name, key hash and signature bytes."""

    name: str
    key_hash: bytes
    signature: bytes

    def to_line(self) -> str:
        blob = base64.b64encode(self.key_hash + self.signature).decode()
        return f"{EM_DASH} {self.name} {blob}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or not _NAME.match(parts[1]):
            raise VerificationError(f"malformed signature line: {line!r}")
        blob = _b64decode(parts[2], "signature")
        if len(blob) < 5:
            raise VerificationError(f"signature line too short: {line!r}")
        return cls(name=parts[1], key_hash=blob[:4], signature=blob[4:])


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 verifier key with its note name: ``name+hexhash+base64(0x01 || key)``."""

    name: str
    public_key: Ed25519PublicKey = field(compare=False)
    key_hash: bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey) -> NoteVerifier:
        if not _NAME.match(name):
            raise ValueError(f"a key name has no spaces or '+': {name!r}")
        raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(name, public_key, _key_hash(name, bytes([ALG_ED25519]) + raw))

    @classmethod
    def from_string(cls, text: str) -> NoteVerifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not parts[0] or len(parts[1]) != 8:
            raise VerificationError(f"malformed verifier key: {text.strip()!r}")
        name, hash_hex, key_b64 = parts
        key = _b64decode(key_b64, "verifier key")
        if len(key) != 33 or key[0] != ALG_ED25519:
            raise VerificationError(f"verifier key {name!r} is not an Ed25519 key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(key[1:]), _key_hash(name, key))
        if verifier.key_hash.hex() != hash_hex.lower():
            raise VerificationError(
                f"verifier key {name!r} has the wrong key hash: expected {hash_hex},"
                f" computed {verifier.key_hash.hex()}"
            )
        return verifier

    def to_string(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        key = base64.b64encode(bytes([ALG_ED25519]) + raw).decode()
        return f"{self.name}+{self.key_hash.hex()}+{key}"

    def verify(self, body: bytes, signature: NoteSignature) -> bytes:
        """Check ``signature`` over ``body``; return ``body`` or raise VerificationError."""
        if signature.name != self.name or signature.key_hash != self.key_hash:
            raise VerificationError(
                f"signature is by {signature.name}+{signature.key_hash.hex()}, expected"
                f" {self.name}+{self.key_hash.hex()}"
            )
        try:
            self.public_key.verify(signature.signature, body)
        except InvalidSignature as exc:
            raise VerificationError(f"signature by {self.name} does not verify") from exc
        return body


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 private key with its note name."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_public_key(self.name, self.private_key.public_key())

    def sign(self, body: bytes) -> NoteSignature:
        return NoteSignature(self.name, self.verifier().key_hash, self.private_key.sign(body))


@dataclass(frozen=True)
class SignedTreeHead:
    """A checkpoint (origin, tree size, root hash, timestamp) and its note signatures.

    ``timestamp`` is ``None`` only for foreign checkpoints that carry none; accord always
    writes one. Extra ``otherdata`` lines after the timestamp are kept so the text round-trips.
    """

    origin: str
    size: int
    root_hash: bytes
    timestamp: str | None
    signatures: tuple[NoteSignature, ...] = ()
    extra: tuple[str, ...] = ()

    def body(self) -> bytes:
        """The signed part: the checkpoint lines, each ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        if self.timestamp is not None:
            lines.append(TIMESTAMP_PREFIX + self.timestamp)
        lines.extend(self.extra)
        return "".join(line + "\n" for line in lines).encode()

    def to_text(self) -> str:
        return self.body().decode() + "\n" + "".join(s.to_line() for s in self.signatures)

    @classmethod
    def from_text(cls, text: str) -> SignedTreeHead:
        """Parse a signed checkpoint note; raises VerificationError if it is malformed."""
        if not text.endswith("\n") or "\n\n" not in text:
            raise VerificationError("a signed note is a body, a blank line and signature lines")
        split = text.rindex("\n\n")
        body, sig_text = text[: split + 1], text[split + 2 :]
        lines = body[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise VerificationError("a checkpoint body has origin, size and root lines")
        origin, size_text, root_text, *other = lines
        if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
            raise VerificationError(f"tree size is not a decimal number: {size_text!r}")
        root = _b64decode(root_text, "root hash")
        if len(root) != 32:
            raise VerificationError(f"root hash has {len(root)} bytes, expected 32")
        timestamp = None
        if other and other[0].startswith(TIMESTAMP_PREFIX):
            timestamp = other.pop(0)[len(TIMESTAMP_PREFIX) :]
            if not _TIMESTAMP.match(timestamp):
                raise VerificationError(f"timestamp is not UTC ISO 8601: {timestamp!r}")
        sig_lines = sig_text[:-1].split("\n") if sig_text else []
        if not sig_lines:
            raise VerificationError("a signed note needs at least one signature")
        head = cls(
            origin=origin,
            size=int(size_text),
            root_hash=root,
            timestamp=timestamp,
            signatures=tuple(NoteSignature.from_line(line) for line in sig_lines),
            extra=tuple(other),
        )
        if head.body().decode() != body:
            raise VerificationError("checkpoint body does not round-trip")
        return head

    def verify(self, verifier: NoteVerifier) -> SignedTreeHead:
        """Check this head carries a valid signature by ``verifier``; return it or raise."""
        for signature in self.signatures:
            if signature.name == verifier.name and signature.key_hash == verifier.key_hash:
                try:
                    verifier.verify(self.body(), signature)
                except VerificationError as exc:
                    raise VerificationError(
                        f"tree head of size {self.size} has a bad signature by {verifier.name}"
                    ) from exc
                return self
        raise VerificationError(
            f"tree head of size {self.size} is not signed by {verifier.name}"
            f"+{verifier.key_hash.hex()}"
        )


def sign_tree_head(
    origin: str, size: int, root_hash: bytes, timestamp: str, signer: NoteSigner
) -> SignedTreeHead:
    """Make and sign the tree head for ``size`` leaves with ``root_hash`` at ``timestamp``."""
    if not _TIMESTAMP.match(timestamp):
        raise ValueError(f"timestamp must look like 2026-01-01T12:00:00.000000Z: {timestamp!r}")
    head = SignedTreeHead(origin, size, root_hash, timestamp)
    return SignedTreeHead(origin, size, root_hash, timestamp, (signer.sign(head.body()),))
