"""accord.law: legal gateways and conditions as data, and the rules engine that checks an agreement.

Owns the law data files (``gateways/*.yaml``, ``data/*.yaml``), the registry they load into, the
evaluation of an agreement into cited :class:`Findings` (domain/rules.md §b.1 order), the
opt-out decision table (§d.4), DPIA triggers (§a.1) and Civil Contingencies Act refusals.

Imports only ``accord.model`` and ``accord.errors``; never ``playbook``, ``engine``, ``server``
or ``cli``.

>>> from datetime import date
>>> from accord.model import example_agreement
>>> check(example_agreement(), at=date(2026, 3, 16)).raise_if_blocking().blocking
Findings([])
"""

from accord.law.builtin import builtin_registry, default_registry
from accord.law.cca import CcaRefusal, available_refusal_grounds, refuse_cca_request
from accord.law.check import check
from accord.law.findings import Finding, Findings, Severity
from accord.law.opt_outs import decide_opt_outs
from accord.law.records import Gateway
from accord.law.registry import LawRegistry
from accord.law.rules.purpose import Compatibility, purpose_compatibility

__all__ = [
    "CcaRefusal",
    "Compatibility",
    "Finding",
    "Findings",
    "Gateway",
    "LawRegistry",
    "Severity",
    "available_refusal_grounds",
    "builtin_registry",
    "check",
    "decide_opt_outs",
    "default_registry",
    "purpose_compatibility",
    "refuse_cca_request",
]
