"""The DuckDB backend's layered standard-field checks accept exactly what the validators accept.

The backend splits each standard field's check into layers (compact form, normalised form,
validity) and computes the NHS number's check digit by arithmetic, for speed; each Hypothesis
example is a list of strings evaluated in one real DuckDB query through those layers and
compared value by value with the Python validator.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.engine.backends import duckdb_sql as sql
from accord.engine.plan import SourceField
from accord.errors import InputError
from accord.refdata import validate_nhs_number, validate_postcode
from accord.synth import nhs_numbers

CON = duckdb.connect()

TRICKY = st.sampled_from(list("0123456789 \t\n\r-+.eAaGgIiRr") + ["１", "٣", "é"])
noise = st.text(alphabet=TRICKY, max_size=14)
anything = st.text(max_size=14).filter(lambda s: "\x00" not in s)
valid_nhs = st.sampled_from(nhs_numbers(2000, seed=5))
ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
near_nhs = st.one_of(
    valid_nhs.map(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}"),
    valid_nhs.map(lambda n: n[:9] + str((int(n[9]) + 1) % 10)),  # wrong check digit
    valid_nhs.map(lambda n: "+" + n[1:]),
    valid_nhs.map(lambda n: "-" + n[1:]),
    valid_nhs.map(lambda n: n + "0"),
    valid_nhs.map(lambda n: n[:9]),
)
OUTWARD = st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?", fullmatch=True)
INWARD = st.from_regex(r"[0-9][A-Za-z]{2}", fullmatch=True)
postcodes = st.builds(
    lambda o, s, i: f"{o}{s}{i}", OUTWARD, st.sampled_from(["", " ", "  ", "\t", "\n "]), INWARD
)


def _layered(f: SourceField) -> str:
    """The backend's three layers as one expression over ``v``: the normalised value when
    valid, else NULL."""
    pre, normal, valid = sql.standard_sql(f, "v")
    return (
        f"SELECT i, CASE WHEN {valid('x', 'n')} THEN n END FROM ("
        f"SELECT i, x, {normal('x')} AS n FROM (SELECT i, {pre} AS x FROM probe))"
    )


def _agree(f: SourceField, values: list[str | None], validate: Callable[[str], str]) -> None:
    table = pa.table({"i": pa.array(range(len(values))), "v": pa.array(values, pa.string())})
    CON.register("probe", table)
    try:
        got = dict(CON.execute(_layered(f)).fetchall())
    finally:
        CON.unregister("probe")
    for i, value in enumerate(values):
        expected: str | None = None
        if value is not None:
            try:
                expected = validate(value)
            except InputError:
                expected = None
        assert got[i] == expected, value


def _lists(*strategies: st.SearchStrategy[str]) -> st.SearchStrategy[list[str | None]]:
    return st.lists(st.one_of(st.none(), *strategies), min_size=50, max_size=120)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_lists(valid_nhs, near_nhs, ten_digits, noise, anything))
def test_nhs_number_layers(values: list[str | None]) -> None:
    _agree(SourceField("nhs_number", "string", "NHS_NUMBER"), values, validate_nhs_number)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_lists(postcodes, noise, anything))
def test_postcode_layers(values: list[str | None]) -> None:
    _agree(SourceField("postcode", "string", "POSTCODE"), values, validate_postcode)


def test_the_check_digit_rejects_what_only_the_arithmetic_would_pass() -> None:
    """Values whose integer reading has a matching check digit but that are not ten ASCII
    digits: the arithmetic alone passes them, the match must not."""
    good = nhs_numbers(1, seed=1)[0]
    tricks = ["+" + good, "0" + good, "00" + good, "\t" + good, good + "\n", "+0" + good]
    reads = CON.execute(
        "SELECT TRY_CAST(v AS BIGINT) FROM (SELECT unnest($1) AS v)", [tricks]
    ).fetchall()
    assert reads == [(int(good),)] * len(tricks)  # the arithmetic alone passes each
    f = SourceField("nhs_number", "string", "NHS_NUMBER")
    _agree(f, [good, *tricks], validate_nhs_number)
