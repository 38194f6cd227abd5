"""Kill a process with a real SIGKILL at one chosen point of its own execution.

The fault-injection hook of the crash tests (issue 19). It lives in the test tree and is
installed only by a test's child process (``crash_child.py``), from the ``ACCORD_KILL_AT``
environment variable; accord itself carries no hook, so a normal run cannot reach it.

A point is ``WHEN TARGET NTH [SCOPE] [since=GATE]``, space-separated:

- ``WHEN`` is ``before`` (the call is about to run) or ``after`` (it has returned);
- ``TARGET`` is a Python function or method (``package.module:Class.method``) or a built-in
  (``os:replace``), found by identity, however its caller imported it;
- ``NTH`` is which call counts (1 is the first);
- ``SCOPE``, optional, counts only the calls made while that function is running (so
  "the commit inside ``approvals.approve``" is one point, not every commit of the process);
- ``since=GATE``, optional, counts only the calls made after ``GATE`` first returned (so "the
  first commit after the run's events were recorded" is one point).

With ``ACCORD_KILL_TRACE`` set, the stack at the point is written to standard error first (to
check that a point is where its name says).

The profiler (``sys.setprofile``, and ``threading.setprofile`` for the extract writer threads)
sees every call; at the chosen one it sends ``SIGKILL`` to its own process: no ``finally``
block, no ``atexit`` handler and no database rollback runs, exactly as when the machine loses
the process. In-process, :func:`at_point` runs another action there instead (the PostgreSQL
tests terminate the session's backend from a second connection).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

ENV = "ACCORD_KILL_AT"


def _resolve(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _code(obj: Any) -> Any:
    obj = getattr(obj, "__wrapped__", obj)
    return getattr(obj, "__code__", None)


class KillPoint:
    def __init__(self, text: str, action: Callable[[], None] | None = None) -> None:
        parts = text.split()
        gate = [p for p in parts if p.startswith("since=")]
        parts = [p for p in parts if not p.startswith("since=")]
        if len(parts) not in (3, 4) or parts[0] not in ("before", "after") or len(gate) > 1:
            raise SystemExit(f"{ENV}: expected 'before|after TARGET NTH [SCOPE] [since=GATE]'")
        self.gate = _code(_resolve(gate[0].removeprefix("since="))) if gate else None
        self.opened = self.gate is None
        self.when = parts[0]
        self.target = _resolve(parts[1])
        self.code = _code(self.target)  # None for a built-in
        self.nth = int(parts[2])
        self.scope = _code(_resolve(parts[3])) if len(parts) == 4 else None
        self.seen = 0
        self.depth: dict[int, int] = {}  # thread id -> how deep in SCOPE it is
        self.lock = threading.Lock()
        self.action = action or (lambda: os.kill(os.getpid(), signal.SIGKILL))

    def _in_scope(self) -> bool:
        return self.scope is None or self.depth.get(threading.get_ident(), 0) > 0

    def _hit(self, frame: FrameType) -> None:
        with self.lock:
            self.seen += 1
            hit = self.seen == self.nth
        if hit:
            if os.environ.get("ACCORD_KILL_TRACE"):
                names = []
                f: FrameType | None = frame
                while f is not None:
                    names.append(f"{f.f_code.co_filename.rsplit('/', 1)[-1]}:{f.f_code.co_name}")
                    f = f.f_back
                print("kill point stack: " + " < ".join(names[:14]), file=sys.stderr, flush=True)
            self.action()

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if self.scope is not None and code is self.scope and event in ("call", "return"):
            tid = threading.get_ident()
            self.depth[tid] = self.depth.get(tid, 0) + (1 if event == "call" else -1)
        if not self.opened:
            if code is self.gate and event == "return":
                self.opened = True
            return
        if not self._in_scope():
            return
        if self.code is not None:
            if code is self.code and event == ("call" if self.when == "before" else "return"):
                self._hit(frame)
        elif arg is self.target and event == ("c_call" if self.when == "before" else "c_return"):
            self._hit(frame)


def install() -> KillPoint | None:
    """Install the point named by ``ACCORD_KILL_AT``, if any, in this process."""
    text = os.environ.get(ENV)
    if not text:
        return None
    point = KillPoint(text)
    sys.setprofile(point.profile)
    threading.setprofile(point.profile)
    return point


@contextmanager
def at_point(text: str, action: Callable[[], None]) -> Iterator[KillPoint]:
    """Run ``action`` at the point ``text`` (same form as ``ACCORD_KILL_AT``) in this process."""
    point = KillPoint(text, action)
    sys.setprofile(point.profile)
    try:
        yield point
    finally:
        sys.setprofile(None)
