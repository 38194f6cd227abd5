"""Settings the CLI entry point reads from the environment, handed down to every command.

Every command whose outcome depends on the date takes ``--at`` (:data:`AT_OPTION`), with one
meaning everywhere (:func:`parse_at`): an ISO date is the start of that day in UTC, an ISO
timestamp must carry its offset (``Z`` or ``+01:00``) and is converted to UTC. A command given
``--at`` runs on a clock fixed at that moment (:func:`at_clock`, :func:`workspace_at`), so a past
emergency can be replayed and a future deadline rehearsed.

>>> parse_at("2026-03-16").isoformat()
'2026-03-16T00:00:00+00:00'
>>> parse_at("2026-03-16T09:30:00+01:00").isoformat()
'2026-03-16T08:30:00+00:00'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from accord.clock import Clock, FixedClock, SystemClock
from accord.errors import ConfigError, InputError, Problem
from accord.workspace import Workspace

AT_HELP = (
    "Act as if now were this moment: an ISO date (the start of that day, UTC) or an ISO "
    "timestamp with its offset (2026-03-16T09:00:00Z). Default: now."
)
AT_OPTION = typer.Option(None, "--at", metavar="DATE|TIMESTAMP", help=AT_HELP)
ENGINE_OPTION = typer.Option(
    "duckdb", "--engine", "--backend", help="The engine that runs the flows: duckdb, spark."
)
SPARK_CONF_OPTION = typer.Option(
    None,
    "--spark-conf",
    metavar="KEY=VALUE",
    help="A Spark setting for --engine spark (repeatable), e.g. spark.master=spark://host:7077;"
    " default master local[2].",
)


def engine_settings(pairs: list[str] | None) -> dict[str, str] | None:
    """``KEY=VALUE`` settings of ``--spark-conf`` as a dict (None when none were given)."""
    if not pairs:
        return None
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                "a --spark-conf setting is KEY=VALUE", [Problem("spark_conf", "no '=' in it")]
            )
        out[key.strip()] = value.strip()
    return out


def parse_at(text: str) -> datetime:
    """``--at``'s one meaning: a date is 00:00 UTC that day; a timestamp needs its offset."""
    raw = text.strip()
    try:
        if ":" not in raw:
            return datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"--at is not an ISO date or timestamp: {raw!r}",
            [Problem("--at", "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]+HH:MM (or Z)")],
        ) from None
    if moment.utcoffset() is None:
        raise InputError(
            f"--at {raw!r} has no offset",
            [Problem("--at", "add Z or +HH:MM to a timestamp, or give a date alone")],
        )
    return moment.astimezone(UTC)


DEFAULT_HOME = "accord-workspace"


@dataclass
class Settings:
    home: Path
    database_url: str | None
    clock: Clock
    opened: list[Workspace] = field(default_factory=list)
    oidc_client_secret: str | None = None  # ACCORD_OIDC_CLIENT_SECRET, for `accord serve`

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], clock: Clock | None = None) -> Settings:
        return cls(
            home=Path(environ.get("ACCORD_HOME") or DEFAULT_HOME),
            database_url=environ.get("ACCORD_DATABASE_URL") or None,
            clock=clock or SystemClock(),
            oidc_client_secret=environ.get("ACCORD_OIDC_CLIENT_SECRET") or None,
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


def at_clock(ctx: typer.Context, at: str | None) -> Clock:
    """The command's clock: fixed at ``--at`` when given, else the CLI's own clock."""
    return settings(ctx).clock if at is None else FixedClock(parse_at(at))


def now_at(ctx: typer.Context, at: str | None) -> datetime:
    """The moment a command acts at: ``--at`` or now."""
    return at_clock(ctx, at).now()


def workspace_at(ctx: typer.Context, at: str | None) -> Workspace:
    """The workspace, opened on :func:`at_clock` (every service call then acts at ``--at``)."""
    s = settings(ctx)
    ws = Workspace.open(s.home, database_url=s.database_url, clock=at_clock(ctx, at))
    s.opened.append(ws)
    return ws


def esc(value: object) -> str:
    """User or domain text made safe to print with Rich markup on (``[a, b]`` stays visible)."""
    return escape(str(value))


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)
