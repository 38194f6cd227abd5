"""Timing the exercise's stages on two clocks at once.

Machine time is measured with ``time.perf_counter``; simulated governance time (people reading,
deciding, signing) advances the exercise's injected clock by the scripted amount for each stage,
so the report can set both against the playbook's emergency targets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.clock import FixedClock
from accord.exercise.result import Stage


@dataclass
class StageTimer:
    clock: FixedClock
    declared_at: datetime
    on_stage: Callable[[Stage], None] = lambda stage: None
    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(
        self, key: str, title: str, *, people_time: timedelta, target: timedelta | None = None
    ) -> Iterator[None]:
        """Time one stage; afterwards the simulated clock has moved on by ``people_time``."""
        simulated_start = self.clock.now()
        started = time.perf_counter()
        yield
        machine = time.perf_counter() - started
        self.clock.advance(people_time)
        stage = Stage(
            key, title, machine, simulated_start, self.clock.now(), self.declared_at, target
        )
        self.stages.append(stage)
        self.on_stage(stage)
