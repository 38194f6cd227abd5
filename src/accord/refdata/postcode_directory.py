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


def _read_raw(path: Path, fmt: str) -> pa.Table:
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
    try:
        if fmt == "parquet":
            return pq.read_table(path, columns=list(COLUMNS))
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=list(COLUMNS),
                column_types={c: pa.string() for c in COLUMNS},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(
            "postcode directory cannot be read", [Problem("path", type(exc).__name__)]
        ) from None


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
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


def _bad_rows(bad: pa.ChunkedArray | pa.Array, column: str, reason: str) -> Problem | None:
    bad = pc.fill_null(bad, True)
    count = pc.sum(pc.cast(bad, pa.int64())).as_py() or 0
    if count == 0:
        return None
    first = pc.indices_nonzero(bad if isinstance(bad, pa.Array) else bad.combine_chunks())
    rows = ", ".join(str(i + 2) for i in first.slice(0, 5).to_pylist())
    return Problem(column, f"{count} rows {reason} (first at file rows {rows})")


def normalise_postcodes(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Vectorised :func:`accord.refdata.postcode.validate_postcode`: null where malformed."""
    compact = pc.replace_substring_regex(values, WHITESPACE_CLASS, "")
    ok = pc.match_substring_regex(compact, f"^(?:{COMPACT_PATTERN})$")
    upper = pc.ascii_upper(compact)
    joined = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(upper, 0, -3), pc.utf8_slice_codeunits(upper, -3), " "
    )
    return pc.if_else(ok, joined, pa.scalar(None, pa.string()))


def _months(
    column: pa.ChunkedArray, name: str, *, nullable: bool
) -> tuple[pa.Array, Problem | None]:
    text = _as_text(column)
    well_formed = pc.match_substring_regex(text, _MONTH)
    bad = pc.invert(well_formed)
    if nullable:
        bad = pc.and_(pc.is_valid(text), pc.fill_null(bad, True))
    problem = _bad_rows(bad, name, "are not a YYYYMM month" + (" or empty" if nullable else ""))
    months = pc.cast(pc.if_else(well_formed, text, pa.scalar(None, pa.string())), pa.int32())
    return months.combine_chunks(), problem


def read_postcode_directory(path: str | PathLike[str], *, fmt: str | None = None) -> pa.Table:
    """Read and check a directory; return it sorted by postcode.

    Columns of the result: ``postcode`` (normalised, unique), ``dointr`` and ``doterm``
    (``int32`` ``YYYYMM``, ``doterm`` null while live), ``lsoa21`` and ``laua`` (text, may be null).
    """
    path = Path(path)
    raw = _read_raw(path, _format_of(path, fmt))
    problems: list[Problem] = []
    pcds = _as_text(raw["pcds"])
    postcode = normalise_postcodes(pcds).combine_chunks()
    if (p := _bad_rows(pc.is_null(postcode), "pcds", "are not a valid postcode")) is not None:
        problems.append(p)
    dointr, p = _months(raw["dointr"], "dointr", nullable=False)
    if p is not None:
        problems.append(p)
    doterm, p = _months(raw["doterm"], "doterm", nullable=True)
    if p is not None:
        problems.append(p)
    if problems:
        raise SourceError("postcode directory has bad rows", problems)
    table = pa.table(
        {
            "postcode": postcode,
            "dointr": dointr,
            "doterm": doterm,
            "lsoa21": _as_text(raw["lsoa21"]).combine_chunks(),
            "laua": _as_text(raw["laua"]).combine_chunks(),
        }
    )
    table = table.take(pc.sort_indices(table["postcode"]))
    if table.num_rows > 1:
        keys = table["postcode"].combine_chunks()
        dup = pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1))
        count = pc.sum(pc.cast(dup, pa.int64())).as_py() or 0
        if count:
            raise SourceError(
                "postcode directory repeats postcodes",
                [Problem("pcds", f"{count} rows repeat an earlier postcode")],
            )
    return table
