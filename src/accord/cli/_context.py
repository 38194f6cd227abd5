"""Settings the CLI entry point reads from the environment, handed down to every command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from accord.clock import Clock, SystemClock
from accord.workspace import Workspace

DEFAULT_HOME = "accord-workspace"


@dataclass
class Settings:
    home: Path
    database_url: str | None
    clock: Clock
    opened: list[Workspace] = field(default_factory=list)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], clock: Clock | None = None) -> Settings:
        return cls(
            home=Path(environ.get("ACCORD_HOME") or DEFAULT_HOME),
            database_url=environ.get("ACCORD_DATABASE_URL") or None,
            clock=clock or SystemClock(),
        )

    def workspace(self) -> Workspace:
        ws = Workspace.open(self.home, database_url=self.database_url, clock=self.clock)
        self.opened.append(ws)
        return ws

    def close(self) -> None:
        for ws in self.opened:
            ws.close()
        self.opened.clear()


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)
