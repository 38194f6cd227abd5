"""NHS number checksum (rules.md §h): table-driven cases and the SQL form in a real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from accord.errors import InputError
from accord.refdata import check_digit, nhs_number_sql, quote_identifier, validate_nhs_number

# Checked by hand: 943476591 -> sum 299, 299 mod 11 = 2, check 9.
#                 401023213 -> sum 92, 92 mod 11 = 4, check 7.
#                 200000001 -> sum 22, 22 mod 11 = 0, check 11 -> 0.
#                 100000001 -> sum 12, 12 mod 11 = 1, check 10 -> no valid number.
VALID = [
    ("9434765919", "9434765919"),
    ("943 476 5919", "9434765919"),
    (" 943 476 5919 ", "9434765919"),
    ("4010232137", "4010232137"),
    ("2000000010", "2000000010"),
    ("0000000000", "0000000000"),
    ("2000000002", "2000000002"),
]
INVALID = [
    ("9434765918", "check digit does not match"),
    ("9434765910", "check digit does not match"),
    ("1000000010", "check digit would be 10"),
    ("1000000019", "check digit would be 10"),
    ("943476591", "not 10 digits"),
    ("94347659190", "not 10 digits"),
    ("943-476-5919", "not 10 digits"),
    ("943\t476\t5919", "not 10 digits"),
    ("94347659１9", "not 10 digits"),  # a full-width digit is not an ASCII digit
    ("", "not 10 digits"),
    ("abcdefghij", "not 10 digits"),
]


@pytest.mark.parametrize(("raw", "normalised"), VALID)
def test_valid_numbers_are_normalised(raw: str, normalised: str) -> None:
    assert validate_nhs_number(raw) == normalised


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_invalid_numbers_raise_with_a_reason_but_not_the_value(raw: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_nhs_number(raw, where="row 7")
    assert reason in caught.value.diagnostics()
    assert caught.value.problems[0].where == "row 7"
    if raw.strip():
        assert raw not in caught.value.diagnostics()


def test_non_text_is_refused() -> None:
    with pytest.raises(InputError, match="not text"):
        validate_nhs_number(9434765919)  # type: ignore[arg-type]


def test_check_digit_table() -> None:
    assert check_digit("943476591") == 9
    assert check_digit("401023213") == 7
    assert check_digit("200000001") == 0
    assert check_digit("100000001") is None
    with pytest.raises(InputError):
        check_digit("12345678")


def test_every_last_digit_of_one_body_has_exactly_one_valid_answer() -> None:
    accepted = []
    for last in "0123456789":
        try:
            accepted.append(validate_nhs_number("943476591" + last))
        except InputError:
            pass
    assert accepted == ["9434765919"]


def test_sql_form_matches_the_table() -> None:
    rows = [raw for raw, _ in VALID] + [raw for raw, _ in INVALID] + [None]
    expected = [True] * len(VALID) + [False] * len(INVALID) + [False]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(rows)))
    got = con.execute(
        f"SELECT {nhs_number_sql(quote_identifier('v'))} FROM t ORDER BY i"
    ).fetchall()
    assert [g for (g,) in got] == expected
