"""Stream Arrow record batches to one Parquet or CSV file, atomically.

The file is written under a temporary name beside the target and renamed into place only when
complete, so a reader never sees half a file. Parquet uses zstd compression; both formats are
byte-for-byte reproducible for the same batches and pyarrow version.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.errors import InputError, Problem

FORMATS = ("parquet", "csv")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError("unknown output format", [Problem("fmt", "not parquet or csv")])
    return fmt


class BatchWriter:
    """Context manager: ``with BatchWriter(path, schema, fmt) as w: w.write(batch)``."""

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema, fmt: str) -> None:
        self.path = Path(path)
        self.schema = schema
        self.fmt = check_format(fmt)
        self.rows = 0
        self._partial = self.path.with_name(self.path.name + ".partial")
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None

    def __enter__(self) -> BatchWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt == "parquet":
            self._writer = pq.ParquetWriter(
                self._partial, self.schema, compression="zstd", write_page_index=False
            )
        else:
            self._writer = pacsv.CSVWriter(
                self._partial,
                self.schema,
                write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"),
            )
        return self

    def write(self, batch: pa.RecordBatch) -> None:
        assert self._writer is not None, "BatchWriter used outside 'with'"
        if self.fmt == "parquet":
            self._writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))
        else:
            self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
        if exc_type is None:
            os.replace(self._partial, self.path)
        else:
            self._partial.unlink(missing_ok=True)
