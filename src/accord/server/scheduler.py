"""The server's own clock tick: the daily re-check (:func:`accord.service.lifecycle.sweep`) and
the dispute deadlines, run in the background every ``interval`` seconds while the app is up.

The sweep is idempotent and reads only stored state, so running it more often than daily only
finds things sooner. It runs in a worker thread (the store is synchronous); a failure is logged
by class and kept as :attr:`Scheduler.last_error`, and the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from accord.clock import Clock
from accord.service import disputes, lifecycle
from accord.workspace import Workspace

_log = logging.getLogger("accord.server")
DEFAULT_INTERVAL = 3600.0


@dataclass
class Scheduler:
    workspace: Workspace
    interval: float = DEFAULT_INTERVAL
    policy: lifecycle.Policy = field(default_factory=lifecycle.Policy)
    clock: Clock | None = None
    ticks: int = 0
    last: list[lifecycle.Swept] = field(default_factory=list)
    last_error: str | None = None

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("the sweep interval must be positive seconds")

    def tick(self) -> list[lifecycle.Swept]:
        """One sweep at the scheduler's clock (the workspace's unless one was injected)."""
        now = (self.clock or self.workspace.clock).now()
        done = lifecycle.sweep(self.workspace, now, policy=self.policy)
        disputes.sweep(self.workspace, now)
        return done

    async def run(self) -> None:
        while True:
            try:
                self.last = await asyncio.to_thread(self.tick)
                self.last_error = None
            except Exception as exc:  # keep ticking; the next sweep retries what failed
                self.last_error = type(exc).__name__
                _log.error("scheduled sweep failed: %s", type(exc).__name__)
            self.ticks += 1
            await asyncio.sleep(self.interval)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Scheduler]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
