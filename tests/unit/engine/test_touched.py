"""Where each base row sits in each base extract (``touched._Positions``), against counting.

The base state lists, in source order, the flows each row reached, and a flow's extract holds
its rows in that order; a delta reads a touched row's key from its extract by that position and
a read-back row's hashes from its position. Both must agree with counting row by row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.engine.touched import _Positions

FLOWS = 5


def _state(flows: list[list[int]]) -> pa.Table:
    n = len(flows)
    return pa.table(
        {
            "__row": pa.array(range(1, n + 1), pa.int64()),
            "__h1": pa.array(range(100, 100 + n), pa.uint64()),
            "__h2": pa.array(range(900, 900 + n), pa.uint64()),
            "__flows": pa.array(flows, pa.list_(pa.int32())),
        }
    )


@settings(max_examples=200, deadline=None)
@given(
    flows=st.lists(st.lists(st.integers(0, FLOWS - 1), unique=True, max_size=3), max_size=40),
    data=st.data(),
)
def test_positions_and_hashes_agree_with_counting(
    flows: list[list[int]], data: st.DataObject
) -> None:
    state = _state(flows)
    positions = _Positions.of(state, FLOWS)
    seen: dict[int, int] = {}
    place: dict[tuple[int, int], int] = {}  # (state row, flow) -> row in that flow's extract
    for row, reached in enumerate(flows):
        for flow in reached:
            place[(row, flow)] = seen.get(flow, 0)
            seen[flow] = seen.get(flow, 0) + 1
    assert positions.per_flow.tolist() == [seen.get(f, 0) for f in range(FLOWS)]

    rows = data.draw(st.lists(st.integers(0, max(len(flows) - 1, 0)), unique=True))
    rows = [r for r in rows if r < len(flows)]
    got = positions.entries(np.array(rows, np.int64))
    pairs = sorted(zip(got["__flow"].to_pylist(), got["__pos"].to_pylist(), strict=True))
    assert pairs == sorted((f, place[(r, f)]) for r in rows for f in flows[r])

    if place:
        flow = np.array([f for (_, f) in place], np.int64)
        pos = np.array(list(place.values()), np.int64)
        h1, h2 = positions.hashes(flow, pos)
        assert h1.tolist() == [100 + r for (r, _) in place]
        assert h2.tolist() == [900 + r for (r, _) in place]
