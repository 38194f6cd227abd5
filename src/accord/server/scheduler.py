"""The server's own clock tick: the daily re-check (:func:`accord.service.lifecycle.sweep`), the
dispute deadlines and a signed tree head, run in the background every ``interval`` seconds while
the app is up.

The sweep is idempotent and reads only stored state, so running it more often than daily only
finds things sooner. Each tick that finds the log grown since the last signed head signs a new
one at the scheduler's clock and sends it to the witnesses (:func:`accord.service.heads.sign_head`):
heads are signed on the instance's schedule, never by a GET. A tick runs in a worker thread (the
store is synchronous); a failure (a step that raised, a head the signer refused, a witness that
refused to cosign) is logged by class and kept as :attr:`Scheduler.last_error`, and the next tick
tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from accord.clock import Clock
from accord.errors import VerificationError
from accord.service import disputes, heads, lifecycle, rights
from accord.workspace import Workspace

_log = logging.getLogger("accord.server")
DEFAULT_INTERVAL = 3600.0


@dataclass
class Scheduler:
    workspace: Workspace
    interval: float = DEFAULT_INTERVAL
    policy: lifecycle.Policy = field(default_factory=lifecycle.Policy)
    clock: Clock | None = None
    post: heads.Post = heads.http_post  # how new heads reach the witnesses
    ticks: int = 0
    last: list[lifecycle.Swept] = field(default_factory=list)
    last_head: heads.SignedHead | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("the sweep interval must be positive seconds")

    def tick(self) -> list[lifecycle.Swept]:
        """One sweep at the scheduler's clock (the workspace's unless one was injected), then a
        signed head if the log has grown; raise if the head was refused by a witness."""
        ws = self.workspace
        now = (self.clock or ws.clock).now()
        done = lifecycle.sweep(ws, now, policy=self.policy)
        disputes.sweep(ws, now)
        rights.sweep(ws, now)
        rights.index_deliveries(ws)
        latest = ws.ledger.latest_head()
        if ws.ledger.size() > (latest.size if latest else 0):
            self.last_head = heads.sign_head(ws, now=now, post=self.post)
            refused = self.last_head.refused
            if refused:
                raise VerificationError(
                    "a witness refused the new head: " + ", ".join(w.witness for w in refused)
                )
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
