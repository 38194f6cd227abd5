"""``accord synth``: write synthetic postcode directories, populations, deltas and opt-out lists.

Thin over :mod:`accord.synth`: each command parses options, calls one library function per
file and prints what was written (paths, row counts, SHA-256), never row values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.synth import (
    SynthSummary,
    write_delta,
    write_opt_outs,
    write_population,
    write_postcode_directory,
)

app = typer.Typer(
    help="Synthetic data for exercises and benchmarks (never real people).",
    no_args_is_help=True,
)

FULL_SCALE_POSTCODES = 1_300_000


def _today(ctx: typer.Context) -> date:
    """The list date when none is given: today on the CLI's injected clock."""
    root = ctx.find_root().obj
    clock = getattr(root, "clock", None)
    if clock is None:
        raise typer.BadParameter("give --list-date (no clock configured)")
    value: date = clock.now().date()
    return value


def _fmt_of(path: Path) -> str:
    return "csv" if path.name.lower().endswith(".csv") else "parquet"


def _report(summary: SynthSummary, what: str) -> None:
    counts = ", ".join(f"{k}={v}" for k, v in summary.counts.items())
    Console(highlight=False).print(
        f"{what}: {summary.path} ({summary.rows} rows, sha256 {summary.sha256[:16]}...)"
        + (f"\n  {counts}" if counts else ""),
        markup=False,
    )


@contextmanager
def _progress(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    if quiet:
        yield lambda _rows: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda rows: bar.advance(task, rows)


@app.command("postcodes")
def postcodes_command(
    out: Path = typer.Argument(..., help="Directory file to write (.parquet or .csv)."),
    postcodes: int = typer.Option(FULL_SCALE_POSTCODES, help="How many postcodes."),
    seed: int = typer.Option(1, help="Seed: the same seed writes the same bytes."),
) -> None:
    """Write a synthetic postcode directory in the ONSPD/NSPL layout."""
    _report(
        write_postcode_directory(out, postcodes=postcodes, seed=seed, fmt=_fmt_of(out)),
        "postcode directory",
    )


@app.command("population")
def population_command(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="Population file to write (.parquet or .csv)."),
    rows: int = typer.Option(..., help="How many people."),
    seed: int = typer.Option(1, help="Seed: the same seed writes the same bytes."),
    postcodes: int = typer.Option(FULL_SCALE_POSTCODES, help="Postcodes in a new directory."),
    directory: Path | None = typer.Option(
        None, help="Use this postcode directory instead of writing one beside OUT."
    ),
    opt_outs: bool = typer.Option(True, help="Also write NDOO and Type 1 lists beside OUT."),
    opt_out_share: float = typer.Option(0.03, help="Share of people on each opt-out list."),
    list_date: str | None = typer.Option(None, help="Opt-out list date, YYYY-MM-DD."),
    invalid_nhs_share: float = typer.Option(0.002, help="Share of invalid NHS numbers."),
    unknown_postcode_share: float = typer.Option(0.005, help="Share of unknown postcodes."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Write a synthetic population, with its postcode directory and opt-out lists beside it."""
    fmt = _fmt_of(out)
    suffix = "." + fmt
    stem = out.name[: -len(suffix)] if out.name.lower().endswith(suffix) else out.name
    when = date.fromisoformat(list_date) if list_date else (_today(ctx) if opt_outs else None)
    if directory is None:
        directory = out.with_name(f"{stem}.postcodes{suffix}")
        _report(
            write_postcode_directory(directory, postcodes=postcodes, seed=seed, fmt=fmt),
            "postcode directory",
        )
    with _progress(rows, "people", quiet) as advance:
        summary = write_population(
            out,
            rows=rows,
            seed=seed,
            postcode_directory=directory,
            fmt=fmt,
            invalid_nhs_share=invalid_nhs_share,
            unknown_postcode_share=unknown_postcode_share,
            progress=advance,
        )
    _report(summary, "population")
    if opt_outs and when is not None:
        for kind in ("ndoo", "type1"):
            _report(
                write_opt_outs(
                    out.with_name(f"{stem}.{kind}{suffix}"),
                    population=out,
                    share=opt_out_share,
                    seed=seed,
                    kind=kind,
                    version=f"{kind}-{when.isoformat()}-seed{seed}",
                    list_date=when,
                    fmt=fmt,
                ),
                f"{kind} opt-outs",
            )


@app.command("delta")
def delta_command(
    out: Path = typer.Argument(..., help="File to write: the population on DAY."),
    rows: int = typer.Option(..., help="People on day 0."),
    day: int = typer.Option(..., help="Day number (0 is the base population)."),
    directory: Path = typer.Option(..., help="The postcode directory of the population."),
    seed: int = typer.Option(1, help="Seed of the population."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Write the population as it stands on DAY, after daily additions, removals and moves."""
    with _progress(rows, f"day {day}", quiet) as advance:
        summary = write_delta(
            out,
            rows=rows,
            seed=seed,
            day=day,
            postcode_directory=directory,
            fmt=_fmt_of(out),
            progress=advance,
        )
    _report(summary, f"population on day {day}")
