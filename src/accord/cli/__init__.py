"""accord.cli: thin Typer commands over the library.

``main(argv, environ)`` parses arguments and calls library functions, so tests call it in
process; only ``run()`` (the console entry point) reads ``sys.argv`` and ``os.environ``.
Errors meant for people print their diagnostics, never a traceback, and exit with the code
their class fixes (see ``accord.errors``). A full disk is :class:`~accord.errors.StorageFull`;
any other exception is a defect, reported by its class name only (its text may quote a row
value) with exit code 70, never 1.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from accord.cli import (
    agreement,
    assurance,
    basis,
    disputes,
    exercise,
    exit,
    law,
    ledger,
    push,
    release,
    rights,
    serve,
    sharing,
    sweep,
    synth,
    template,
    user,
)
from accord.cli import run as run_module
from accord.cli._context import Settings, console, err_console, esc
from accord.clock import Clock
from accord.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, AccordError, StorageFull
from accord.workspace import Workspace

app = typer.Typer(
    name="accord",
    help="accord: emergency data sharing between public bodies, safely and in minutes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog=(
        "Exit codes: 0 done; 1 a blocking finding (accord check); 2 bad input; 3 not found; "
        "4 not permitted; 5 a clause the backend cannot enforce; 6 verification failed; "
        "7 a dispute step is invalid; 8 the workspace or settings are unusable; 9 the disk "
        "is full; 10 the database went away (nothing saved: retry); 11 a push could not be "
        "sent (it stays queued); 70 an internal error in "
        "accord (please report it); 130 interrupted."
    ),
)
app.add_typer(agreement.app, name="agreement")


@app.command()
def init(
    ctx: typer.Context,
    home: Path | None = typer.Argument(None, help="Workspace folder (default: ACCORD_HOME)."),
) -> None:
    """Create a workspace: database, keys folder, deliveries folder."""
    s: Settings = ctx.find_root().obj
    with Workspace.init(home or s.home, database_url=s.database_url, clock=s.clock) as ws:
        console().print(f"Workspace ready at {ws.root}", markup=False)


app.add_typer(ledger.app, name="ledger")
app.add_typer(template.app, name="template")
app.add_typer(synth.app, name="synth")
app.add_typer(disputes.app, name="dispute")
app.add_typer(user.app, name="user")
app.add_typer(assurance.app, name="assurance")
app.add_typer(basis.app, name="basis")
app.add_typer(sharing.app, name="sharing")
app.add_typer(exit.app, name="exit")
app.add_typer(exit.app, name="retention")
app.add_typer(release.app, name="release")
app.add_typer(push.app, name="push")
app.add_typer(rights.app, name="rights")
app.command("check")(law.check_command)
app.command("verify")(ledger.verify_command)
app.command("run")(run_module.run_cli)
app.command("exercise")(exercise.exercise_command)
app.command("serve")(serve.serve_command)
app.command("sweep")(sweep.sweep_command)


def main(
    argv: Sequence[str], environ: Mapping[str, str] | None = None, *, clock: Clock | None = None
) -> int:
    """Run the CLI in process; return the exit code."""
    settings = Settings.from_environ(environ or {}, clock)
    command = typer.main.get_command(app)
    try:
        # Standalone mode: Typer prints usage errors itself and exits with their code.
        command.main(args=list(argv), prog_name="accord", standalone_mode=True, obj=settings)
    except AccordError as exc:
        return _report(exc)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console().print("Interrupted.", markup=False)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place a defect becomes an exit code
        if _disk_full(exc):
            return _report(
                StorageFull(
                    "a write was refused: no space is left on the disk, or a size limit was "
                    "reached; free some space and run the command again"
                )
            )
        return _internal(exc)
    finally:
        settings.close()
    return 0


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SQLITE_FULL = 13
_FULL_TEXT = ("No space left on device", "File too large", "Disk quota exceeded")


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a refused write: the OS's ENOSPC, EDQUOT or EFBIG,
    SQLite's SQLITE_FULL, or DuckDB's and Arrow's I/O errors saying so (read, never printed)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _FULL:
            return True
        if getattr(e, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if type(e).__name__ in {"IOException", "ArrowIOError", "OSError"} and any(
            t in str(e) for t in _FULL_TEXT
        ):
            return True
        todo += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    return False


def _report(exc: AccordError) -> int:
    err_console().print(f"[bold red]Error:[/bold red] {esc(exc.diagnostics())}", markup=True)
    return exc.exit_code


def _internal(exc: BaseException) -> int:
    """A defect: name its class only; its message and traceback may quote a row value."""
    err_console().print(
        f"Internal error in accord ({type(exc).__name__}). Please report it with the command "
        f"you ran (exit code {EXIT_INTERNAL}).",
        markup=False,
    )
    return EXIT_INTERNAL


def run() -> None:
    """Console entry point."""
    sys.exit(main(sys.argv[1:], os.environ))


__all__ = ["app", "main", "run"]
