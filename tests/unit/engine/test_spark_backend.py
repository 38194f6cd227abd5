"""The Spark engine through the command line and at its edges (the conformance suite holds it to
the reference clause by clause): ``accord run --engine spark`` delivers what DuckDB delivers; a
source Spark cannot read is a clear intake error naming no value; a clause it cannot enforce is
refused before any row is read; without pyspark the error names the extra to install."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from engines import SPARK_MISSING, SPARK_REASON

from accord.cli import main
from accord.clock import FixedClock
from accord.engine import get_backend, run_agreement
from accord.errors import ConfigError, UnsupportedClause
from accord.model import Agreement, example_agreement
from accord.service import agreements, runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)]

AGREEMENT = example_agreement()
assert AGREEMENT.incident is not None
CLOCK = FixedClock(AGREEMENT.incident.declared_at)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-cli")
    with Workspace.init(root / "ws", clock=CLOCK) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=500, seed=7)
        write_population(root / "people.parquet", rows=300, seed=7, postcode_directory=directory)
        agreements.create(ws, AGREEMENT)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, AGREEMENT.id, target)
    return root


def _manifests(home: Path) -> dict[str, dict[str, object]]:
    found = sorted((home / "deliveries").rglob("manifest.json"))
    assert found
    out = {}
    for path in found:
        data = json.loads(path.read_bytes())
        out[data["flow"]] = {k: data[k] for k in ("rows", "files", "columns", "data_quality")}
    return out


def test_accord_run_engine_spark_delivers_what_duckdb_delivers(
    live: Path, tmp_path: Path, spark_session: object
) -> None:
    homes = {}
    for engine in ("duckdb", "spark"):
        home = tmp_path / engine
        shutil.copytree(live / "ws", home)
        args = ["run", AGREEMENT.id, "--source", str(live / "people.parquet"), "--engine", engine]
        if engine == "spark":
            args += ["--spark-conf", "spark.sql.shuffle.partitions=1"]
        assert main(args, {"ACCORD_HOME": str(home)}, clock=CLOCK) == 0
        homes[engine] = home
    duck, spark = _manifests(homes["duckdb"]), _manifests(homes["spark"])
    assert spark == duck
    assert sum(int(m["rows"]) for m in spark.values()) > 0  # type: ignore[call-overload]


def test_a_source_spark_cannot_read_is_an_intake_error_without_values(
    live: Path, tmp_path: Path, spark_session: object, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "ws"
    shutil.copytree(live / "ws", home)
    good = (live / "people.parquet").read_bytes()
    scrambled = tmp_path / "scrambled.parquet"  # footer intact: the schema reads, rows do not
    scrambled.write_bytes(good[:4] + b"\xff" * (len(good) // 2) + good[4 + len(good) // 2 :])
    args = ["run", AGREEMENT.id, "--source", str(scrambled), "--engine", "spark"]
    code = main(args, {"ACCORD_HOME": str(home)}, clock=CLOCK)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert "could not be processed" in out.err and "Traceback" not in out.err + out.out
    numbers = set(pq.read_table(live / "people.parquet").column("nhs_number").to_pylist())
    assert not [n for n in numbers if n and n in out.err + out.out]


def _with_pattern(pattern: str) -> Agreement:
    doc = AGREEMENT.model_dump(mode="json")
    for item in doc["data_items"]:
        if item["name"] == "given_name":
            item["table_schema"] = {"type": "string", "constraints": {"pattern": pattern}}
    return Agreement.model_validate(doc)


def test_a_pattern_java_reads_otherwise_is_refused_before_any_row(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedClause) as caught:
        run_agreement(
            _with_pattern("(?P<first>[A-Z])[a-z]+"),
            status="active",
            source=tmp_path / "never-opened.parquet",  # refused before the source is opened
            out_dir=tmp_path / "out",
            secret=b"s" * 32,
            geography=None,
            now=CLOCK.now(),
            backend="spark",
        )
    assert caught.value.problems[0].where == "checks.given_name"
    assert not (tmp_path / "out").exists()


def test_spark_settings_are_spark_star_and_key_value() -> None:
    with pytest.raises(ConfigError):
        get_backend("spark", {"master": "local[1]"})
    assert main(["run", AGREEMENT.id, "--source", "x.parquet", "--spark-conf", "novalue"], {}) != 0


def test_without_pyspark_the_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "from accord.engine import get_backend\n"
        "from accord.errors import ConfigError\n"
        "try:\n    get_backend('spark')\n"
        "except ConfigError as e:\n    print(e.message, e.problems[0].reason)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "needs pyspark" in out.stdout and "accord[spark]" in out.stdout


def test_a_new_spark_session_logs_no_start_up_warnings() -> None:
    """Spark's JVM logs at ERROR from its first line (the packaged log4j2 file), so a run on
    Spark prints no warnings (loopback address, native Hadoop library) beside accord's output."""
    code = "from accord.engine.backends.spark import session\nsession().stop()\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    logged = re.findall(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (\w+) ", out.stderr, re.MULTILINE)
    assert logged == [], out.stderr
    assert "default log4j profile" not in out.stderr
