"""Read a postcode file in the ONS Postcode Directory (ONSPD) / NSPL column layout.

Exactly five columns are read; any others are ignored. Header names are matched exactly
(lower case, as ONS publishes them):

========== =================================================================================
column     meaning
========== =================================================================================
``pcds``   the postcode in its display form (with a space); normalised on reading
``dointr`` date of introduction, ``YYYYMM``
``doterm`` date of termination, ``YYYYMM``, or empty while the postcode is live
``lsoa21`` the 2021 Census LSOA code (``E01...`` in England; other codes never resolve)
``laua``   the local authority district (LAD) code in the directory's own vintage
========== =================================================================================

The file may be CSV (UTF-8, with a header row; ``.csv`` or ``.csv.gz``) or Parquet
(``.parquet``); ``dointr``/``doterm`` may be text or integers in Parquet. A file with a missing
column, a malformed postcode, a bad month or a duplicated postcode is refused with a
:class:`~accord.errors.SourceError` that counts the bad rows and gives the first row numbers
(never the values).
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.errors import Problem, SourceError
from accord.refdata._sql import WHITESPACE_CLASS
from accord.refdata.postcode import COMPACT_PATTERN

__all__ = ["COLUMNS", "read_postcode_directory"]

COLUMNS = ("pcds", "dointr", "doterm", "lsoa21", "laua")
"""The directory columns read, in the ONSPD/NSPL naming."""

_FORMATS = ("csv", "parquet")
_MONTH = r"^[0-9]{4}(0[1-9]|1[0-2])$"
_CHUNK = 131_072


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in _FORMATS:
            raise SourceError(
                "unknown postcode directory format",
                [Problem("fmt", f"not one of {', '.join(_FORMATS)}")],
            )
        return fmt
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    raise SourceError(
        "cannot tell the postcode directory format from its name",
        [Problem("path", "name does not end in .csv, .csv.gz or .parquet; pass fmt=")],
    )


def _read_raw(path: Path, fmt: str) -> Iterator[pa.RecordBatch]:
    if not path.is_file():
        raise SourceError("postcode directory not found", [Problem("path", "no such file")])
    try:
        if fmt == "parquet":
            names = pq.read_schema(path).names
        else:
            with pacsv.open_csv(path) as reader:
                names = reader.schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(
            "postcode directory cannot be read", [Problem("path", type(exc).__name__)]
        ) from None
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise SourceError(
            "postcode directory lacks required columns",
            [Problem(c, "column missing") for c in missing],
        )
    return _batches(path, fmt)


def _batches(path: Path, fmt: str) -> Iterator[pa.RecordBatch]:
    """Stream the five columns in batches, so the file is never held whole as text."""
    try:
        if fmt == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=_CHUNK, columns=list(COLUMNS))
            return
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 23),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(COLUMNS),
                column_types={c: pa.string() for c in COLUMNS},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        with reader:
            yield from reader
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(
            "postcode directory cannot be read", [Problem("path", type(exc).__name__)]
        ) from None


def _as_text(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_large_string(column.type) or pa.types.is_integer(column.type):
        return pc.cast(column, pa.string())
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, pa.string())
    raise SourceError(
        "postcode directory column has an unusable type",
        [Problem("column", f"type {column.type} is neither text nor integer")],
    )


class _Tally:
    """Bad rows per column across chunks: a count and the first few file row numbers."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, list[int]] = {}
        self.reasons: dict[str, str] = {}

    def add(self, bad: pa.Array, column: str, reason: str, offset: int) -> None:
        bad = pc.fill_null(bad, True)
        count = pc.sum(pc.cast(bad, pa.int64())).as_py() or 0
        if count == 0:
            return
        self.counts[column] = self.counts.get(column, 0) + count
        self.reasons[column] = reason
        rows = self.first.setdefault(column, [])
        if len(rows) < 5:
            found = pc.indices_nonzero(bad).slice(0, 5 - len(rows)).to_pylist()
            rows.extend(offset + i + 2 for i in found)  # +2: 1-based, after the header

    def problems(self) -> list[Problem]:
        return [
            Problem(
                column,
                f"{count} rows {self.reasons[column]} "
                f"(first at file rows {', '.join(map(str, self.first[column]))})",
            )
            for column, count in self.counts.items()
        ]


