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
from heapq import nlargest
from typing import Any

import pyarrow as pa

from accord.disclosure import (
    Profile,
    ProtectedCube,
    ProtectedTable,
    profile,
    protect,
    protect_cube,
)
from accord.disclosure.measures import TOP, Kind, Stats, publish
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
    stats: dict[str, dict[tuple[str | None, ...], Stats]] = {m.field: {} for m in spec.measures}
    for batch in batches:
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch.select(keys + sorted(stats))])
        tallied = table.group_by(keys, use_threads=False).aggregate(
            [([], "count_all"), *_tallies(fp)]
        )
        for row in tallied.to_pylist():
            label = tuple(MISSING if row[k] is None else str(row[k]) for k in keys)
            counts[label] += int(row["count_all"])
            for name, cells in stats.items():
                s = _stats(fp, name, row)
                cells[label] = cells[label] + s if label in cells else s
    prof = spec.figures if spec.figures is not None else profile(spec.profile)
    if len(keys) > 2 and counts:
        cube = protect_cube(
            counts,
            [sorted({label[d] for label in counts}) for d in range(len(keys))],
            prof,
            totals=spec.totals,
        )
        long = _measured(fp, _long_cube(cube, keys), stats, prof)
        return pa.Table.from_pylist(long, schema(fp)), _entry(
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
    long = _measured(fp, _long(safe, keys, two_way), stats, prof)
    return pa.Table.from_pylist(long, schema(fp)), _entry(
        prof.id, prof.citation, prof.source_urls, safe
    )


def _tallies(fp: FlowPlan) -> list[tuple[str, str]]:
    """What each measured field needs per cell: its sum, its count of values, its values (for
    the largest contributors), or for a rate the number true."""
    assert fp.aggregate is not None
    out: list[tuple[str, str]] = []
    for name in sorted({m.field for m in fp.aggregate.measures}):
        out += [(name, "sum"), (name, "count")]
        if not _is_rate(fp, name):
            out.append((name, "list"))
    return out


def _is_rate(fp: FlowPlan, name: str) -> bool:
    assert fp.aggregate is not None
    return any(m.field == name and m.kind == "rate" for m in fp.aggregate.measures)


def _stats(fp: FlowPlan, name: str, row: dict[str, Any]) -> Stats:
    """One batch's statistics of one cell for the measured field ``name``."""
    count = int(row["count_all"])
    if _is_rate(fp, name):
        return Stats(count, numerator=int(row[f"{name}_sum"] or 0))
    values = [float(v) for v in row[f"{name}_list"] if v is not None]
    return Stats(count, len(values), float(row[f"{name}_sum"] or 0), tuple(nlargest(TOP, values)))


def _measured(
    fp: FlowPlan,
    long: list[dict[str, Any]],
    stats: dict[str, dict[tuple[str | None, ...], Stats]],
    prof: Profile,
) -> list[dict[str, Any]]:
    """``long`` with each measure's column (``None`` where it is withheld)."""
    assert fp.aggregate is not None
    keys = fp.aggregate.group_by
    rows = [(tuple(r[k] for k in keys), bool(r["suppressed"])) for r in long]
    for m in fp.aggregate.measures:
        kind: Kind = "rate" if m.kind == "rate" else "sum" if m.kind == "sum" else "mean"
        shown = publish(kind, stats[m.field], rows, prof, per=m.per)
        for r, (v, _) in zip(long, shown, strict=True):
            r[m.column] = v
    return long


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
