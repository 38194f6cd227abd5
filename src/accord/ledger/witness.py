"""Witness cosignatures and the witness's check, in the C2SP tlog-witness / tlog-cosignature style.

A witness is another party's accord instance (or any C2SP witness) that keeps, for each log it
follows, the latest tree head it cosigned. It cosigns a new head only when it is consistent with
that one, so an operator who rewrites history cannot get the rewritten head cosigned, and a
head everyone has cosigned cannot later be denied.

The request (``POST .../add-checkpoint``, https://c2sp.org/tlog-witness) is text::

    old 20                                   <- the size the client thinks the witness has
    PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=   <- consistency proof, one base64 hash a line
    <blank line>
    <the signed checkpoint note>

and the answer is one or more cosignature lines. A cosignature (https://c2sp.org/tlog-cosignature,
Ed25519, "cosignature/v1") is a note signature line ``— <witness name> base64(key id ||
timestamp (8 bytes, big-endian, POSIX seconds) || Ed25519 signature)`` over::

    cosignature/v1
    time <timestamp>
    <the checkpoint body>

and its key id is ``SHA-256(name || "\\n" || 0x04 || public key)[:4]``. The verifier key is
written ``name+hexkeyid+base64(0x04 || public key)``.

Needs only the standard library and ``cryptography``.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> cosigner = Cosigner("witness.example", Ed25519PrivateKey.from_private_bytes(bytes(32)))
>>> line = cosigner.cosign(b"log\\n1\\n" + b"A" * 43 + b"=\\n", 1767225600)
>>> cosigner.verifier().verify(b"log\\n1\\n" + b"A" * 43 + b"=\\n", line)
1767225600
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import InputError, NotPermitted, VerificationError, WitnessConflict
from accord.ledger.checkpoint import NoteSignature, NoteVerifier, SignedTreeHead, _b64decode
from accord.ledger.merkle import HASH_SIZE, verify_consistency

__all__ = [
    "ALG_COSIGNATURE",
    "AddCheckpoint",
    "Cosigner",
    "CosignatureVerifier",
    "WitnessedLog",
    "check_add_checkpoint",
]

ALG_COSIGNATURE = 0x04
MAX_PROOF_LINES = 63
_NAME = re.compile(r"^[^\s+]+$")
_OLD = re.compile(r"^old (0|[1-9][0-9]*)$")


def _key_id(name: str, raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE]) + raw).digest()[:4]


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """What an Ed25519 cosignature signs: the header, the time line, then the note body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's cosigner key: name, Ed25519 public key and key id."""

    name: str
    public_key: Ed25519PublicKey = field(compare=False)
    key_id: bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey) -> CosignatureVerifier:
        if not _NAME.match(name):
            raise ValueError(f"a witness name has no spaces or '+': {name!r}")
        return cls(name, public_key, _key_id(name, public_key.public_bytes_raw()))

    @classmethod
    def from_string(cls, text: str) -> CosignatureVerifier:
        """Parse ``name+hexkeyid+base64(0x04 || key)``; raise VerificationError if malformed."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not _NAME.match(parts[0]) or len(parts[1]) != 8:
            raise VerificationError(f"malformed witness key: {text.strip()!r}")
        name, id_hex, key_b64 = parts
        key = _b64decode(key_b64, "witness key")
        if len(key) != 33 or key[0] != ALG_COSIGNATURE:
            raise VerificationError(f"witness key {name!r} is not an Ed25519 cosignature key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(key[1:]), _key_id(name, key[1:]))
        if verifier.key_id.hex() != id_hex.lower():
            raise VerificationError(f"witness key {name!r} has the wrong key id {id_hex}")
        return verifier

    def to_string(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        key = base64.b64encode(bytes([ALG_COSIGNATURE]) + raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{key}"

    def verify(self, body: bytes, signature: NoteSignature) -> int:
        """Check a cosignature over a checkpoint ``body``; return its timestamp, or raise."""
        if signature.name != self.name or signature.key_hash != self.key_id:
            raise VerificationError(f"cosignature is not by witness {self.name}")
        if len(signature.signature) != 8 + 64:
            raise VerificationError(f"cosignature by {self.name} has the wrong length")
        timestamp = int.from_bytes(signature.signature[:8], "big")
        if timestamp >= 1 << 63:
            raise VerificationError(f"cosignature by {self.name} has an impossible timestamp")
        try:
            self.public_key.verify(signature.signature[8:], cosigned_message(body, timestamp))
        except InvalidSignature as exc:
            raise VerificationError(f"cosignature by witness {self.name} does not verify") from exc
        return timestamp

    def verify_head(self, head: SignedTreeHead) -> int:
        """The timestamp of this witness's valid cosignature on ``head``, or raise."""
        for signature in head.signatures:
            if signature.name == self.name and signature.key_hash == self.key_id:
                return self.verify(head.body(), signature)
        raise VerificationError(f"tree head of size {head.size} is not cosigned by {self.name}")


