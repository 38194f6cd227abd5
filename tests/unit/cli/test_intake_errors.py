"""Intake errors through `accord run` (issue 22.2, 22.9): a malformed source exits 2 naming the
data row and the problem, and no value of the source appears in stdout, stderr or the logs; a
full disk is exit 9, a crash exit 70, never a traceback and never exit 1."""

from __future__ import annotations

import csv
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.errors import EXIT_INTERNAL
from accord.model import example_agreement
from accord.service import agreements, runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

AGREEMENT = example_agreement()
assert AGREEMENT.incident is not None
CLOCK = FixedClock(AGREEMENT.incident.declared_at)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the example agreement active, and its synthetic population as CSV."""
    root = tmp_path_factory.mktemp("intake")
    with Workspace.init(root / "ws", clock=CLOCK) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=500, seed=5)
        write_population(root / "people.parquet", rows=60, seed=5, postcode_directory=directory)
        agreements.create(ws, AGREEMENT)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, AGREEMENT.id, target)
    table = pq.read_table(root / "people.parquet")
    with (root / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(table.column_names)
        w.writerows(zip(*(table.column(n).to_pylist() for n in table.column_names), strict=True))
    return root


@pytest.fixture
def ws_copy(live: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    shutil.copytree(live / "ws", tmp_path / "ws")
    yield {"ACCORD_HOME": str(tmp_path / "ws")}


def _values(live: Path) -> set[str]:
    """Every distinctive value of the source: NHS numbers, names, addresses, phones..."""
    table = pq.read_table(live / "people.parquet")
    out = set()
    for name in table.column_names:
        for v in table.column(name).to_pylist():
            text = str(v)
            if len(text) >= 5 and name not in {"clinical_group", "sex"}:
                out.add(text)
    return out


def _lines(live: Path) -> list[str]:
    return (live / "people.csv").read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _malformed_csvs(live: Path, tmp: Path) -> dict[str, tuple[Path, str, str]]:
    """name -> (file, where, a phrase of the reason)."""
    lines = _lines(live)
    head, rows = lines[0], lines[1:]
    cut = rows[9].split(",")
    return {
        "extra field": (
            _write(tmp / "extra.csv", [head, *rows[:4], rows[4] + ',"surplus"', *rows[5:]]),
            "row 5",
            "has 13 fields, the header has 12",
        ),
        "missing fields": (
            _write(tmp / "missing.csv", [head, *rows[:6], ",".join(cut[:-4]), *rows[7:]]),
            "row 7",
            "has 8 fields",
        ),
        "quote cut mid-field at the end": (
            _write(tmp / "quote.csv", [head, *rows[:30], rows[30][:40]]),
            "row 31",
            "the header has 12",
        ),
        "a row that is not UTF-8": (
            _write_bytes(
                tmp / "latin1.csv",
                "\n".join([head, *rows[:20]]).encode()
                + b'\n"\xe9\xff'
                + rows[20].encode("utf-8")[1:]
                + b"\n",
            ),
            "row 21",
            "not UTF-8",
        ),
    }


def _run(env: dict[str, str], source: Path) -> int:
    return main(["run", AGREEMENT.id, "--source", str(source)], env, clock=CLOCK)


def _assert_no_values(live: Path, *texts: str) -> None:
    values = _values(live)
    assert len(values) > 200
    for text in texts:
        leaked = sorted(v for v in values if v in text)
        assert leaked == [], f"source values in the output: {leaked[:3]}"


def test_every_malformed_csv_is_exit_2_with_its_row_and_no_value(
    live: Path,
    ws_copy: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, (path, where, reason) in _malformed_csvs(live, tmp_path).items():
        code = _run(ws_copy, path)
        out = capsys.readouterr()
        assert code == 2, (name, out.err)
        assert f"{where}:" in out.err and reason in out.err, (name, out.err)
        assert "Traceback" not in out.err + out.out
        _assert_no_values(live, out.out, out.err, caplog.text)
    assert not list((Path(ws_copy["ACCORD_HOME"]) / "deliveries").rglob("*.parquet"))


def test_a_huge_csv_field_is_a_clear_error(
    live: Path, ws_copy: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _lines(live)
    fields = lines[3].split(",")
    fields[5] = '"' + "Long Road " * (3 << 20) + '"'  # a 30 MiB address
    path = _write(tmp_path / "huge.csv", [*lines[:3], ",".join(fields), *lines[4:]])
    assert path.stat().st_size > 30 << 20
    code = _run(ws_copy, path)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert "larger than 4 MiB" in out.err and "Traceback" not in out.err
    _assert_no_values(live, out.out, out.err)


def test_malformed_parquet_sources_are_exit_2_without_values(
    live: Path,
    ws_copy: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    good = (live / "people.parquet").read_bytes()
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good[: len(good) // 2])
    # Data pages overwritten, footer intact: the schema reads, the rows do not.
    scrambled = tmp_path / "scrambled.parquet"
    scrambled.write_bytes(good[:4] + b"\xff" * (len(good) // 2) + good[4 + len(good) // 2 :])
    table = pq.read_table(live / "people.parquet")
    mistyped = tmp_path / "mistyped.parquet"
    at = table.schema.get_field_index("date_of_birth")
    pq.write_table(table.set_column(at, "date_of_birth", pa.array([1.5] * len(table))), mistyped)
    for path in (truncated, scrambled, mistyped):
        code = _run(ws_copy, path)
        out = capsys.readouterr()
        assert code == 2, (path.name, out.err)
        assert "Traceback" not in out.err
        _assert_no_values(live, out.out, out.err, caplog.text)


def test_a_crash_is_exit_70_naming_only_the_error_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database file that is not one is nothing accord checks for: a defect's exit code."""
    home = tmp_path / "ws"
    assert main(["init", str(home)], {}) == 0
    (home / "accord.sqlite").write_bytes(b"9990652287 Matthew Hill, 176 Norfolk Row " * 200)
    code = main(["agreement", "list"], {"ACCORD_HOME": str(home)})
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL == 70
    assert "Internal error in accord" in err and "please report" in err.lower()
    assert "9990652287" not in err and "Norfolk" not in err and "Traceback" not in err


