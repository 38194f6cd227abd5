"""Instance and party keys: created once, private files 0600, party signatures name the party."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import InputError, NotFound, VerificationError
from accord.ledger.events import AgreementApproved, DeliveryReceipt
from accord.ledger.keys import KeyStore, PublicKeys

PARTY = "gss:E06000001"


def approval(**changes: str) -> AgreementApproved:
    base = AgreementApproved(
        agreement_id="covid-shielding", agreement_version="1.2.0", agreement_hash="ab" * 32,
        at="2026-03-16T09:00:00Z", party=PARTY, role="controller", decision="approve",
        reasons=("lawful under COPI",), signature="",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_created_once_with_private_files_0600(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.instance_verifier()
    store.ensure_party(PARTY)
    assert mode(tmp_path / "keys" / "instance.key") == 0o600
    assert mode(tmp_path / "keys" / "parties" / "gss%3AE06000001.key") == 0o600
    assert KeyStore(tmp_path / "keys").instance_verifier() == first  # not regenerated
    assert store.parties() == [PARTY]


def test_party_signature_verifies_and_names_party_and_version_when_it_fails(
    tmp_path: Path,
) -> None:
    store = KeyStore(tmp_path)
    signed = store.sign_event(approval())
    keys = store.public_keys()
    assert keys.verify_event(signed) is signed
    flipped = dataclasses.replace(signed, decision="reject")
    with pytest.raises(VerificationError) as caught:
        keys.verify_event(flipped)
    message = str(caught.value)
    assert PARTY in message and "covid-shielding" in message and "version 1.2.0" in message


def test_a_signature_cannot_move_to_another_version_or_party(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    signed = store.sign_event(approval())
    store.ensure_party("gss:E06000002")
    keys = store.public_keys()
    with pytest.raises(VerificationError, match="version 1.3.0"):
        keys.verify_event(dataclasses.replace(signed, agreement_version="1.3.0"))
    with pytest.raises(VerificationError, match="gss:E06000002"):
        keys.verify_event(dataclasses.replace(signed, party="gss:E06000002"))


def test_unknown_party_and_garbage_signature_fail(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    keys = store.public_keys()
    with pytest.raises(VerificationError, match="not known"):
        keys.verify_event(approval(signature="AAAA"))
    store.ensure_party(PARTY)
    with pytest.raises(VerificationError, match="does not verify"):
        store.public_keys().verify_event(approval(signature="not base64!"))


def test_exported_public_keys_load_back_without_private_keys(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    receipt = store.sign_event(
        DeliveryReceipt(
            agreement_id="a", agreement_version="1.0.0", agreement_hash="ab" * 32,
            at="2026-03-16T09:00:00Z", delivery_id="d-1", recipient=PARTY,
            manifest_sha256="cd" * 32, signature="",
        )
    )  # fmt: skip
    store.export_public(tmp_path / "public")
    assert not list((tmp_path / "public").rglob("*.key"))
    loaded = PublicKeys.load(tmp_path / "public")
    assert loaded.instance == store.instance_verifier()
    assert loaded.verify_event(receipt) is receipt


def test_parties_holding_their_own_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    own = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = own.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    store.add_party_public_key(PARTY, pem)
    store.add_party_public_key(PARTY, pem)  # the same key again is fine
    with pytest.raises(NotFound, match="must sign"):
        store.sign_event(approval())
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(InputError, match="different public key"):
        store.add_party_public_key(
            PARTY, other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        )


@pytest.mark.parametrize("party", ["../etc/passwd", "", "a b", "x/y"])
def test_party_ids_cannot_escape_the_key_folder(tmp_path: Path, party: str) -> None:
    with pytest.raises(InputError, match="party id"):
        KeyStore(tmp_path).ensure_party(party)


def test_missing_party_key_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no key for party"):
        KeyStore(tmp_path).party_public_key(PARTY)


def test_first_use_of_a_party_key_under_concurrency_gives_one_whole_key(tmp_path: Path) -> None:
    """Issue 22 item 8: a key file must never be read before it is completely written."""
    import threading

    for round_ in range(5):
        store = KeyStore(tmp_path / f"round-{round_}")
        barrier = threading.Barrier(8)
        found: list[bytes] = []
        errors: list[BaseException] = []

        def first_use(
            store: KeyStore = store,
            barrier: threading.Barrier = barrier,
            found: list[bytes] = found,
            errors: list[BaseException] = errors,
        ) -> None:
            barrier.wait()
            try:
                key = store.ensure_party("gss:E06000001")
                found.append(key.public_bytes(Encoding.Raw, PublicFormat.Raw))
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(set(found)) == 1 and len(found) == 8
        assert not list((tmp_path / f"round-{round_}" / "parties").glob(".*"))  # no temp left
