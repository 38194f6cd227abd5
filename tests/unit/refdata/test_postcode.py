"""Postcode normalisation and format validation (rules.md §h)."""

from __future__ import annotations

import duckdb
import pytest

from accord.errors import InputError
from accord.refdata import postcode_normalise_sql, postcode_sql, validate_postcode

CASES = [
    ("SW1A 1AA", "SW1A 1AA"),
    ("sw1a1aa", "SW1A 1AA"),
    ("  Sw1A   1aA ", "SW1A 1AA"),
    ("SW1A\t1AA", "SW1A 1AA"),
    ("EC1A 1BB", "EC1A 1BB"),
    ("W1A 0AX", "W1A 0AX"),
    ("M1 1AE", "M1 1AE"),
    ("B33 8TH", "B33 8TH"),
    ("CR2 6XH", "CR2 6XH"),
    ("DN55 1PT", "DN55 1PT"),
    ("m11ae", "M1 1AE"),
    ("GIR 0AA", "GIR 0AA"),
    ("gir0aa", "GIR 0AA"),
]
BAD = [
    ("", "empty"),
    ("   ", "empty"),
    ("SW1A 1A", "format"),
    ("SW1A 1AAA", "format"),
    ("1W1A 1AA", "format"),
    ("ABC1 1AA", "format"),
    ("SW1A-1AA", "format"),
    ("SW1A 1ÄA", "format"),
    ("ſW1A 1AA", "format"),  # upper-cases to 'S' in Unicode; not an ASCII letter
    ("ＳW1A 1AA", "format"),  # full-width S
    ("GIR 0AB", "format"),
]


@pytest.mark.parametrize(("raw", "normalised"), CASES)
def test_normalises(raw: str, normalised: str) -> None:
    assert validate_postcode(raw) == normalised


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_refuses(raw: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_postcode(raw)
    assert reason in caught.value.diagnostics()


def test_sql_normalises_like_python() -> None:
    values = [raw for raw, _ in CASES] + [raw for raw, _ in BAD] + [None]
    expected = [n for _, n in CASES] + [None] * (len(BAD) + 1)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    got = con.execute(
        f"SELECT {postcode_normalise_sql('v')}, {postcode_sql('v')} FROM t ORDER BY i"
    ).fetchall()
    assert [g for g, _ in got] == expected
    assert [ok for _, ok in got] == [e is not None for e in expected]
