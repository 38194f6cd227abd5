"""The rules of the engine, one module per step of domain/rules.md §b.1, run in that order.

Each module has one ``evaluate(ctx) -> Iterator[Finding]``. :data:`STEPS` is the order
:func:`accord.law.check` runs them in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from accord.law.context import Context
from accord.law.findings import Finding
from accord.law.rules import (
    adm,
    art6,
    cca,
    children,
    confidentiality,
    controllers,
    dpia,
    existence,
    gateways,
    labels,
    opt_outs,
    purpose,
    research,
    review,
    scope,
    security,
    special,
    transparency,
)

Step = Callable[[Context], Iterable[Finding]]

STEPS: tuple[tuple[str, Step], ...] = (
    ("0 parties in existence", existence.evaluate),
    ("1 personal data", scope.evaluate),
    ("1a identifiability labels", labels.evaluate),
    ("2 vires and gateways", gateways.evaluate),
    ("3 Art 6 basis", art6.evaluate),
    ("3a children", children.evaluate),
    ("4-5 special category and criminal offence data", special.evaluate),
    ("6 common-law confidentiality", confidentiality.evaluate),
    ("7 compatibility of purpose", purpose.evaluate),
    ("7a research safeguards", research.evaluate),
    ("7b automated decision-making", adm.evaluate),
    ("8 opt-outs", opt_outs.evaluate),
    ("9 DPIA", dpia.evaluate),
    ("10 transparency and registers", transparency.evaluate),
    ("controllers and processors", controllers.evaluate),
    ("security", security.evaluate),
    ("civil contingencies request", cca.evaluate),
    ("emergency review", review.evaluate),
)
