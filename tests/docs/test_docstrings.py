"""Every public module of accord says what it is for in a docstring."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import accord


def _public_modules() -> list[str]:
    names = ["accord"]
    for info in pkgutil.walk_packages(accord.__path__, prefix="accord."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or info.name == "accord.__main__":
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _public_modules()


def test_the_walk_finds_the_packages() -> None:
    for name in ("accord.ledger.merkle", "accord.engine.predicate", "accord.cli"):
        assert name in MODULES
    assert not any("._" in m for m in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_public_module_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    doc = (module.__doc__ or "").strip()
    assert doc, f"{name} has no module docstring"
    assert len(doc.split()) >= 4, f"{name}'s docstring is too short to say what it is for"
