"""Short-lived Delta Sharing file links served by accord itself, bound to one party and token.

Delta Sharing clients fetch data files from a URL with no bearer token, like a cloud
pre-signed URL. accord never hands out storage URLs: a file link is
``/delta-sharing/files/<file id>?party=<org id>&share=<share>&tok=<token id>&exp=<unix
seconds>&sig=<HMAC>``, where the signature is HMAC-SHA256 over the file id, the party, the
share, the token id and the expiry under a secret kept in the workspace's keys folder
(``delta-sharing-url.secret``, made once, mode 0600).

A valid signature is not enough: at fetch time :func:`accord.service.sharing.open_file` checks
the standing of everything the link names, as it is *now*: the token that asked for it must
still be valid (a revoked profile's links stop at once), the share's agreement must still be
active (a suspended agreement's links are refused, saying so) and the party must still see the
file. Changing any part of the link, or waiting past the expiry, gets 403.

>>> signer = UrlSigner(b"k" * 32)
>>> link = Link("f1", "gss:E09000011", "share_a", "tok_1", 1_800_000_000)
>>> sig = signer.sign(link)
>>> signer.verify(link, sig, now=1_799_999_000)
>>> signer.verify(link._replace(party="gss:E06000002"), sig, now=1_799_999_000)
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
from typing import NamedTuple

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


class Link(NamedTuple):
    """What one file link names: the file, the party, its share, the token, the expiry."""

    file_id: str
    party: str
    share: str
    token_id: str
    expires: int


class UrlSigner:
    """Sign and check file links."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, link: Link) -> str:
        message = "\0".join(["accord/delta-sharing-file/2", *map(str, link)]).encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, link: Link, sig: str, *, now: int) -> None:
        """Return if the signature is right and not expired; raise :class:`NotPermitted`."""
        if not hmac.compare_digest(sig.encode(), self.sign(link).encode()):
            raise NotPermitted("this file link is not valid", [Problem("sig", "does not match")])
        if now >= link.expires:
            raise NotPermitted(
                "this file link has expired", [Problem("exp", "ask the server for the table again")]
            )


__all__ = ["SECRET_FILE", "URL_LIFETIME", "Link", "UrlSigner", "parse_expiry", "url_secret"]