@dataclass(frozen=True)
class Cosigner:
    """A witness's private key with its name."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier.from_public_key(self.name, self.private_key.public_key())

    def cosign(self, body: bytes, timestamp: int) -> NoteSignature:
        signature = self.private_key.sign(cosigned_message(body, timestamp))
        blob = timestamp.to_bytes(8, "big") + signature
        return NoteSignature(self.name, self.verifier().key_id, blob)


@dataclass(frozen=True)
class AddCheckpoint:
    """An ``add-checkpoint`` request: the old size, the consistency proof and the checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: SignedTreeHead

    def to_text(self) -> str:
        lines = [f"old {self.old_size}"] + [base64.b64encode(h).decode() for h in self.proof]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint.to_text()

    @classmethod
    def from_text(cls, text: str) -> AddCheckpoint:
        """Parse a request body; raise InputError (HTTP 400) when it is malformed."""
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise InputError("an add-checkpoint body is an old line, proof lines, a blank line")
        lines = head.split("\n")
        found = _OLD.match(lines[0])
        if found is None:
            raise InputError(f"the first line must be 'old <size>': {lines[0][:40]!r}")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise InputError(f"a consistency proof has at most {MAX_PROOF_LINES} lines")
        try:
            proof = tuple(_b64decode(line, "proof line") for line in lines[1:])
            checkpoint = SignedTreeHead.from_text(note)
        except VerificationError as exc:
            raise InputError(exc.message) from exc
        if any(len(h) != HASH_SIZE for h in proof):
            raise InputError(f"each proof line is a {HASH_SIZE}-byte hash")
        return cls(int(found.group(1)), proof, checkpoint)


@dataclass(frozen=True)
class WitnessedLog:
    """What a witness keeps for one log: its verifier key and the last head it cosigned."""

    origin: str
    verifier: NoteVerifier
    size: int
    root_hash: bytes | None


def check_add_checkpoint(request: AddCheckpoint, log: WitnessedLog) -> SignedTreeHead:
    """Apply the witness's checks, in the order C2SP tlog-witness gives; return the head or raise.

    Raises NotPermitted (HTTP 403) when no signature verifies with the log's key, InputError (400)
    when the old size is beyond the checkpoint, WitnessConflict (409) when the old size is not the
    size last cosigned, or the sizes are equal but the roots differ, and VerificationError (422)
    when the consistency proof does not prove the new head extends the last one.
    """
    head = request.checkpoint
    try:
        head.verify(log.verifier)
    except VerificationError as exc:
        raise NotPermitted(f"the checkpoint is not signed by the key of {log.origin}") from exc
    if request.old_size > head.size:
        raise InputError(f"old size {request.old_size} is beyond the checkpoint's {head.size}")
    if request.old_size != log.size:
        raise WitnessConflict(
            f"this witness last cosigned size {log.size} of {log.origin}, not {request.old_size}",
            log.size,
        )
    if log.size == 0 or log.root_hash is None:
        if request.proof:
            raise VerificationError("a proof from size 0 must be empty")
        return head
    if head.size == log.size:
        if head.root_hash != log.root_hash:
            raise WitnessConflict(
                f"{log.origin} already has a cosigned head of size {log.size} with root"
                f" {log.root_hash.hex()}; this one has root {head.root_hash.hex()}",
                log.size,
            )
        return head
    verify_consistency(log.size, head.size, request.proof, log.root_hash, head.root_hash)
    return head
