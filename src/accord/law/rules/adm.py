"""Automated decision-making (UK GDPR Art 22A-22D, inserted by DUAA 2025 s80, in force
5 February 2026).

An agreement whose recipient takes significant decisions based solely on automated processing
says so in ``legal_basis.automated_decisions``. Such decisions cannot rest on a recognised
legitimate interest (Art 22B(4)); on special category data they need explicit consent, or
Art 9(2)(g) with the decision required or authorised by law (Art 22B(2)-(3)); and the Art 22C
safeguards must be in place.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import Art6Basis, Art9Condition

B = Severity.blocking
FIELD = "legal_basis.automated_decisions"
SAFEGUARDS = {
    "informs_data_subjects": "information about the decisions",
    "representations": "a way to make representations",
    "human_intervention": "human intervention on request",
    "contest": "a way to contest the decision",
}


def evaluate(ctx: Context) -> Iterator[Finding]:
    adm = ctx.agreement.legal_basis.automated_decisions
    if adm is None or not ctx.personal:
        return
    lb = ctx.agreement.legal_basis
    recipients = {p.org_id for p in ctx.agreement.recipients}
    for org in adm.made_by:
        if org not in recipients:
            yield ctx.finding(
                "adm.not-a-recipient",
                B,
                f"{FIELD}.made_by",
                f"{org} is named as taking automated decisions but receives no data.",
                "art22a",
            )
    if Art6Basis.ea in lb.art6:
        yield ctx.finding(
            "adm.recognised-legitimate-interest",
            B,
            FIELD,
            "Solely automated significant decisions may not be taken where the processing rests "
            "entirely or partly on Art 6(1)(ea) recognised legitimate interests; use another "
            "basis or put a person in the decision.",
            "art22b.ea",
        )
    if ctx.special_category and not adm.explicit_consent:
        authorised = (adm.required_or_authorised_by_law or "").strip()
        if lb.art9 is not Art9Condition.g or not authorised:
            yield ctx.finding(
                "adm.special-category",
                B,
                FIELD,
                "The decisions use special category data: they need the data subject's explicit "
                "consent, or Art 9(2)(g) with the decision required or authorised by law (name "
                "the law in required_or_authorised_by_law).",
                "art22b.special",
            )
    missing = [text for name, text in SAFEGUARDS.items() if not getattr(adm, name)]
    if missing:
        yield ctx.finding(
            "adm.safeguards",
            B,
            FIELD,
            "Solely automated significant decisions need the Art 22C safeguards; missing: "
            + ", ".join(missing)
            + ".",
            "art22c",
        )
    yield ctx.finding(
        "adm.declared",
        Severity.info,
        FIELD,
        f"{', '.join(adm.made_by)} take significant decisions based solely on automated "
        f"processing: {adm.description}",
        "art22a",
    )
