"""404s never say whether a hidden record exists (issue 22.6), and out-of-range version
numbers are a clear 4xx, not a 500 (issue 22.8): byte-identical bodies for "not yours" and
"does not exist"."""

from __future__ import annotations

from typing import Any

AGREEMENT_ID = "urn:accord:agreement:example-shielding"
MADE_UP = "urn:accord:agreement:no-such-thing"
OUTSIDER = "siro@birmingham.example"  # a party in no agreement


def _get(site: Any, email: str, path: str) -> Any:
    return site.client().get(path, headers={**site.bearer(email), "Accept": "application/json"})


def test_not_yours_and_does_not_exist_are_byte_identical(site: Any) -> None:
    for suffix in ("", "/versions", "/approvals"):
        hidden = _get(site, OUTSIDER, f"/api/agreements/{AGREEMENT_ID}{suffix}")
        # the same request shape for an id that does not exist, answered with the id swapped
        absent = _get(site, OUTSIDER, f"/api/agreements/{MADE_UP}{suffix}")
        assert hidden.status_code == absent.status_code == 404, suffix
        assert hidden.content == absent.content.replace(MADE_UP.encode(), AGREEMENT_ID.encode())


def test_a_missing_version_says_nothing_more_than_a_missing_agreement(site: Any) -> None:
    mine = _get(site, "siro@nhs.example", f"/api/agreements/{AGREEMENT_ID}?version=7")
    hidden = _get(site, OUTSIDER, f"/api/agreements/{AGREEMENT_ID}?version=7")
    hidden_v1 = _get(site, OUTSIDER, f"/api/agreements/{AGREEMENT_ID}?version=1")
    assert mine.status_code == hidden.status_code == hidden_v1.status_code == 404
    assert hidden.content == mine.content
    assert hidden_v1.content == hidden.content.replace(b"version 7", b"version 1")
    assert b"has no version" not in hidden.content


def test_a_version_beyond_64_bits_is_a_404_not_a_500(site: Any) -> None:
    for version in ("9223372036854775808", "0", "-1"):
        response = _get(
            site, "siro@nhs.example", f"/api/agreements/{AGREEMENT_ID}?version={version}"
        )
        assert response.status_code == 404, (version, response.text)
    ok = _get(site, "siro@nhs.example", f"/api/agreements/{AGREEMENT_ID}?version=1")
    assert ok.status_code == 200


def test_another_partys_dispute_and_a_made_up_one_read_the_same(site: Any) -> None:
    from accord.service import access
    from accord.service import users as user_service

    outsider = user_service.user_by_email(site.ws, OUTSIDER)
    errors = []
    for dispute_id in ("dsp-made-up", "dsp-other"):
        try:
            access.visible_dispute(site.ws, outsider, dispute_id)
        except Exception as exc:  # noqa: BLE001 - the test compares what each one says
            errors.append((type(exc).__name__, str(exc).replace(dispute_id, "ID")))
    assert errors[0] == errors[1] == ("NotFound", "no dispute ID that you can see")
