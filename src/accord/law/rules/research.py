"""Research, archiving and statistics safeguards (UK GDPR Art 84A-84C, inserted by DUAA 2025
ss86-87 in place of Art 89(1) and DPA 2018 s19).

Personal data processed for research or statistics, or under Art 9(2)(j), needs the safeguards
recorded: technical and organisational measures (data minimisation), no measures or decisions
about particular individuals unless it is approved medical research, and no likely substantial
damage or distress.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import Art9Condition, PurposeCategory

B = Severity.blocking
FIELD = "legal_basis.research_safeguards"
RESEARCH = frozenset({PurposeCategory.research, PurposeCategory.official_statistics})


def evaluate(ctx: Context) -> Iterator[Finding]:
    if not ctx.personal or (ctx.agreement.flows and not ctx.identifying_flows):
        return
    lb = ctx.agreement.legal_basis
    research = [p for p in ctx.agreement.purposes if p.category in RESEARCH]
    if lb.art9 is not Art9Condition.j and not research:
        return
    safeguards = lb.research_safeguards
    if safeguards is None:
        yield ctx.finding(
            "research.safeguards-missing",
            B,
            FIELD,
            "Personal data is processed for archiving, research or statistics: record the "
            "Art 84B safeguards (technical and organisational measures, data minimisation).",
            "art84b",
        )
        return
    if (
        not safeguards.not_for_decisions_about_individuals
        and not (safeguards.approved_medical_research_ref or "").strip()
    ):
        yield ctx.finding(
            "research.decisions-about-individuals",
            B,
            f"{FIELD}.not_for_decisions_about_individuals",
            "Research processing must not support measures or decisions about particular "
            "individuals unless it is approved medical research (give its approval reference).",
            "art84b",
        )
    if not safeguards.not_likely_to_cause_substantial_damage_or_distress:
        yield ctx.finding(
            "research.damage-or-distress",
            B,
            f"{FIELD}.not_likely_to_cause_substantial_damage_or_distress",
            "Research processing must not be likely to cause substantial damage or substantial "
            "distress to a data subject; record that it is not.",
            "art84b",
        )