def normalise_postcodes(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Vectorised :func:`accord.refdata.postcode.validate_postcode`: null where malformed."""
    compact = pc.replace_substring_regex(values, WHITESPACE_CLASS, "")
    ok = pc.match_substring_regex(compact, f"^(?:{COMPACT_PATTERN})$")
    upper = pc.ascii_upper(compact)
    joined = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(upper, 0, -3), pc.utf8_slice_codeunits(upper, -3), " "
    )
    return pc.if_else(ok, joined, pa.scalar(None, pa.string()))


def _months(text: pa.Array, name: str, tally: _Tally, offset: int, *, nullable: bool) -> pa.Array:
    well_formed = pc.match_substring_regex(text, _MONTH)
    bad = pc.invert(well_formed)
    if nullable:
        bad = pc.and_(pc.is_valid(text), pc.fill_null(bad, True))
    tally.add(bad, name, "are not a YYYYMM month" + (" or empty" if nullable else ""), offset)
    return pc.cast(pc.if_else(well_formed, text, pa.scalar(None, pa.string())), pa.int32())


def _strictly_increasing(keys: pa.ChunkedArray) -> bool:
    if len(keys) < 2:
        return True
    later = pc.greater(keys.slice(1), keys.slice(0, len(keys) - 1))
    return bool(pc.all(pc.fill_null(later, False)).as_py())


def read_postcode_directory(path: str | PathLike[str], *, fmt: str | None = None) -> pa.Table:
    """Read and check a directory; return it sorted by postcode.

    Columns of the result: ``postcode`` (normalised, unique), ``dointr`` and ``doterm``
    (``int32`` ``YYYYMM``, ``doterm`` null while live), ``lsoa21`` and ``laua`` (text, may be null).
    """
    path = Path(path)
    raw = _read_raw(path, _format_of(path, fmt))
    tally = _Tally()
    pieces: list[pa.Table] = []
    offset = 0
    # Read and checked in batches so the temporary arrays of the checks stay small.
    for part in raw:
        postcode = normalise_postcodes(_as_text(part["pcds"]))
        tally.add(pc.is_null(postcode), "pcds", "are not a valid postcode", offset)
        dointr = _months(_as_text(part["dointr"]), "dointr", tally, offset, nullable=False)
        doterm = _months(_as_text(part["doterm"]), "doterm", tally, offset, nullable=True)
        pieces.append(
            pa.table(
                {
                    "postcode": postcode,
                    "dointr": dointr,
                    "doterm": doterm,
                    "lsoa21": _as_text(part["lsoa21"]),
                    "laua": _as_text(part["laua"]),
                }
            )
        )
        offset += part.num_rows
    if tally.counts:
        raise SourceError("postcode directory has bad rows", tally.problems())
    schema = pa.schema(
        [
            ("postcode", pa.string()),
            ("dointr", pa.int32()),
            ("doterm", pa.int32()),
            ("lsoa21", pa.string()),
            ("laua", pa.string()),
        ]
    )
    if not pieces:
        return schema.empty_table()
    table = pa.concat_tables(pieces)
    del pieces
    # Directories are usually published in postcode order: then one comparison proves the keys
    # sorted and unique, and the table is combined once instead of being copied by a sort.
    if not _strictly_increasing(table["postcode"]):
        table = table.take(pc.sort_indices(table["postcode"]))
        keys = table["postcode"]
        dup = pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1))
        count = pc.sum(pc.cast(dup, pa.int64())).as_py() or 0
        if count:
            raise SourceError(
                "postcode directory repeats postcodes",
                [Problem("pcds", f"{count} rows repeat an earlier postcode")],
            )
    table = pa.table({name: table[name].combine_chunks() for name in schema.names})
    # The checks' temporary buffers are free now; hand them back so a caller that goes on to
    # run the engine does not carry them as resident memory.
    pa.default_memory_pool().release_unused()
    return table
