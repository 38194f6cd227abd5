"""`accord exercise`: the main job, a full emergency exercise on synthetic data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.cli._context import (
    AT_OPTION,
    ENGINE_OPTION,
    SPARK_CONF_OPTION,
    console,
    engine_settings,
    esc,
    now_at,
)
from accord.exercise import Options, run_exercise, write_report
from accord.exercise.push_stage import MeshExercise
from accord.exercise.report import human_duration
from accord.exercise.runner import SPAN

STEPS = ("prepare", "trigger", "draft", "dpia", "sign_off", "go_live", "transparency",
         "dispute", "monitor", "verify")  # fmt: skip


def exercise_command(
    ctx: typer.Context,
    scenario: str = typer.Option("shielding", help="The exercise scenario."),
    rows: int = typer.Option(200_000, help="Synthetic people (2,200,000 for full scale)."),
    out: Path = typer.Option(Path("accord-exercise"), help="Folder for the exercise."),
    seed: int = typer.Option(2020, help="Seed of the synthetic data."),
    fresh: bool = typer.Option(False, "--fresh", help="Replace an earlier exercise in OUT."),
    mesh: Path | None = typer.Option(
        None,
        "--mesh",
        help="JSON naming a MESH mailbox to send one council's delivery from (see "
        "docs/how-to/deliver-by-mesh.md); without it that delivery goes into the outbox.",
    ),
    engine: str = ENGINE_OPTION,
    spark_conf: list[str] | None = SPARK_CONF_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Run an emergency exercise end to end and write an after-action report.

    The exercise spans the hours before now (or ``--at``): its last stage happens then.
    """
    end = now_at(ctx, at)
    out_console = console()
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"),
        TimeElapsedColumn(),
        console=out_console,
        transient=False,
    ) as bar:
        task = bar.add_task("Starting", total=len(STEPS))
        seen: set[str] = set()

        def progress(stage: str, message: str) -> None:
            if message == "done" or stage in seen:
                return
            seen.add(stage)
            bar.update(
                task,
                completed=STEPS.index(stage) if stage in STEPS else 0,
                description=esc(message),
            )

        result = run_exercise(
            Options(
                out=out,
                rows=rows,
                seed=seed,
                scenario=scenario,
                fresh=fresh,
                mesh=MeshExercise.load(mesh) if mesh is not None else None,
                engine=engine,
                engine_settings=engine_settings(spark_conf),
            ),
            start=end - SPAN,
            progress=progress,
        )
        bar.update(task, completed=len(STEPS), description="Exercise complete")
    html, md = write_report(result, out)

    table = Table(title=esc(f"Exercise {result.incident_id}: {result.scenario}"))
    table.add_column("Stage")
    table.add_column("Done at", justify="right")
    table.add_column("Deadline", justify="right")
    table.add_column("Machine", justify="right")
    for st in result.stages:
        table.add_row(
            esc(st.title),
            "T0 + " + human_duration(st.done_after),
            "T0 + " + human_duration(st.target) if st.target is not None else "—",
            human_duration(st.machine_seconds),
        )
    out_console.print(table)
    out_console.print(
        f"Declaration to first delivery: [bold]{human_duration(result.seconds_to_first_delivery)}"
        f"[/bold] machine time. {result.recipients_served} of {result.recipients_total} "
        f"authorities served; {result.delivered_rows:,} records delivered, "
        f"{result.exceptions:,} exceptions, {result.opted_out:,} opted out."
    )
    out_console.print(f"Dispute: {result.dispute_outcome}.", markup=False)
    out_console.print(f"Pushed delivery: {result.push_summary}", markup=False)
    out_console.print(f"Ledger: {result.ledger_verdict}", markup=False)
    out_console.print(f"After-action report: {html} (and {md.name})", markup=False)
    siro = next((u for u in result.users if u.email.startswith("siro@nhs")), None)
    if siro is not None:
        out_console.print(
            f"Browse it: ACCORD_HOME={out / 'workspace'} accord serve, then sign in as "
            f"{siro.email} with password {siro.password}",
            markup=False,
        )
    out_console.print(
        f"Every simulated user's password: {out / 'workspace' / 'exercise-credentials.txt'}"
        " (mode 0600; the report holds none)",
        markup=False,
    )
