from __future__ import annotations

import hashlib
import json

from accord.model import (
    Approval,
    agreement_hash,
    canonical_bytes,
    example_agreement,
    example_document,
    parse_agreement,
)
from accord.model.enums import Status


def test_hash_is_sha256_of_rfc8785_bytes() -> None:
    a = example_agreement()
    body = canonical_bytes(a)
    assert agreement_hash(a) == hashlib.sha256(body).hexdigest()
    # RFC 8785: no insignificant whitespace, keys sorted.
    parsed = json.loads(body)
    assert list(parsed) == sorted(parsed)
    compact = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body == compact.encode()


def test_key_order_in_the_source_does_not_change_the_hash() -> None:
    d = example_document()
    reordered = dict(reversed(list(d.items())))
    assert agreement_hash(parse_agreement(reordered)) == agreement_hash(parse_agreement(d))


def test_status_and_approvals_are_outside_the_hash() -> None:
    a = example_agreement()
    approved = a.model_copy(
        update={
            "status": Status.active,
            "approvals": [
                Approval(
                    party="ods:X26",
                    role="siro",
                    decision="approve",
                    timestamp="2026-03-16T10:00:00Z",
                )
            ],
        }
    )
    assert agreement_hash(approved) == agreement_hash(a)


def test_any_content_change_changes_the_hash() -> None:
    d = example_document()
    before = agreement_hash(parse_agreement(d))
    d["flows"][0]["projection"].remove("phone")
    assert agreement_hash(parse_agreement(d)) != before
    d2 = example_document()
    d2["retention"]["period"] = "P7M"
    assert agreement_hash(parse_agreement(d2)) != before
