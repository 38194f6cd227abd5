"""Source files: declared format, column check, and a streaming reader shared by the backends.

A source is CSV (RFC 4180, UTF-8, a header row) or Parquet. The format is declared (by the
caller, or by the file's suffix) and checked against the file's bytes, so a Parquet file named
``.csv`` or a text file named ``.parquet`` is refused before anything is read. Then every
column the plan reads must be present with a type that fits its Table Schema type; CSV columns
are text and are typed per row (a value that does not parse is a row exception, not an error).

Row numbers count data rows from 1, in file order, so an exception names a row the discloser
can find in their own file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from accord.engine.plan import ReadSource
from accord.errors import Problem, SourceError

ROW = "__row"
"""The row-number column every backend reads alongside the source columns."""

_MAGIC = b"PAR1"
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class Source:
    path: Path
    format: str
    columns: tuple[tuple[str, pa.DataType], ...]
    failures: list[SourceError] = field(default_factory=list, compare=False, repr=False)
    """Errors a CSV stream raised while a backend read it (DuckDB reports its own error instead
    of the stream's: a backend raises ``failures[0]`` when there is one)."""

    def arrow_type(self, name: str) -> pa.DataType:
        return dict(self.columns)[name]


def _problem(where: str, reason: str) -> list[Problem]:
    return [Problem(where, reason)]


def open_source(path: Path, declared: str | None = None) -> Source:
    """Check the file exists, is the declared format, and read its column names and types."""
    path = Path(path)
    fmt = declared or _SUFFIXES.get(path.suffix.lower())
    if fmt not in {"csv", "parquet"}:
        raise SourceError(
            "the source format is not known",
            _problem("source", "declare csv or parquet, or use a .csv/.parquet suffix"),
        )
    if not path.is_file():
        raise SourceError("the source file does not exist", _problem("source", path.name))
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(0, 2)
        size = fh.tell()
        tail = b""
        if size >= 8:
            fh.seek(-4, 2)
            tail = fh.read(4)
    is_parquet = head == _MAGIC and tail == _MAGIC
    if fmt == "parquet" and not is_parquet:
        raise SourceError(
            "the source is not a Parquet file",
            _problem("source", f"{path.name} was declared Parquet but lacks the PAR1 markers"),
        )
    if fmt == "csv" and (head == _MAGIC or b"\x00" in head):
        raise SourceError(
            "the source is not a CSV file",
            _problem("source", f"{path.name} was declared CSV but is binary"),
        )
    if fmt == "parquet":
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowException, OSError):
            raise SourceError(
                "the Parquet source cannot be read", _problem("source", path.name)
            ) from None
        columns = tuple((f.name, f.type) for f in schema)
    else:
        columns = tuple((name, pa.string()) for name in _csv_header(path))
    return Source(path, fmt, columns)


_HEADER_LIMIT = 1 << 20


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open("rb") as fh:  # the header line only: a bad byte further on is a row's
            line = fh.readline(_HEADER_LIMIT).decode("utf-8-sig")
        names = next(csv.reader([line]), [])
    except (UnicodeDecodeError, csv.Error):
        names = []
    if not names:
        raise SourceError(
            "the CSV source has no readable header row", _problem("source", path.name)
        )
    if len(set(names)) != len(names):
        raise SourceError("the CSV header names a column twice", _problem("source", "header"))
    return names


_FITS: dict[str, tuple[str, ...]] = {
    "string": ("string",),
    "integer": ("integer",),
    "year": ("integer",),
    "number": ("integer", "floating", "decimal"),
    "boolean": ("boolean",),
    "date": ("date",),
    "datetime": ("timestamp",),
}


def arrow_kind(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "floating"
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t) and t.tz is None:
        return "timestamp"
    if pa.types.is_null(t):
        return "null"
    return "other"


