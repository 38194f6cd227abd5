"""Reading back, in order, the Parquet part files one Spark write leaves in the scratch folder.

A globally sorted write (``ORDER BY``) leaves its part files in order: read one after another,
by name. A global sort costs Spark a pass to sample the sort keys (which computes every output
column once more) and a shuffle of every row. When the rows of a query come from one scan of
``checked`` with no shuffle between, each partition holds a run of consecutive source rows, so
sorting each partition on its own (``SORT BY``) is enough: :func:`in_row_order` finds, from the
files' own statistics, whether their ranges of source rows follow one another, and
:func:`by_flow` then reads each flow's rows file by file. Where the statistics do not show that
order, the caller sorts globally instead; no order is ever assumed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accord.engine.backends.duckdb import BATCH_ROWS


def part_files(folder: Path) -> list[Path]:
    """The part files of one Spark write, by name (the order of a global sort)."""
    return sorted(folder.glob("part-*.parquet"))


def stream(files: list[Path], schema: pa.Schema) -> pa.RecordBatchReader:
    """The rows of ``files``, one file after another, as batches of ``schema`` (by name)."""

    def batches() -> Iterator[pa.RecordBatch]:
        for path in files:
            yield from _batches(path, schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def in_row_order(folder: Path, row: str) -> list[Path] | None:
    """The non-empty part files of ``folder`` ordered by their ranges of column ``row``, when
    those ranges follow one another without overlap (from each row group's statistics); None
    when they overlap or a row group has no statistics for ``row``."""
    ranges: list[tuple[int, int, Path]] = []
    for path in part_files(folder):
        meta = pq.ParquetFile(path).metadata
        if meta.num_rows == 0:
            continue
        column = meta.schema.to_arrow_schema().get_field_index(row)
        if column < 0:
            return None
        low: int | None = None
        high: int | None = None
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(column).statistics
            if stats is None or not stats.has_min_max:
                return None
            low = stats.min if low is None else min(low, stats.min)
            high = stats.max if high is None else max(high, stats.max)
        assert low is not None and high is not None
        ranges.append((int(low), int(high), path))
    ranges.sort()
    if any(ranges[k][1] >= ranges[k + 1][0] for k in range(len(ranges) - 1)):
        return None
    return [path for _, _, path in ranges]


def by_flow(files: list[Path], schema: pa.Schema) -> pa.RecordBatchReader:
    """The rows of ``files`` ordered by ``__flow``, then file by file, as batches of
    ``schema``: each file sorted by (``__flow``, source row) and the files in the order of
    their ranges of source rows (:func:`in_row_order`), this is the order of a global sort.
    One batch of each file is held at a time."""

    def pieces(rank: int, path: Path) -> Iterator[tuple[tuple[int, int], pa.RecordBatch]]:
        for batch in _batches(path, schema):
            flows = batch.column("__flow").to_numpy()
            cuts = [0, *(np.flatnonzero(flows[1:] != flows[:-1]) + 1).tolist(), len(flows)]
            for start, end in zip(cuts, cuts[1:], strict=False):
                yield (int(flows[start]), rank), batch.slice(start, end - start)

    merged = heapq.merge(*(pieces(r, p) for r, p in enumerate(files)), key=lambda p: p[0])
    return pa.RecordBatchReader.from_batches(schema, (batch for _, batch in merged))


def _batches(path: Path, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        if batch.num_rows:
            yield pa.RecordBatch.from_arrays(
                [batch.column(f.name).cast(f.type) for f in schema], schema=schema
            )
