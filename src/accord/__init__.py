"""accord: emergency data sharing between UK public bodies, safely and in minutes.

A data-sharing agreement is data: one versioned, hashed, signed document that accord checks
against the law, compiles into per-recipient flows, runs itself and records in a tamper-evident
log. The names below are the stable Python API; everything else may change.

Importing ``accord`` loads nothing else: each name is imported on first use (PEP 562), so an
auditor's ``import accord.ledger.merkle`` or ``python -m accord.ledger`` needs only the
ledger's own dependencies, not the data stack of the engine.

>>> from datetime import date
>>> from accord import check, example_agreement
>>> check(example_agreement(), at=date(2026, 3, 16)).blocking
Findings([])
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from accord.engine import RunResult, run_agreement
    from accord.errors import AccordError
    from accord.law import Finding, Findings, check
    from accord.ledger.log import Ledger
    from accord.ledger.verify import verify_export
    from accord.model import Agreement, agreement_hash, example_agreement, load_agreement
    from accord.playbook import instantiate, list_templates
    from accord.workspace import Workspace

__version__ = "0.1.0"

# Each public name and the module it comes from.
_LAZY = {
    "AccordError": "accord.errors",
    "Agreement": "accord.model",
    "Finding": "accord.law",
    "Findings": "accord.law",
    "Ledger": "accord.ledger.log",
    "RunResult": "accord.engine",
    "Workspace": "accord.workspace",
    "agreement_hash": "accord.model",
    "check": "accord.law",
    "example_agreement": "accord.model",
    "instantiate": "accord.playbook",
    "list_templates": "accord.playbook",
    "load_agreement": "accord.model",
    "run_agreement": "accord.engine",
    "verify_export": "accord.ledger.verify",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accord' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AccordError",
    "Agreement",
    "Finding",
    "Findings",
    "Ledger",
    "RunResult",
    "Workspace",
    "__version__",
    "agreement_hash",
    "check",
    "example_agreement",
    "instantiate",
    "list_templates",
    "load_agreement",
    "run_agreement",
    "verify_export",
]
