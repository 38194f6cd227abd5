"""Synthetic opt-out lists (National Data Opt-out, Type 1) drawn from a population file.

A list holds the valid NHS numbers of a seeded ``share`` of the people in a population file
(people whose number is invalid are never on a list, as the NHS services reject them), with the
list's kind, version and date on every row:

=============== ==============================================
column          value
=============== ==============================================
``nhs_number``  a 10-digit NHS number
``list_kind``   ``ndoo`` or ``type1``
``list_version`` the version string given
``list_date``   the list date, ISO 8601
=============== ==============================================

The population is read in streamed batches, so memory stays flat at any size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.errors import InputError, Problem, SourceError
from accord.synth._random import check_seed, stream
from accord.synth._writer import BatchWriter, check_format
from accord.synth.summary import SynthSummary, file_sha256

__all__ = ["KINDS", "write_opt_outs"]

KINDS = ("ndoo", "type1")
SCHEMA = pa.schema(
    [(name, pa.string()) for name in ("nhs_number", "list_kind", "list_version", "list_date")]
)
_BATCH = 262_144


def _nhs_numbers(path: Path) -> Iterator[pa.Array]:
    """Stream the ``nhs_number`` column of a population file (Parquet or CSV), as text."""
    if not path.is_file():
        raise SourceError("population file not found", [Problem("population", "no such file")])
    if path.name.lower().endswith(".parquet"):
        parquet = pq.ParquetFile(path)
        if "nhs_number" not in parquet.schema_arrow.names:
            raise SourceError("population lacks nhs_number", [Problem("nhs_number", "missing")])
        for batch in parquet.iter_batches(batch_size=_BATCH, columns=["nhs_number"]):
            yield pc.cast(batch.column(0), pa.string())
        return
    options = pacsv.ConvertOptions(
        include_columns=["nhs_number"],
        column_types={"nhs_number": pa.string()},
        strings_can_be_null=True,
    )
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            convert_options=options,
        )
    except pa.ArrowInvalid:
        raise SourceError(
            "population CSV cannot be read", [Problem("nhs_number", "missing or unreadable")]
        ) from None
    with reader:
        for batch in reader:
            yield batch.column(0)


def _valid(numbers: pa.Array) -> np.ndarray:
    """Vectorised NHS number check (rules.md §h), as :func:`accord.refdata.validate_nhs_number`."""
    shaped = pc.fill_null(pc.match_substring_regex(numbers, r"^[0-9]{10}$"), False)
    ok = shaped.to_numpy(zero_copy_only=False)
    text = pc.if_else(shaped, numbers, pa.scalar("0000000000"))
    text = text.cast(pa.string())
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[text.offset : text.offset + len(text)]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    digits = data[offsets[:, None] + np.arange(10)].astype(np.int64) - 48
    total = digits[:, :9] @ np.arange(10, 1, -1, dtype=np.int64)
    valid: np.ndarray = ok & ((11 - total % 11) % 11 == digits[:, 9])
    return valid


def write_opt_outs(
    path: str | os.PathLike[str],
    *,
    population: str | os.PathLike[str],
    share: float,
    seed: int,
    kind: str = "ndoo",
    version: str,
    list_date: date,
    fmt: str = "parquet",
) -> SynthSummary:
    """Write an opt-out list holding about ``share`` of the population's valid NHS numbers."""
    check_seed(seed)
    check_format(fmt)
    if kind not in KINDS:
        raise InputError("unknown opt-out list kind", [Problem("kind", "not ndoo or type1")])
    if not 0.0 <= share <= 1.0:
        raise InputError("share out of range", [Problem("share", "not in [0, 1]")])
    if not isinstance(version, str) or not version.strip():
        raise InputError("list version is required", [Problem("version", "empty")])
    if not isinstance(list_date, date):
        raise InputError("list date is not a date", [Problem("list_date", "not a date")])
    listed = 0
    with BatchWriter(path, SCHEMA, fmt) as writer:
        for number, numbers in enumerate(_nhs_numbers(Path(population))):
            rng = stream(seed, "opt-outs", kind, number)
            chosen = (rng.random(len(numbers)) < share) & _valid(numbers)
            picked = numbers.filter(pa.array(chosen))
            n = len(picked)
            listed += n
            writer.write(
                pa.record_batch(
                    [
                        picked,
                        pa.array([kind] * n, pa.string()),
                        pa.array([version] * n, pa.string()),
                        pa.array([list_date.isoformat()] * n, pa.string()),
                    ],
                    schema=SCHEMA,
                )
            )
    out = Path(path)
    return SynthSummary(
        path=out,
        fmt=fmt,
        rows=listed,
        seed=seed,
        sha256=file_sha256(out),
        counts={"listed": listed},
        details={"kind": kind, "version": version, "list_date": list_date.isoformat()},
    )
