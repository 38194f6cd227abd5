"""Ed25519 keys: the instance key that signs tree heads, and one key pair per party.

A :class:`KeyStore` is a directory::

    instance.key            PKCS#8 PEM private key, mode 0600 (signs tree heads)
    instance.pub            the verifier key in signed-note form: name+hash+base64
    witness.key             PKCS#8 PEM private key, mode 0600 (cosigns other parties' heads)
    witness.pub             the witness's cosignature verifier key: name+keyid+base64(0x04||key)
    parties/<party>.key     a party's private key, mode 0600 (absent for parties who hold
                            their own key and registered only the public half)
    parties/<party>.pem     the party's public key (SubjectPublicKeyInfo PEM)

(A ``:`` in a party id such as ``gss:E09000011`` is written ``%3A`` in file names.)

Keys are created when first asked for and never overwritten: a key is written whole to a
temporary file and linked into place, so two processes starting at once end up with one key,
and neither ever reads a key file before it is complete. :meth:`KeyStore.export_public`
writes only the public halves, which is what ``accord ledger export`` publishes and
``accord verify`` reads back with :class:`PublicKeys`.

Party signatures are detached Ed25519 signatures over :meth:`SignedEvent.signing_bytes`, the
canonical statement of the agreement hash with the agreement id, version, party and decision.

>>> import tempfile
>>> from accord.ledger.events import AgreementApproved
>>> store = KeyStore(tempfile.mkdtemp())
>>> approval = store.sign_event(AgreementApproved(agreement_id="a-1", agreement_version="1.0.0",
...     agreement_hash="ab" * 32, at="2026-01-01T00:00:00Z", party="E06000001",
...     role="controller", decision="approve", signature=""))
>>> store.public_keys().verify_event(approval) == approval
True
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from accord.errors import ConfigError, InputError, NotFound, VerificationError
from accord.ledger.checkpoint import NoteSigner, NoteVerifier
from accord.ledger.events import SignedEvent
from accord.ledger.witness import CosignatureVerifier, Cosigner

__all__ = ["DEFAULT_INSTANCE_NAME", "KeyStore", "PublicKeys", "check_party_id"]

DEFAULT_INSTANCE_NAME = "accord-instance"
_PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
E = TypeVar("E", bound=SignedEvent)


def check_party_id(party: str) -> str:
    """Party ids (``gss:E09000011``) are letters, digits and ``.``, ``_``, ``:`` or ``-``."""
    if not _PARTY_ID.match(party):
        raise InputError(f"party id {party!r} must be letters, digits, '.', '_', ':' or '-'")
    return party


def _file_stem(party: str) -> str:
    return quote(check_party_id(party), safe="")  # ':' becomes %3A, portable to any filesystem


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _load_public_pem(data: bytes, where: Path) -> Ed25519PublicKey:
    key = load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{where} is not an Ed25519 public key")
    return key


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Create ``path`` holding ``data`` unless it exists; return whether this call created it.

    The bytes are written and synced to a private temporary file first, which is then linked
    into place (``link`` fails if the name exists), so a reader racing a first use never sees
    an empty or half-written key file: the name appears with its whole content, or not at all.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed or widened it
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def _verify_signature(public_key: Ed25519PublicKey, event: E) -> E:
    what = (
        f"{event.name} signature by party {event.signer} on agreement {event.agreement_id}"
        f" version {event.agreement_version}"
    )
    try:
        signature = base64.b64decode(event.signature, validate=True)
        public_key.verify(signature, event.signing_bytes())
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise VerificationError(f"{what} does not verify") from exc
    return event


@dataclass(frozen=True)
class PublicKeys:
    """The public keys an auditor needs: the instance verifier and each party's key."""

    instance: NoteVerifier
    parties: dict[str, Ed25519PublicKey]

    @classmethod
    def load(cls, directory: str | Path) -> PublicKeys:
        """Read keys written by :meth:`KeyStore.export_public` (``instance.pub``, ``parties/``)."""
        root = Path(directory)
        try:
            instance = NoteVerifier.from_string((root / "instance.pub").read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"no instance public key at {root / 'instance.pub'}") from exc
        parties = {
            unquote(path.stem): _load_public_pem(path.read_bytes(), path)
            for path in sorted((root / "parties").glob("*.pem"))
        }
        return cls(instance, parties)

    def verify_event(self, event: E) -> E:
        """Check a party's signature on ``event``; return it, or raise naming party and version."""
        key = self.parties.get(event.signer)
        if key is None:
            raise VerificationError(
                f"{event.name} on agreement {event.agreement_id} version"
                f" {event.agreement_version} is signed by party {event.signer},"
                " whose public key is not known"
            )
        return _verify_signature(key, event)


