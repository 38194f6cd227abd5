"""Clocks: time is injected, never read from the wall inside rules.

>>> from datetime import UTC, datetime, timedelta
>>> c = FixedClock(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
>>> c.advance(timedelta(hours=2)).isoformat()
'2026-03-16T11:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC. Only entry points (CLI, server) construct one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told: for tests, exercises and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock needs a timezone-aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
