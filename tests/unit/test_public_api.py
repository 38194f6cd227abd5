from __future__ import annotations

import importlib

import accord
import accord.model


def test_all_lists_exactly_the_public_names() -> None:
    # dir(), not vars(): the package root imports its names on first use (PEP 562).
    for module in (accord, accord.model):
        public = {n for n in dir(module) if not n.startswith("_")}
        public -= {n for n in public if type(getattr(module, n)).__name__ == "module"}
        public -= {"annotations"}
        assert sorted(module.__all__) == sorted(public | {"__version__"} & set(module.__all__))


def test_the_package_root_resolves_every_public_name_from_its_module() -> None:
    for name in accord.__all__:
        assert getattr(accord, name) is not None, name
    assert accord.check is importlib.import_module("accord.law").check
    assert accord.Ledger is importlib.import_module("accord.ledger.log").Ledger
