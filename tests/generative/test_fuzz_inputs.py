"""Fuzzing the three doors outside data comes in by: the agreement loader (YAML and JSON), the
row-filter parser, and the CSV/Parquet intake of ``accord run``.

Each input either works or fails with one of accord's documented errors (exit 2, "bad input",
for all three; exit 9 for a full disk) whose problems name the place: a field path, a filter
position, a row. Nothing else escapes: no traceback, no exit 1 ("a blocking finding"), no exit
70 ("a defect"). No value of the intake source ever appears in a message or a log line (an
agreement's own names may: they are what its author needs to fix). Derandomised, so CI runs
the same cases every time.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.cli import main
from accord.clock import FixedClock
from accord.errors import AccordError, InputError, PredicateError
from accord.model import example_agreement, example_document, load_agreement_text
from accord.model.predicate import check, parse
from accord.service import agreements, runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

MARKER = "Zq7-marker-value"  # a recognisable planted string
DOCUMENTS = settings(max_examples=120, derandomize=True, deadline=None)
FILTERS = settings(max_examples=1000, derandomize=True, deadline=None)
SLOW = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# -- the agreement loader ----------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(MARKER),
    st.text(max_size=20).map(lambda t: MARKER + t),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _paths(value, (*prefix, i))


EXAMPLE = example_document()
PATHS = [p for p in _paths(EXAMPLE) if p]


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


def _assert_clear_agreement_error(err: AccordError) -> None:
    assert isinstance(err, InputError) and err.exit_code == 2, type(err)
    assert err.problems, err.message
    assert all(p.where for p in err.problems), err.problems


@DOCUMENTS
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(_values, st.just(_DELETE))),
        min_size=1,
        max_size=3,
    ),
    as_json=st.booleans(),
)
def test_the_agreement_loader_fails_only_clearly(edits: list[Any], as_json: bool) -> None:
    doc: Any = EXAMPLE
    for path, value in edits:
        try:
            doc = _replaced(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    try:
        text = json.dumps(doc) if as_json else yaml.safe_dump(doc, allow_unicode=True)
    except ValueError:
        return  # not representable (NaN in JSON is, so this is rare)
    try:
        load_agreement_text(text, source="fuzz.json" if as_json else "fuzz.yaml")
    except AccordError as err:
        _assert_clear_agreement_error(err)


EXAMPLE_YAML = yaml.safe_dump(EXAMPLE, allow_unicode=True)


@DOCUMENTS
@given(
    cut=st.integers(min_value=0, max_value=len(EXAMPLE_YAML)),
    junk=st.text(alphabet=st.sampled_from(list(":-[]{}'\"!&*#|>%@`\t\n ?,x1")), max_size=12),
    as_json=st.booleans(),
)
def test_broken_agreement_text_fails_only_clearly(cut: int, junk: str, as_json: bool) -> None:
    base = json.dumps(EXAMPLE) if as_json else EXAMPLE_YAML
    cut = min(cut, len(base))
    text = base[:cut] + junk + base[cut:]
    try:
        load_agreement_text(text, source="fuzz.json" if as_json else "fuzz.yaml")
    except AccordError as err:
        assert isinstance(err, InputError) and err.exit_code == 2, type(err)
        assert err.problems or "line" in err.message, err.message


# -- the row-filter parser ---------------------------------------------------------------------

FIELDS = {
    "postcode": "string",
    "date_of_birth": "date",
    "clinical_group": "string",
    "age_band": "integer",
    "flag": "boolean",
}
_TOKENS = [
    "and", "or", "not", "in", "(", ")", ",", "==", "!=", "<", "<=", ">", ">=", "true",
    "false", "recipient.gss", "recipient.org_id", "recipient.", "age(date_of_birth)",
    "utla(postcode)", "lad(postcode)", "age(postcode)", "postcode", "clinical_group",
    "age_band", "flag", "nope", "'A'", "'it''s'", "\"B\"", "'open", "70", "-3", "1.5",
    "9" * 40, "'2026-01-01'", "utla(", ".", "@", "=", "!",
]  # fmt: skip


@FILTERS
@given(
    st.one_of(
        st.lists(st.sampled_from(_TOKENS), max_size=14).map(" ".join),
        st.text(max_size=40),
        st.integers(min_value=1, max_value=400).map(lambda n: "(" * n + "true" + ")" * n),
        st.integers(min_value=1, max_value=400).map(lambda n: "not " * n + "flag"),
    )
)
def test_the_row_filter_parser_fails_only_clearly(source: str) -> None:
    try:
        check(parse(source), FIELDS)
    except PredicateError as err:
        assert err.exit_code == 2
        assert err.problems and all(p.where.startswith("row_filter") for p in err.problems), (
            source,
            err.problems,
        )


# -- the intake of `accord run` ----------------------------------------------------------------

AGREEMENT = example_agreement()
assert AGREEMENT.incident is not None
CLOCK = FixedClock(AGREEMENT.incident.declared_at)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the example agreement active, and its synthetic population as CSV."""
    root = tmp_path_factory.mktemp("fuzz-intake")
    with Workspace.init(root / "ws", clock=CLOCK) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=200, seed=9)
        write_population(root / "people.parquet", rows=25, seed=9, postcode_directory=directory)
        agreements.create(ws, AGREEMENT)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, AGREEMENT.id, target)
    table = pq.read_table(root / "people.parquet")
    with (root / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        w.writerow(table.column_names)
        w.writerows(zip(*(table.column(n).to_pylist() for n in table.column_names), strict=True))
    return root


def _source_values(root: Path) -> set[str]:
    table = pq.read_table(root / "people.parquet")
    return {
        str(v)
        for name in table.column_names
        if name not in {"clinical_group", "sex"}
        for v in table.column(name).to_pylist()
        if len(str(v)) >= 5
    }


_mutation = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate-line"]),
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=1, max_value=64),
    st.binary(min_size=1, max_size=16).map(lambda b: b + b'"'),
)


