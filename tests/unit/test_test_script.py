"""scripts/test.sh (what CI runs) checks types, then the import contracts, then runs the suite
measuring coverage of accord against a floor."""

from __future__ import annotations

import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test.sh"


def _commands() -> list[str]:
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith((".venv/bin/", "exec "))]


def test_mypy_then_import_contracts_then_pytest() -> None:
    steps = [m.group() for c in _commands() if (m := re.search(r"mypy|lint-imports|pytest", c))]
    assert steps == ["mypy", "lint-imports", "pytest"]


def test_the_suite_measures_coverage_against_a_floor() -> None:
    (pytest,) = [c for c in _commands() if "pytest" in c]
    assert "--cov" in pytest.split()
    floor = re.search(r"--cov-fail-under=(\d+)", pytest)
    assert floor is not None and int(floor.group(1)) >= 50
