"""``accord synth`` commands, run in process through ``accord.cli.main``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.cli import main
from accord.clock import FixedClock

CLOCK = datetime(2020, 4, 2, 9, 0, tzinfo=UTC)


def test_population_writes_directory_people_and_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s1" / "people.parquet"
    code = main(
        ["synth", "population", "--rows", "2000", "--postcodes", "20000", "--quiet", str(out)],
        {"ACCORD_HOME": str(tmp_path / "ws")},
        clock=FixedClock(CLOCK),
    )
    assert code == 0
    folder = out.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "people.ndoo.parquet",
        "people.parquet",
        "people.postcodes.parquet",
        "people.type1.parquet",
    ]
    assert pq.read_metadata(out).num_rows == 2000
    assert pq.read_metadata(folder / "people.postcodes.parquet").num_rows == 20000
    ndoo = pq.read_table(folder / "people.ndoo.parquet")
    assert set(ndoo["list_date"].to_pylist()) == {"2020-04-02"}
    printed = capsys.readouterr().out
    assert "population:" in printed and "2000 rows" in printed


def test_delta_command(tmp_path: Path) -> None:
    out = tmp_path / "people.csv"
    env = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["synth", "postcodes", "--postcodes", "5000", str(tmp_path / "pc.csv")], env) == 0
    assert (
        main(
            [
                "synth",
                "population",
                "--rows",
                "1000",
                "--directory",
                str(tmp_path / "pc.csv"),
                "--no-opt-outs",
                "--quiet",
                str(out),
            ],
            env,
        )
        == 0
    )
    day1 = tmp_path / "day1.csv"
    assert (
        main(
            [
                "synth",
                "delta",
                "--rows",
                "1000",
                "--day",
                "1",
                "--directory",
                str(tmp_path / "pc.csv"),
                "--quiet",
                str(day1),
            ],
            env,
        )
        == 0
    )
    assert out.read_text(encoding="utf-8") != day1.read_text(encoding="utf-8")
    assert not (tmp_path / "people.ndoo.csv").exists()


def test_bad_input_exits_with_the_input_error_code(tmp_path: Path) -> None:
    code = main(
        [
            "synth",
            "population",
            "--rows",
            "0",
            "--list-date",
            "2020-04-01",
            "--postcodes",
            "100",
            "--quiet",
            str(tmp_path / "p.parquet"),
        ],
        {},
    )
    assert code == 2