class KeyStore:
    """Instance and party keys in one directory; see the module docstring for the layout."""

    def __init__(self, directory: str | Path, *, instance_name: str = DEFAULT_INSTANCE_NAME):
        self.directory = Path(directory)
        self.instance_name = instance_name

    # -- the instance key --------------------------------------------------------------------

    def _private(self, path: Path) -> Ed25519PrivateKey:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            )
            _write_new(path, pem, 0o600)
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{path} is not an Ed25519 private key")
        return key

    def instance_key(self) -> Ed25519PrivateKey:
        """The instance's private key, created (mode 0600) with its public key if missing."""
        return self.instance_signer().private_key

    def instance_signer(self) -> NoteSigner:
        """The instance's signing key (created if missing) as a signed-note signer."""
        signer = NoteSigner(self.instance_name, self._private(self.directory / "instance.key"))
        pub = self.directory / "instance.pub"
        if not pub.exists():
            _write_new(pub, (signer.verifier().to_string() + "\n").encode(), 0o644)
        return signer

    def instance_verifier(self) -> NoteVerifier:
        return self.instance_signer().verifier()

    # -- the witness key ---------------------------------------------------------------------

    @property
    def witness_name(self) -> str:
        """The note name this instance cosigns other logs' heads under."""
        return f"{self.instance_name}/witness"

    def witness_cosigner(self) -> Cosigner:
        """The key this instance cosigns other parties' heads with (created if missing).

        A key of its own, never the instance key: a cosignature says "I saw this head and it
        extends the last one I saw", which is not what the log's own signature says.
        """
        cosigner = Cosigner(self.witness_name, self._private(self.directory / "witness.key"))
        pub = self.directory / "witness.pub"
        if not pub.exists():
            _write_new(pub, (cosigner.verifier().to_string() + "\n").encode(), 0o644)
        return cosigner

    def witness_verifier(self) -> CosignatureVerifier:
        return self.witness_cosigner().verifier()

    # -- party keys --------------------------------------------------------------------------

    def _party_paths(self, party: str) -> tuple[Path, Path]:
        folder = self.directory / "parties"
        return folder / f"{_file_stem(party)}.key", folder / f"{_file_stem(party)}.pem"

    def ensure_party(self, party: str) -> Ed25519PublicKey:
        """Create the party's key pair if it has none; return its public key."""
        key_path, pem_path = self._party_paths(party)
        if not pem_path.exists():
            public = self._private(key_path).public_key()
            _write_new(pem_path, _public_pem(public), 0o644)
        return self.party_public_key(party)

    def add_party_public_key(self, party: str, pem: bytes) -> Ed25519PublicKey:
        """Register a party that holds its own private key; refuse to replace a different key."""
        _key_path, pem_path = self._party_paths(party)
        pem_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = _load_public_pem(pem, pem_path)
        if not _write_new(pem_path, _public_pem(key), 0o644) and (
            _public_pem(self.party_public_key(party)) != _public_pem(key)
        ):
            raise InputError(f"party {party} already has a different public key")
        return key

    def party_public_key(self, party: str) -> Ed25519PublicKey:
        _key_path, pem_path = self._party_paths(party)
        try:
            return _load_public_pem(pem_path.read_bytes(), pem_path)
        except FileNotFoundError as exc:
            raise NotFound(f"no key for party {party}") from exc

    def parties(self) -> list[str]:
        return sorted(unquote(p.stem) for p in (self.directory / "parties").glob("*.pem"))

    def sign_event(self, event: E) -> E:
        """Sign ``event`` with its signer's private key (created if missing); return the copy."""
        key_path, pem_path = self._party_paths(event.signer)
        if not key_path.exists() and pem_path.exists():
            raise NotFound(f"party {event.signer} holds its own private key; it must sign")
        self.ensure_party(event.signer)
        signature = self._private(key_path).sign(event.signing_bytes())
        return dataclasses.replace(event, signature=base64.b64encode(signature).decode())

    # -- publishing --------------------------------------------------------------------------

    def public_keys(self) -> PublicKeys:
        return PublicKeys(
            self.instance_verifier(), {p: self.party_public_key(p) for p in self.parties()}
        )

    def export_public(self, directory: str | Path) -> PublicKeys:
        """Write the public halves (``instance.pub``, ``parties/*.pem``) to ``directory``."""
        keys = self.public_keys()
        root = Path(directory)
        (root / "parties").mkdir(parents=True, exist_ok=True)
        (root / "instance.pub").write_text(keys.instance.to_string() + "\n")
        for party, key in keys.parties.items():
            (root / "parties" / f"{_file_stem(party)}.pem").write_bytes(_public_pem(key))
        return keys
