"""``--engine`` and ``--spark-conf`` on `accord run` and `accord exercise`: an engine that does
not exist, or a setting that is not KEY=VALUE, is refused (exit 8) before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli import main


def test_exercise_refuses_an_unknown_engine_before_making_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exercise"
    code = main(["exercise", "--rows", "1000", "--out", str(out), "--engine", "nope"], {})
    assert code == 8
    assert "unknown engine backend" in capsys.readouterr().err
    assert not out.exists()


def test_exercise_refuses_a_spark_setting_without_a_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exercise"
    args = ["exercise", "--out", str(out), "--engine", "spark", "--spark-conf", "spark.master"]
    assert main(args, {}) == 8
    assert "KEY=VALUE" in capsys.readouterr().err
    assert not out.exists()
