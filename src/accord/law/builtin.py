"""accord's own law: the gateway and data files shipped in this package, loaded into a registry
through the same calls a third party would use.

:func:`builtin_registry` returns a fresh, unfrozen registry (add your own gateways to it, then
freeze it); :func:`default_registry` returns one shared frozen copy for :func:`accord.law.check`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from accord.law.conditions import register_condition_detectors
from accord.law.detectors import register_dpia_detectors
from accord.law.preconditions import register_builtin_preconditions
from accord.law.registry import LawRegistry

HERE = Path(__file__).parent
GATEWAY_DIR = HERE / "gateways"
DATA_DIR = HERE / "data"


def builtin_registry() -> LawRegistry:
    registry = LawRegistry()
    register_builtin_preconditions(registry)
    register_dpia_detectors(registry)
    register_condition_detectors(registry)
    registry.add_gateway_directory(GATEWAY_DIR)
    registry.add_data_directory(DATA_DIR)
    registry.validate()
    return registry


@cache
def default_registry() -> LawRegistry:
    """The built-in registry, frozen, loaded once per process."""
    return builtin_registry().freeze()
