"""accord: emergency data sharing between UK public bodies, safely and in minutes.

A data-sharing agreement is data: one versioned, hashed, signed document that accord checks
against the law, compiles into per-recipient flows, runs itself and records in a tamper-evident
log. The names below are the stable Python API; everything else may change.

>>> from datetime import date
>>> from accord import check, example_agreement
>>> check(example_agreement(), at=date(2026, 3, 16)).blocking
Findings([])
"""

from accord.engine import RunResult, run_agreement
from accord.errors import AccordError
from accord.law import Finding, Findings, check
from accord.ledger.log import Ledger
from accord.ledger.verify import verify_export
from accord.model import Agreement, agreement_hash, example_agreement, load_agreement
from accord.playbook import instantiate, list_templates
from accord.workspace import Workspace

__version__ = "0.1.0"

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