def _tmpfs(mountpoint: Path, size_kib: int) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    mountpoint.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="a full disk is simulated with a small tmpfs, which only root can mount; SKIPPED",
)
def test_a_full_disk_is_exit_9_not_a_traceback(live: Path, tmp_path: Path) -> None:
    """A real full disk: the workspace on a tmpfs with room for itself and little more."""
    used = sum(f.stat().st_size for f in (live / "ws").rglob("*") if f.is_file())
    mnt = tmp_path / "full"
    if not _tmpfs(mnt, used // 1024 + 48):
        pytest.skip("mount -t tmpfs was refused here; the full-disk case is SKIPPED")
    try:
        shutil.copytree(live / "ws", mnt / "ws")
        done = subprocess.run(
            [sys.executable, "-m", "accord", "run", AGREEMENT.id, "--source"]
            + [str(live / "people.csv"), "--at", AGREEMENT.incident.declared_at.isoformat()],
            env={**os.environ, "ACCORD_HOME": str(mnt / "ws")},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    assert done.returncode == 9, done.stderr
    assert "no space is left on the disk" in done.stderr
    assert "Traceback" not in done.stderr
    _assert_no_values(live, done.stdout, done.stderr)


@pytest.mark.parametrize("mode", ["incremental", "delta-only"])
def test_a_malformed_csv_after_a_good_run_is_the_same_intake_error(
    live: Path,
    ws_copy: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    """An incremental run (rows already seen are not re-read) and a delta-only run give the
    full run's exit 2, with the row and the problem and no value, for every malformed source."""
    caplog.set_level(logging.DEBUG)
    assert _run(ws_copy, live / "people.csv") == 0
    extra = ["--delta-only"] if mode == "delta-only" else []
    for name, (path, where, reason) in _malformed_csvs(live, tmp_path).items():
        argv = ["run", AGREEMENT.id, "--source", str(path), *extra]
        code = main(argv, ws_copy, clock=CLOCK)
        out = capsys.readouterr()
        assert code == 2, (name, out.err)
        assert f"{where}:" in out.err and reason in out.err, (name, out.err)
        assert "Traceback" not in out.err + out.out
        _assert_no_values(live, out.out, out.err, caplog.text)


@pytest.mark.parametrize("mode", ["incremental", "delta-only"])
def test_a_malformed_parquet_after_a_good_run_is_the_same_intake_error(
    live: Path,
    ws_copy: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _run(ws_copy, live / "people.parquet") == 0
    extra = ["--delta-only"] if mode == "delta-only" else []
    good = (live / "people.parquet").read_bytes()
    scrambled = tmp_path / "scrambled.parquet"  # footer intact: the schema reads, rows do not
    scrambled.write_bytes(good[:4] + b"\xff" * (len(good) // 2) + good[4 + len(good) // 2 :])
    code = main(["run", AGREEMENT.id, "--source", str(scrambled), *extra], ws_copy, clock=CLOCK)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert "Traceback" not in out.err + out.out
    _assert_no_values(live, out.out, out.err, caplog.text)
