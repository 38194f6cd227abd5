"""The days-and-hours subset of ISO 8601 durations used by the playbook (``P28D``, ``PT4H``).

>>> parse_duration("P1DT2H")
datetime.timedelta(days=1, seconds=7200)
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$")


def parse_duration(text: str) -> timedelta:
    """``P28D``, ``PT4H``, ``P1DT2H``: the days-and-hours subset of ISO 8601 durations."""
    m = _DURATION.match(text)
    if not m or text in {"P", "PT"}:
        raise ValueError(f"{text!r} is not a duration of days and hours (P28D, PT4H)")
    return timedelta(days=int(m.group(1) or 0), hours=int(m.group(2) or 0))