def check_columns(source: Source, read: ReadSource) -> None:
    """Raise :class:`SourceError` naming every missing or mistyped column (no values shown)."""
    have = dict(source.columns)
    problems = []
    for f in read.fields:
        if f.name not in have:
            problems.append(Problem(f"source.{f.name}", "column is missing"))
            continue
        kind = arrow_kind(have[f.name])
        if kind in {"string", "null"}:
            continue  # text is typed per row; an all-null column is simply empty
        if kind not in _FITS[f.type]:
            problems.append(
                Problem(
                    f"source.{f.name}", f"column holds {have[f.name]}, the agreement says {f.type}"
                )
            )
    if problems:
        missing = any(p.reason == "column is missing" for p in problems)
        message = "the source is missing columns" if missing else "the source has mistyped columns"
        if missing and len(problems) > sum(p.reason == "column is missing" for p in problems):
            message = "the source is missing columns and has mistyped columns"
        raise SourceError(message, problems)


BLOCK = 1 << 22
"""Bytes of CSV parsed at a time; one field (one record) must fit in a block."""


def csv_batches(source: Source, names: list[str]) -> pa.RecordBatchReader:
    """Stream the named CSV columns as text, with a 1-based ``__row`` column, in file order.

    A record the parser cannot take raises :class:`SourceError` naming its data row and the
    problem (field counts, an unclosed quote, a field too large); never the record's text, which
    the parser's own message quotes.
    """
    _check_utf8(source)
    bad: list[tuple[int | None, int, int]] = []

    def invalid(row: Any) -> str:
        bad.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    try:
        reader = pcsv.open_csv(
            source.path,
            read_options=pcsv.ReadOptions(block_size=BLOCK, use_threads=False),
            parse_options=pcsv.ParseOptions(invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=names,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _malformed(source, exc, bad, rows_before=0) from None
    schema = pa.schema([pa.field(ROW, pa.int64()), *[pa.field(n, pa.string()) for n in names]])

    def batches() -> Iterator[pa.RecordBatch]:
        start = 1
        try:
            for batch in reader:
                rows = pa.array(range(start, start + batch.num_rows), pa.int64())
                start += batch.num_rows
                yield pa.RecordBatch.from_arrays(
                    [rows, *[batch.column(n) for n in names]], schema=schema
                )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            error = _malformed(source, exc, bad, rows_before=start - 1)
            source.failures.append(error)
            raise error from None

    return pa.RecordBatchReader.from_batches(schema, batches())


def _malformed(
    source: Source, exc: Exception, bad: list[tuple[int | None, int, int]], *, rows_before: int
) -> SourceError:
    """The error for a CSV the parser refused, built from counts only (``exc``'s text quotes
    the record, so it is read for its kind and never shown)."""
    message = "the CSV source is malformed"
    if bad:
        number, expected, actual = bad[0]
        where = f"row {number - 1}" if number else f"a row after data row {rows_before}"
        short = " (a quote may be unclosed, or the record cut short)" if actual < expected else ""
        reason = f"has {actual} fields, the header has {expected}{short}"
        return SourceError(message, _problem(where, reason))
    text = str(exc)
    after = f"a row after data row {rows_before}"
    if isinstance(exc, UnicodeDecodeError) or "UTF8" in text or "UTF-8" in text:
        row = _first_undecodable_row(source.path)
        return SourceError(message, _problem(f"row {row}" if row else after, "is not UTF-8 text"))
    if "straddl" in text or "block" in text:
        return SourceError(
            message,
            _problem(
                after,
                f"holds a field larger than {BLOCK >> 20} MiB, the most one CSV field may "
                "hold (or a quote is never closed)",
            ),
        )
    return SourceError(message, _problem(after, "cannot be parsed as CSV"))


def _check_utf8(source: Source) -> None:
    """Refuse a CSV that is not UTF-8 before parsing it, naming the row: the parser hands a
    malformed record's text to its row handler, and decoding that text fails inside pyarrow
    (an unraisable error, printed as a traceback) when it is not UTF-8. One streaming pass in
    C, a fraction of the parse."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with source.path.open("rb") as fh:
            while block := fh.read(BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        row = _first_undecodable_row(source.path)
        where = f"row {row}" if row else "header"
        raise SourceError(
            "the CSV source is malformed", _problem(where, "is not UTF-8 text")
        ) from None


def _first_undecodable_row(path: Path) -> int | None:
    """The data row holding the first byte that is not UTF-8 (a record is a line, as the
    parser reads them; blank lines are not rows)."""
    with path.open("rb") as fh:
        fh.readline()  # the header
        row = 0
        for line in fh:
            if not line.strip():
                continue
            row += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return row
    return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
