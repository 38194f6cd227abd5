"""accord.exercise: a whole emergency run end to end on synthetic data, with an after-action
report ("arrangements established and tested", HSC/STC recommendation 62).

Owns the exercise scenario, its stage timings and the report. It drives the same service
functions the CLI and server use; it holds no business rules of its own. Nothing imports it
except the CLI.
"""

from accord.exercise.report import render_html, render_markdown, write_report
from accord.exercise.result import ExerciseResult
from accord.exercise.runner import Options, run_exercise

__all__ = [
    "ExerciseResult",
    "Options",
    "render_html",
    "render_markdown",
    "run_exercise",
    "write_report",
]