def _mutate(data: bytes, mutations: list[tuple[str, float, int, bytes]]) -> bytes:
    for kind, where, size, junk in mutations:
        at = int(where * len(data))
        if kind == "delete":
            data = data[:at] + data[at + size :]
        elif kind == "insert":
            data = data[:at] + junk + data[at:]
        elif kind == "replace":
            data = data[:at] + junk + data[at + len(junk) :]
        elif kind == "truncate":
            data = data[: max(at, 1)]
        else:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = data[start : end if end >= 0 else len(data)]
            data = data[:start] + line + b"\n" + data[start:]
    return data


@pytest.mark.slow
@SLOW
@given(
    mutations=st.lists(_mutation, min_size=1, max_size=3),
    parquet=st.booleans(),
)
def test_the_intake_of_a_run_fails_only_clearly(
    intake: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    mutations: list[Any],
    parquet: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    home = tmp_path_factory.mktemp("run") / "ws"
    shutil.copytree(intake / "ws", home)
    name = "people.parquet" if parquet else "people.csv"
    source = home.parent / name
    source.write_bytes(_mutate((intake / name).read_bytes(), mutations))
    code = main(
        ["run", AGREEMENT.id, "--source", str(source)], {"ACCORD_HOME": str(home)}, clock=CLOCK
    )
    out = capsys.readouterr()
    assert code in (0, 2), (code, out.err[-2000:])
    assert "Traceback" not in out.err + out.out
    if code == 2:
        assert (
            "row " in out.err
            or "source" in out.err.lower()
            or ".csv" in out.err
            or ".parquet" in out.err
        ), out.err
    texts = (out.out, out.err, caplog.text)
    leaked = sorted(v for v in _source_values(intake) if any(v in t for t in texts))
    assert leaked == [], f"source values in the output: {leaked[:3]}"
