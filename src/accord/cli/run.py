"""`accord run AGREEMENT_ID --source FILE [--since LAST]`: the engine with a progress bar.

The command calls :func:`accord.service.runs.run` (which runs the engine and records the
deliveries in the ledger) under a Rich progress bar and prints a summary table. The rendering
functions take a :class:`~accord.engine.RunResult` and print counts and hashes only, never row
values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from accord.cli._context import (
    AT_OPTION,
    ENGINE_OPTION,
    SPARK_CONF_OPTION,
    console,
    engine_settings,
    esc,
    workspace_at,
)
from accord.cli.release import authenticated
from accord.engine import RunResult, get_backend
from accord.service import releases, runs

STAGES = {
    "check": "Checking agreement and source",
    "deliver": "Routing and writing extracts",
    "publish": "Publishing deliveries",
}


@contextmanager
def progress_reporter(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one Rich bar per stage."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def tick(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield tick


def render_summary(result: RunResult, console: Console) -> None:
    """Print the run totals, one row per delivery, and any flagged anomalies."""
    head = "re-run: already delivered" if result.rerun else "delivered"
    console.print(
        f"Run [bold]{esc(result.run_id)}[/bold] of {esc(result.agreement_id)} "
        f"v{esc(result.agreement_version)} "
        f"({head}, backend {result.backend})"
    )
    totals = Table(title="Rows", show_header=True)
    for name in ("input", "exceptions", "opted out", "not entitled", "delivered"):
        totals.add_column(name, justify="right")
    totals.add_row(
        f"{result.input_rows:,}",
        f"{result.exception_rows:,}",
        f"{result.opted_out_rows:,}",
        f"{result.not_entitled_rows:,}",
        f"{result.delivered_rows:,}",
    )
    console.print(totals)
    if result.exceptions_by_reason:
        reasons = Table(title="Exceptions by reason")
        reasons.add_column("reason")
        reasons.add_column("rows", justify="right")
        for reason, n in result.exceptions_by_reason.items():
            reasons.add_row(esc(reason), f"{n:,}")
        console.print(reasons)
    if result.opt_out_lists:
        lists = ", ".join(f"{k} {v}" for k, v in result.opt_out_lists.items())
        console.print(f"Opt-out lists applied: {lists}", markup=False)
    anomalies = {a.flow_id: a for a in result.anomalies}
    table = Table(title="Deliveries")
    for name in ("flow", "recipient", "rows", "opted out", "+", "-", "change", "extract sha256"):
        numeric = name in {"rows", "opted out", "+", "-"}
        table.add_column(name, justify="right" if numeric else "left")
    for d in result.deliveries:
        a = anomalies.get(d.flow_id)
        change = "" if a is None else ("new" if a.change is None else f"{a.change:+.0%}")
        if a is not None and a.flagged:
            change = f"[bold red]{change} ![/bold red]"
        digest = next((v for k, v in d.files.items() if k.startswith("extract.")), "")
        table.add_row(
            esc(d.flow_id),
            esc(d.recipient),
            f"{d.rows:,}",
            f"{d.opted_out_removed:,}",
            "" if d.additions is None else f"{d.additions:,}",
            "" if d.removals is None else f"{d.removals:,}",
            change,
            digest[:16],
        )
    console.print(table)
    if result.flagged:
        console.print(
            f"[bold red]{len(result.flagged)} recipient(s) changed volume beyond the "
            f"anomaly threshold; check before the next delivery.[/bold red]"
        )


def run_cli(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT_ID"),
    source: Path = typer.Option(..., "--source", help="The discloser's extract, CSV or Parquet."),
    since: str | None = typer.Option(None, "--since", help="Run id to compute deltas against."),
    delta_only: bool = typer.Option(
        False,
        "--delta-only",
        help="Deliver only additions and removals against --since (recipients must hold it).",
    ),
    postcodes: Path | None = typer.Option(
        None, "--postcodes", help="Postcode directory (NSPL layout); default: the workspace's."
    ),
    ndoo: Path | None = typer.Option(None, "--ndoo", help="National data opt-out list."),
    type1: Path | None = typer.Option(None, "--type1", help="Type 1 opt-out list."),
    flow: list[str] | None = typer.Option(None, "--flow", help="Run only these flows."),
    engine: str = ENGINE_OPTION,
    spark_conf: list[str] | None = SPARK_CONF_OPTION,
    user: str | None = typer.Option(
        None,
        "--user",
        help="Your email (an `accord user`): needed to run aggregate flows, whose tables are"
        " held for review by two others.",
    ),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="With --user: read your password from this file."
    ),
    at: str | None = AT_OPTION,
) -> None:
    """Run an active agreement's flows over SOURCE and deliver to each recipient."""
    ws = workspace_at(ctx, at)
    requester = None if user is None else authenticated(ws, user, password_file)
    lists = {k: v for k, v in (("ndoo", ndoo), ("type1", type1)) if v is not None}
    out = console()
    with progress_reporter(out) as tick:
        result = runs.run(
            ws,
            agreement_id,
            source=source,
            geography=runs.load_geography(ws, postcodes),
            opt_out_lists=lists or None,
            flows=flow or None,
            previous=since,
            delivery="delta" if delta_only else None,
            backend=get_backend(engine, engine_settings(spark_conf)),
            progress=tick,
            requested_by=requester,
        )
    render_summary(result, out)
    held = [r for r in releases.list_releases(ws) if r.run_id == result.run_id]
    if held:
        out.print(
            f"{len(held)} aggregate table(s) held until two reviewers approve them: "
            "see `accord release list`.",
            markup=False,
        )
