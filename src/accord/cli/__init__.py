"""accord.cli: thin Typer commands over the library.

``main(argv, environ)`` parses arguments and calls library functions, so tests call it in
process; only ``run()`` (the console entry point) reads ``sys.argv`` and ``os.environ``.
Errors meant for people print their diagnostics, never a traceback, and exit with the code
their class fixes (see ``accord.errors``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from accord.cli import (
    agreement,
    disputes,
    exercise,
    law,
    ledger,
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
from accord.errors import AccordError
from accord.workspace import Workspace

app = typer.Typer(
    name="accord",
    help="accord: emergency data sharing between public bodies, safely and in minutes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
app.add_typer(sharing.app, name="sharing")
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
        err_console().print(f"[bold red]Error:[/bold red] {esc(exc.diagnostics())}", markup=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        settings.close()
    return 0


def run() -> None:
    """Console entry point."""
    sys.exit(main(sys.argv[1:], os.environ))


__all__ = ["app", "main", "run"]
