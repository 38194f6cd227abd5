"""The dependency direction of DEVELOPERS.md holds: every import contract in pyproject.toml is
kept (the same check ``scripts/test.sh`` runs as ``lint-imports``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def test_every_import_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out


def test_the_layers_cover_every_package() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    assert layers["exhaustive"] is True
    listed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    src = ROOT / "src" / "accord"
    packages = {p.parent.name for p in src.glob("*/__init__.py")}
    modules = {p.stem for p in src.glob("*.py") if p.stem != "__init__"}
    assert packages | modules == listed
