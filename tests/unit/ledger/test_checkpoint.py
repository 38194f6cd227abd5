"""Signed tree heads: text form round-trips, signatures cover size, root and timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.errors import VerificationError
from accord.ledger.checkpoint import (
    NoteSigner,
    NoteVerifier,
    SignedTreeHead,
    format_timestamp,
    sign_tree_head,
)

SIGNER = NoteSigner("accord-instance", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = NoteSigner("accord-instance", Ed25519PrivateKey.from_private_bytes(bytes(32)))
TS = "2026-03-16T09:00:00.000000Z"


def head(size: int = 7, root: bytes = b"\x11" * 32) -> SignedTreeHead:
    return sign_tree_head("accord/ledger", size, root, TS, SIGNER)


def test_text_form_is_a_signed_note_checkpoint() -> None:
    text = head().to_text()
    body, sigs = text.split("\n\n")
    assert body.split("\n") == [
        "accord/ledger",
        "7",
        "ERERERERERERERERERERERERERERERERERERERERERE=",
        f"timestamp {TS}",
    ]
    assert sigs.startswith("\u2014 accord-instance ") and sigs.endswith("\n")


def test_round_trips_through_text() -> None:
    original = head()
    parsed = SignedTreeHead.from_text(original.to_text())
    assert parsed == original
    assert parsed.to_text() == original.to_text()
    assert parsed.verify(SIGNER.verifier()) is parsed


@pytest.mark.parametrize(
    ("old", "new"),
    [("\n7\n", "\n8\n"), ("ERERER", "ERERES"), ("09:00:00", "09:00:01"), ("accord/", "accorx/")],
    ids=["size", "root", "timestamp", "origin"],
)
def test_signature_covers_every_body_line(old: str, new: str) -> None:
    tampered = SignedTreeHead.from_text(head().to_text().replace(old, new, 1))
    with pytest.raises(VerificationError, match="bad signature"):
        tampered.verify(SIGNER.verifier())


def test_a_head_signed_by_another_key_fails() -> None:
    forged = sign_tree_head("accord/ledger", 7, b"\x11" * 32, TS, OTHER)
    with pytest.raises(VerificationError, match="not signed by accord-instance"):
        forged.verify(SIGNER.verifier())


def test_verifier_key_string_round_trips_and_checks_its_hash() -> None:
    key = SIGNER.verifier().to_string()
    assert NoteVerifier.from_string(key) == SIGNER.verifier()
    name, key_hash, material = key.split("+", 2)
    with pytest.raises(VerificationError, match="wrong key hash"):
        NoteVerifier.from_string(f"{name}+00000000+{material}")


@pytest.mark.parametrize(
    "text",
    [
        "no blank line\n",
        "o\n1\nAAAA\n\n\u2014 k AAAAAAAA\n",  # root is not 32 bytes
        "o\n01\n" + "A" * 43 + "=\n\n\u2014 k AAAAAAAA\n",  # leading zero in size
        "o\n1\n" + "A" * 43 + "=\ntimestamp yesterday\n\n\u2014 k AAAAAAAA\n",
        "o\n1\n" + "A" * 43 + "=\n\n- k AAAAAAAA\n",  # hyphen, not an em dash
        "o\n1\n" + "A" * 43 + "=\n\n",  # no signature
    ],
)
def test_malformed_notes_are_refused(text: str) -> None:
    with pytest.raises(VerificationError):
        SignedTreeHead.from_text(text)


def test_timestamps_are_utc_and_fixed_width() -> None:
    moment = datetime(2026, 3, 16, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == TS
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 3, 16))
    with pytest.raises(ValueError, match="timestamp must look like"):
        sign_tree_head("o", 1, bytes(32), datetime.now(UTC).isoformat(), SIGNER)
