"""The SQL engines' layered standard-field checks accept exactly what the validators accept.

DuckDB and Spark split each standard field's check into layers (compact form, normalised form,
validity) and compute the NHS number's check digit by arithmetic, for speed; each Hypothesis
example is a list of strings evaluated in one real query of each engine through those layers
and compared value by value with the Python validator.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from engines import SPARK_MISSING, SPARK_REASON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine.backends import duckdb_sql, spark_sql
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


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param(
            "spark",
            marks=[pytest.mark.spark, pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)],
        ),
    ]
)
def engine(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """An engine's name and what runs its queries (DuckDB's connection, the SparkSession)."""
    if request.param == "spark":
        return "spark", request.getfixturevalue("spark_session")
    return "duckdb", CON


SQL: dict[str, ModuleType] = {"duckdb": duckdb_sql, "spark": spark_sql}
EXAMPLES = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _layered(sql: ModuleType, f: SourceField) -> str:
    """The engine's three layers as one expression over ``v``: the normalised value when
    valid, else NULL."""
    pre, normal, valid = sql.standard_sql(f, "v")
    return (
        f"SELECT i, CASE WHEN {valid('x', 'n')} THEN n END FROM ("
        f"SELECT i, x, {normal('x')} AS n FROM (SELECT i, {pre} AS x FROM probe) a) b"
    )


def _query(engine: tuple[str, Any], query: str, table: pa.Table) -> list[tuple[Any, ...]]:
    name, runner = engine
    if name == "spark":
        runner.createDataFrame(table).createOrReplaceTempView("probe")
        try:
            return [tuple(r) for r in runner.sql(query).collect()]
        finally:
            runner.catalog.dropTempView("probe")
    runner.register("probe", table)
    try:
        return runner.execute(query).fetchall()  # type: ignore[no-any-return]
    finally:
        runner.unregister("probe")


def _agree(
    engine: tuple[str, Any],
    f: SourceField,
    values: list[str | None],
    validate: Callable[[str], str],
) -> None:
    table = pa.table({"i": pa.array(range(len(values))), "v": pa.array(values, pa.string())})
    got = dict(_query(engine, _layered(SQL[engine[0]], f), table))
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


@EXAMPLES
@given(_lists(valid_nhs, near_nhs, ten_digits, noise, anything))
def test_nhs_number_layers(engine: tuple[str, Any], values: list[str | None]) -> None:
    f = SourceField("nhs_number", "string", "NHS_NUMBER")
    _agree(engine, f, values, validate_nhs_number)


@EXAMPLES
@given(_lists(postcodes, noise, anything))
def test_postcode_layers(engine: tuple[str, Any], values: list[str | None]) -> None:
    _agree(engine, SourceField("postcode", "string", "POSTCODE"), values, validate_postcode)


def test_the_check_digit_rejects_what_only_the_arithmetic_would_pass(
    engine: tuple[str, Any],
) -> None:
    """Values whose integer reading has a matching check digit but that are not ten ASCII
    digits: the arithmetic alone passes them, the match must not."""
    good = nhs_numbers(1, seed=1)[0]
    tricks = ["+" + good, "0" + good, "00" + good, "\t" + good, good + "\n", "+0" + good]
    table = pa.table({"i": pa.array(range(len(tricks))), "v": pa.array(tricks, pa.string())})
    reads = _query(engine, "SELECT i, TRY_CAST(v AS BIGINT) FROM probe ORDER BY i", table)
    assert [r[1] for r in reads] == [int(good)] * len(tricks)  # the arithmetic alone passes each
    f = SourceField("nhs_number", "string", "NHS_NUMBER")
    _agree(engine, f, [good, *tricks], validate_nhs_number)
