"""Per-recipient volume anomalies: this run against the previous one (S1 point 10).

In the 2020 shielding programme local additions ranged from 15% to 352% between authorities; a
sudden jump or fall for one recipient is worth a person's look before the next delivery. An
anomaly is flagged when the relative change is beyond ``threshold`` either way, or when a
recipient goes from nothing to something or from something to nothing.
"""

from __future__ import annotations

from accord.engine.result import Anomaly

DEFAULT_THRESHOLD = 0.5


def anomaly(
    flow_id: str, recipient: str, previous: int, rows: int, threshold: float = DEFAULT_THRESHOLD
) -> Anomaly:
    if previous == 0:
        return Anomaly(flow_id, recipient, previous, rows, None, rows > 0)
    change = (rows - previous) / previous
    return Anomaly(flow_id, recipient, previous, rows, round(change, 6), abs(change) > threshold)
