"""Short-lived file URLs served by accord itself, bound to one party.

Delta Sharing clients fetch data files from a URL with no bearer token, like a cloud
pre-signed URL. accord never hands out storage URLs: a file URL is
``/delta-sharing/files/<file id>?party=<org id>&exp=<unix seconds>&sig=<HMAC>``, where the
signature is HMAC-SHA256 over the file id, the party and the expiry under a secret kept in the
workspace's keys folder (``delta-sharing-url.secret``, made once, mode 0600). The file route
checks the signature, the expiry and, again, that the party may still see the file; changing
any part of the URL, or waiting past the expiry, gets 403.

>>> signer = UrlSigner(b"k" * 32)
>>> sig = signer.sign("f1", "gss:E09000011", 1_800_000_000)
>>> signer.verify("f1", "gss:E09000011", 1_800_000_000, sig, now=1_799_999_000)
>>> signer.verify("f1", "gss:E06000002", 1_800_000_000, sig, now=1_799_999_000)
Traceback (most recent call last):
...
accord.errors.NotPermitted: this file link is not valid
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

from accord.errors import NotPermitted, Problem

SECRET_FILE = "delta-sharing-url.secret"
URL_LIFETIME = timedelta(minutes=15)


def url_secret(keys_dir: Path) -> bytes:
    """The workspace's file-URL signing secret (32 random bytes, mode 0600, made once)."""
    path = keys_dir / SECRET_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    return path.read_bytes()


EXPIRY_DIGITS = 12  # unix seconds until the year 33658: longer is not a link accord made


def parse_expiry(text: str) -> int:
    """The ``exp`` of a file URL as unix seconds; raise :class:`NotPermitted` for anything else.

    Only ASCII digits, at most :data:`EXPIRY_DIGITS` of them (``str.isdigit`` accepts "²" and
    ``int`` refuses 5,000 digits: both were 500s).

    >>> parse_expiry("1800000000")
    1800000000
    >>> parse_expiry("9" * 5000)
    Traceback (most recent call last):
    ...
    accord.errors.NotPermitted: this file link is not valid
    """
    if not (0 < len(text) <= EXPIRY_DIGITS and text.isascii() and text.isdigit()):
        raise NotPermitted("this file link is not valid", [Problem("exp", "not an expiry time")])
    return int(text)


class UrlSigner:
    """Sign and check (file id, party, expiry) triples."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, file_id: str, party: str, expires: int) -> str:
        message = f"accord/delta-sharing-file\0{file_id}\0{party}\0{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, file_id: str, party: str, expires: int, sig: str, *, now: int) -> None:
        """Return if the signature is right and not expired; raise :class:`NotPermitted`."""
        if not hmac.compare_digest(sig.encode(), self.sign(file_id, party, expires).encode()):
            raise NotPermitted("this file link is not valid", [Problem("sig", "does not match")])
        if now >= expires:
            raise NotPermitted(
                "this file link has expired", [Problem("exp", "ask the server for the table again")]
            )
