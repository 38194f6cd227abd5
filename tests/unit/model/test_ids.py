from __future__ import annotations

import pytest

from accord.model.ids import parse_org_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ods:x26", "ods:X26"),
        (" ods:RXH01 ", "ods:RXH01"),
        ("gss:e09000011", "gss:E09000011"),
        ("gov-org:cabinet-office", "gov-org:cabinet-office"),
        ("gov-org:EA26", "gov-org:EA26"),
        ("ch:01234567", "ch:01234567"),
        ("ch:sc123456", "ch:SC123456"),
    ],
)
def test_valid_ids_are_normalised(raw: str, expected: str) -> None:
    assert parse_org_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("E09000011", "scheme:value"),
        ("gss:E0900001", "GSS code"),
        ("gss:X09000011", "GSS code"),
        ("ods:ABCDEFGHIJ", "ODS code"),
        ("ods:AB-1", "ODS code"),
        ("ch:1234567", "Companies House"),
        ("gov-org:Cabinet Office", "GOV.UK organisation"),
        ("duns:123", "scheme:value"),
    ],
)
def test_invalid_ids_say_which_rule(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_org_id(raw)
