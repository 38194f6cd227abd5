"""The aggregate output stage: a flow's rows counted by its group-by columns, made safe to publish.

The backend produces the flow's rows as for any flow (routed, opt-outs removed, projected,
transformed); for a flow with a :class:`~accord.engine.plan.CountBy` the delivery layer hands
them here instead of writing them. Rows are counted batch by batch (only the group-by columns
are kept), the counts are laid out as a one- or two-way table for :func:`accord.disclosure.protect`,
or, by three fields or more, as an n-way table with every marginal table for
:func:`accord.disclosure.protect_cube`, and the result is one long table:

=============  ===========================================================================
column         meaning
=============  ===========================================================================
group-by       the category (a missing value is counted as ``(missing)``); null on a total
``count``      the published count, null where it is suppressed
``suppressed`` whether the count is withheld
``is_total``   a row, column or grand total rather than a cell
``partial``    a total recomputed from the published cells that leaves some cell out
=============  ===========================================================================

Cells are sorted by their labels, so every backend delivers the same bytes. The suppression
report (which cell, which rule, what to change; never a count) goes into the manifest.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from accord.disclosure import ProtectedCube, ProtectedTable, profile, protect, protect_cube
from accord.engine.backends.base import ARROW_TYPES
from accord.engine.plan import FlowPlan

MISSING = "(missing)"
_ONE_WAY = "count"


def schema(fp: FlowPlan) -> pa.Schema:
    """The delivered schema of a flow (aggregate or not)."""
    return pa.schema([pa.field(name, ARROW_TYPES[kind]) for name, kind in fp.delivered()])


def count_table(fp: FlowPlan, batches: pa.RecordBatchReader) -> tuple[pa.Table, dict[str, Any]]:
    """The disclosure-controlled counts of ``batches`` for ``fp``, and the manifest's
    ``disclosure`` entry (profile, source, suppression report)."""
    spec = fp.aggregate
    if spec is None:
        raise ValueError("count_table needs an aggregate flow")
    keys = list(spec.group_by)
    counts: Counter[tuple[str, ...]] = Counter()
    for batch in batches:
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch.select(keys)])
        tallied = table.group_by(keys, use_threads=False).aggregate([([], "count_all")])
        for row in tallied.to_pylist():
            label = tuple(MISSING if row[k] is None else str(row[k]) for k in keys)
            counts[label] += int(row["count_all"])
    prof = spec.figures if spec.figures is not None else profile(spec.profile)
    if len(keys) > 2 and counts:
        cube = protect_cube(
            counts,
            [sorted({label[d] for label in counts}) for d in range(len(keys))],
            prof,
            totals=spec.totals,
        )
        return pa.Table.from_pylist(_long_cube(cube, keys), schema(fp)), _entry(
            prof.id, prof.citation, prof.source_urls, cube
        )
    rows = sorted({label[0] for label in counts})
    two_way = len(keys) == 2
    columns = sorted({label[1] for label in counts}) if two_way else [_ONE_WAY]
    if not rows:  # nothing to count: an empty table (no cell describes anyone)
        table = pa.Table.from_pylist([], schema(fp))
        return table, _entry(prof.id, prof.citation, prof.source_urls, None)
    grid = [[counts[(r, c) if two_way else (r,)] for c in columns] for r in rows]
    safe = protect(
        grid,
        prof,
        rows=rows,
        columns=columns,
        row_totals=spec.totals and two_way,
        column_totals=spec.totals,
    )
    return pa.Table.from_pylist(_long(safe, keys, two_way), schema(fp)), _entry(
        prof.id, prof.citation, prof.source_urls, safe
    )


def _long(t: ProtectedTable, keys: list[str], two_way: bool) -> list[dict[str, Any]]:
    def row(
        labels: tuple[str | None, ...], value: int | None, total: bool, partial: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = dict(zip(keys, labels, strict=True))
        out |= {"count": value, "suppressed": value is None, "is_total": total, "partial": partial}
        return out

    out = []
    for i, r in enumerate(t.rows):
        for j, c in enumerate(t.columns):
            out.append(row((r, c) if two_way else (r,), t.cells[i][j], False, False))
    if t.row_totals is not None:
        for i, r in enumerate(t.rows):
            part = bool(t.partial_rows and t.partial_rows[i])
            out.append(row((r, None), t.row_totals[i], True, part))
    if t.column_totals is not None:
        for j, c in enumerate(t.columns):
            part = bool(t.partial_columns and t.partial_columns[j])
            out.append(row((None, c) if two_way else (None,), t.column_totals[j], True, part))
    if two_way and t.row_totals is not None and t.column_totals is not None:
        part = any(t.partial_rows or ()) or any(t.partial_columns or ())
        out.append(row((None, None), t.grand_total, True, part))
    return out


def _long_cube(t: ProtectedCube, keys: list[str]) -> list[dict[str, Any]]:
    return [
        {
            **dict(zip(keys, labels, strict=True)),
            "count": value,
            "suppressed": value is None,
            "is_total": None in labels,
            "partial": labels in t.partial,
        }
        for labels, value in t.values
    ]


def _entry(
    pid: str, citation: str, urls: tuple[str, ...], t: ProtectedTable | ProtectedCube | None
) -> dict[str, Any]:
    suppressed: list[dict[str, Any]] = []
    if isinstance(t, ProtectedCube):
        suppressed = [
            {
                "row": " x ".join(s.labels[:-1]),
                "column": s.labels[-1],
                "cell": list(s.labels),
                "kind": s.kind,
                "rule": s.rule,
                "advice": s.advice,
            }
            for s in t.report
        ]
    elif t is not None:
        suppressed = [
            {"row": s.row, "column": s.column, "kind": s.kind, "rule": s.rule, "advice": s.advice}
            for s in t.report
        ]
    return {
        "profile": pid,
        "citation": citation,
        "source_urls": list(urls),
        "suppressed": suppressed,
    }
