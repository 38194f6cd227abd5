"""The after-action report of an exercise: self-contained HTML (GOV.UK styled) and Markdown.

>>> from datetime import UTC, datetime
>>> r = ExerciseResult("shielding", "INC-1", "urn:x", 10, 1, datetime(2026, 1, 1, tzinfo=UTC))
>>> "INC-1" in render_markdown(r)
True
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from accord.exercise.charts import Bar, column_strip, horizontal_bars
from accord.exercise.result import ExerciseResult

CREDENTIALS = "exercise-credentials.txt"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("accord.exercise", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["duration"] = human_duration
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def human_duration(value: timedelta | float | None) -> str:
    if value is None:
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds == 0:
        return "0"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def context(result: ExerciseResult) -> dict[str, Any]:
    stage_chart = horizontal_bars(
        [
            Bar(
                s.title,
                s.done_after.total_seconds() / 3600,
                None if s.target is None else s.target.total_seconds() / 3600,
                "T0 + " + human_duration(s.done_after),
            )
            for s in result.stages
        ],
        title="When each stage finished after the declaration, against the playbook deadline",
        unit="h",
    )
    machine_chart = horizontal_bars(
        [
            Bar(s.title, s.machine_seconds, None, human_duration(s.machine_seconds))
            for s in result.stages
        ],
        title="Machine time per stage",
        unit="s",
    )
    recipients_chart = column_strip(
        list(result.rows_per_recipient.values()),
        title=f"Records delivered to each of {len(result.rows_per_recipient)} recipients",
    )
    top = sorted(result.rows_per_recipient.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "r": result,
        "stage_chart": stage_chart,
        "machine_chart": machine_chart,
        "recipients_chart": recipients_chart,
        "largest": top[:5],
        "smallest": top[-5:][::-1] if top else [],
        "blocking": [f for f in result.findings if f.severity == "blocking"],
        "credentials_file": f"workspace/{CREDENTIALS}",
    }


def render_html(result: ExerciseResult) -> str:
    return _env().get_template("report.html.j2").render(context(result))


def render_markdown(result: ExerciseResult) -> str:
    return _env().get_template("report.md.j2").render(context(result))


def write_credentials(result: ExerciseResult, workspace_dir: Path) -> Path:
    """The simulated users' sign-ins, for the operator only: a 0600 file in the workspace,
    which the web app never serves (the report holds no password)."""
    workspace_dir.mkdir(parents=True, exist_ok=True)
    path = workspace_dir / CREDENTIALS
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# accord exercise: simulated users (email, password); keep this file private\n")
        for u in result.users:
            fh.write(f"{u.email}\t{u.password}\n")
    os.replace(partial, path)
    return path


def write_report(result: ExerciseResult, out_dir: Path) -> tuple[Path, Path]:
    """Write the report (no password in it) and the operator's credentials file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_credentials(result, out_dir / "workspace")
    html = out_dir / "after-action-report.html"
    md = out_dir / "after-action-report.md"
    html.write_text(render_html(result), encoding="utf-8")
    md.write_text(render_markdown(result), encoding="utf-8")
    return html, md
