"""GSS, ODS and UPRN formats and ISO 8601 dates: Python and SQL forms."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from accord.errors import InputError
from accord.refdata import (
    UPPER_TIER,
    gss_code_sql,
    iso_date_sql,
    ods_code_sql,
    uprn_sql,
    validate_gss_code,
    validate_iso_date,
    validate_ods_code,
    validate_uprn,
)


def _sql(expression: str, values: list[object], kind: str = "VARCHAR") -> list[object]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (i INTEGER, v {kind})")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return [v for (v,) in con.execute(f"SELECT {expression} FROM t ORDER BY i").fetchall()]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("E09000011", "E09000011"),
        (" e06000002 ", "E06000002"),
        ("W06000015", "W06000015"),
        ("S12000036", "S12000036"),
        ("N09000003", "N09000003"),
        ("E01000001", "E01000001"),
    ],
)
def test_gss_valid(raw: str, code: str) -> None:
    assert validate_gss_code(raw) == code


@pytest.mark.parametrize(
    "raw", ["E0900001", "E090000111", "X09000011", "E03000001", "E09 000011", "", "E0900001A"]
)
def test_gss_invalid(raw: str) -> None:
    with pytest.raises(InputError):
        validate_gss_code(raw)


def test_gss_entity_restriction() -> None:
    assert validate_gss_code("E10000003", entities=UPPER_TIER) == "E10000003"
    with pytest.raises(InputError, match="entity prefix"):
        validate_gss_code("E07000008", entities=UPPER_TIER)
    with pytest.raises(InputError, match="unknown GSS entity"):
        validate_gss_code("E07000008", entities={"E99"})
    got = _sql(gss_code_sql("v", entities=UPPER_TIER), ["E10000003", "E07000008", "e06000001"])
    assert got == [True, False, True]


@pytest.mark.parametrize(
    ("raw", "kind", "code"),
    [
        ("A81001", "gp", "A81001"),
        ("rak", "trust", "RAK"),
        ("RAK01", "trust_site", "RAK01"),
        ("QWE", "icb", "QWE"),
        ("8A718", None, "8A718"),
        ("X", None, "X"),
    ],
)
def test_ods_valid(raw: str, kind: str | None, code: str) -> None:
    assert validate_ods_code(raw, kind=kind) == code
    assert _sql(ods_code_sql("v", kind=kind), [raw]) == [True]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("A8100", "gp"),
        ("AB8100", "gp"),
        ("TAK", "trust"),
        ("ABCDEFGHIJ", None),
        ("A-1", None),
        ("", None),
        ("RAK0", "trust_site"),
    ],
)
def test_ods_invalid(raw: str, kind: str | None) -> None:
    with pytest.raises(InputError):
        validate_ods_code(raw, kind=kind)
    assert _sql(ods_code_sql("v", kind=kind), [raw]) == [False]


def test_ods_unknown_kind() -> None:
    with pytest.raises(InputError, match="unknown ODS code kind"):
        validate_ods_code("A81001", kind="pharmacy")


@pytest.mark.parametrize(
    ("raw", "uprn"),
    [
        ("1", "1"),
        ("100023336956", "100023336956"),
        (100023336956, "100023336956"),
        (" 0042 ", "42"),
        ("999999999999", "999999999999"),
    ],
)
def test_uprn_valid(raw: str | int, uprn: str) -> None:
    assert validate_uprn(raw) == uprn


@pytest.mark.parametrize("raw", ["0", "000", "1234567890123", "12a", "", -5, True, 1.5])
def test_uprn_invalid(raw: object) -> None:
    with pytest.raises(InputError):
        validate_uprn(raw)  # type: ignore[arg-type]


def test_uprn_sql_on_text_and_integers() -> None:
    assert _sql(uprn_sql("v"), ["1", "0", "1234567890123", " 12 ", None]) == [
        True,
        False,
        False,
        True,
        False,
    ]
    assert _sql(uprn_sql("v"), [100023336956, 0, None], kind="BIGINT") == [True, False, False]


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_dates_valid(raw: str, day: date) -> None:
    assert validate_iso_date(raw) == day
    assert _sql(iso_date_sql("v"), [raw]) == [True]


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",
        "2023-2-01",
        "0000-01-01",
        "2023-13-01",
        "2023-01-32",
        "20230101",
        "2023-01-01T00:00",
        " 2023-01-01",
        "",
    ],
)
def test_dates_invalid(raw: str) -> None:
    with pytest.raises(InputError):
        validate_iso_date(raw)
    assert _sql(iso_date_sql("v"), [raw]) == [False]
