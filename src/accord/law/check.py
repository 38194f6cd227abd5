"""``check``: evaluate an agreement against the law, in the order of domain/rules.md §b.1.

>>> from datetime import date
>>> from accord.model import example_agreement
>>> findings = check(example_agreement(), at=date(2026, 3, 16))
>>> findings.blocking
Findings([])
>>> "optout.decision" in findings.codes
True
"""

from __future__ import annotations

from datetime import date, datetime

from accord.law.builtin import default_registry
from accord.law.context import Context, OrganisationLookup
from accord.law.findings import Findings
from accord.law.registry import LawRegistry
from accord.law.rules import STEPS
from accord.model.agreement import Agreement


def check(
    agreement: Agreement,
    at: date,
    *,
    registry: LawRegistry | None = None,
    organisations: OrganisationLookup | None = None,
) -> Findings:
    """Every finding about ``agreement`` on the date ``at`` (a datetime is taken as its date).

    ``organisations`` tells whether a party exists on that date (see
    :func:`accord.service.parties.organisation_lookup`); without it, existence is not checked.
    """
    on = at.date() if isinstance(at, datetime) else at
    ctx = Context(agreement, on, registry or default_registry(), organisations)
    return Findings(finding for _, step in STEPS for finding in step(ctx))
