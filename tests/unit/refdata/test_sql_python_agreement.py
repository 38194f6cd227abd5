"""The Python and DuckDB SQL forms of every validator accept exactly the same strings.

Each Hypothesis example is a list of strings, so a run checks thousands of values; each list
is evaluated in one real DuckDB query and compared value by value with the Python form.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import InputError
from accord.refdata import (
    gss_code_sql,
    iso_date_sql,
    nhs_number_sql,
    ods_code_sql,
    postcode_normalise_sql,
    uprn_sql,
    validate_gss_code,
    validate_iso_date,
    validate_nhs_number,
    validate_ods_code,
    validate_postcode,
    validate_uprn,
)
from accord.synth import nhs_numbers

CON = duckdb.connect()

# Characters that make near misses likely: digits, ASCII letters, whitespace, and look-alikes.
TRICKY = st.sampled_from(list("0123456789 \t\n\r-AaEeGgIiRrSsWwNn") + ["ſ", "ı", "１", "Ａ", "é"])
noise = st.text(alphabet=TRICKY, max_size=14)
anything = st.text(max_size=14).filter(lambda s: "\x00" not in s)


def _python(validate: Callable[[str], object], value: str | None) -> object:
    if value is None:
        return None
    try:
        return validate(value)
    except InputError:
        return None


def _agree(expression: str, values: list[str | None], validate: Callable[[str], object]) -> None:
    table = pa.table({"i": pa.array(range(len(values))), "v": pa.array(values, pa.string())})
    CON.register("probe", table)
    try:
        got = [v for (v,) in CON.execute(f"SELECT {expression} FROM probe ORDER BY i").fetchall()]
    finally:
        CON.unregister("probe")
    for value, sql in zip(values, got, strict=True):
        py = _python(validate, value)
        if isinstance(sql, bool):
            assert sql is (py is not None), value
        else:
            assert sql == py, value


def _mutations(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values, some altered by one edit or re-spaced or re-cased."""

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        s = draw(valid)
        how = draw(st.sampled_from(["keep", "swap", "drop", "insert", "case", "space"]))
        if how == "keep" or not s:
            return s
        i = draw(st.integers(0, len(s) - 1))
        c = draw(TRICKY)
        if how == "swap":
            return s[:i] + c + s[i + 1 :]
        if how == "drop":
            return s[:i] + s[i + 1 :]
        if how == "insert":
            return s[:i] + c + s[i:]
        if how == "case":
            return s.lower() if draw(st.booleans()) else s.swapcase()
        return " " + s.replace(" ", draw(st.sampled_from(["", "  ", "\t"]))) + " "

    return edit()


def _lists(*strategies: st.SearchStrategy[str]) -> st.SearchStrategy[list[str | None]]:
    return st.lists(st.one_of(st.none(), *strategies), min_size=50, max_size=120)


valid_nhs = st.sampled_from(nhs_numbers(2000, seed=11))
spaced_nhs = valid_nhs.map(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}")
ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
OUTWARD = st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]?", fullmatch=True)
INWARD = st.from_regex(r"[0-9][A-Z]{2}", fullmatch=True)
valid_postcode = st.builds(lambda o, i: f"{o} {i}", OUTWARD, INWARD)
valid_gss = st.from_regex(r"[ENSW][0-9]{8}", fullmatch=True)
valid_ods = st.from_regex(r"[A-Z0-9]{1,9}", fullmatch=True)
valid_uprn = st.integers(1, 999_999_999_999).map(str)
valid_date = st.dates().map(lambda d: d.isoformat())


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_lists(_mutations(st.one_of(valid_nhs, spaced_nhs)), ten_digits, noise, anything))
def test_nhs_number(values: list[str | None]) -> None:
    _agree(nhs_number_sql("v"), values, validate_nhs_number)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_lists(_mutations(valid_postcode), noise, anything))
def test_postcode_normalisation(values: list[str | None]) -> None:
    _agree(postcode_normalise_sql("v"), values, validate_postcode)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(_lists(_mutations(valid_gss), noise, anything))
def test_gss_code(values: list[str | None]) -> None:
    _agree(gss_code_sql("v"), values, validate_gss_code)


@pytest.mark.parametrize("kind", [None, "gp", "trust", "trust_site", "icb"])
@settings(derandomize=True, max_examples=15, deadline=None)
@given(values=_lists(_mutations(valid_ods), noise, anything))
def test_ods_code(kind: str | None, values: list[str | None]) -> None:
    _agree(ods_code_sql("v", kind=kind), values, lambda s: validate_ods_code(s, kind=kind))


@settings(derandomize=True, max_examples=40, deadline=None)
@given(_lists(_mutations(valid_uprn), noise, anything))
def test_uprn(values: list[str | None]) -> None:
    _agree(uprn_sql("v"), values, validate_uprn)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(_lists(_mutations(valid_date), noise, anything))
def test_iso_date(values: list[str | None]) -> None:
    _agree(iso_date_sql("v"), values, validate_iso_date)
