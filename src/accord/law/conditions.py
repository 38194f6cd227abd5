"""Detectors for the conditions of UK GDPR Annex 1 (recognised legitimate interests) and
Annex 2 (further processing treated as compatible), named by ``data/annex1.yaml`` and
``data/annex2.yaml``.

Each takes the rule context and one purpose of the agreement and returns a short reason when the
agreement shows the condition for that purpose, or None. They are registered by name
(:func:`register_condition_detectors`), as a third party's would be.
"""

from __future__ import annotations

from accord.law.context import Context, is_public_authority
from accord.law.registry import LawRegistry
from accord.model.agreement import Purpose
from accord.model.enums import Art6Basis, PurposeCategory

CRIME = frozenset({PurposeCategory.crime, PurposeCategory.fraud})
SECURITY = frozenset(
    {PurposeCategory.national_security, PurposeCategory.public_security, PurposeCategory.defence}
)


def public_task_request(ctx: Context) -> str | None:
    """A request from a recipient stating it needs the data for its Art 6(1)(e) processing with
    an Art 6(3) basis. A Civil Contingencies Act written request giving the reason (a CCA duty)
    from a public authority recipient is one."""
    req = ctx.agreement.legal_basis.public_task_request
    recipients = {p.org_id for p in ctx.controller_recipients}
    if req is not None and req.states_public_task and req.requester in recipients:
        return f"{req.requester} asked for the data for its public task ({req.art6_3_basis})"
    cca = ctx.agreement.cca_request
    if (
        cca is not None
        and cca.in_writing
        and (cca.reason or "").strip()
        and any(is_public_authority(p) for p in ctx.controller_recipients)
    ):
        return "a written Civil Contingencies Act request states the requester's duty"
    return None


def annex1_public_task_request(ctx: Context, purpose: Purpose) -> str | None:
    return public_task_request(ctx)


def annex1_national_security(ctx: Context, purpose: Purpose) -> str | None:
    if purpose.category in SECURITY:
        return purpose.category.value.replace("_", " ")
    return None


def annex1_emergency(ctx: Context, purpose: Purpose) -> str | None:
    if ctx.part2_emergency:
        incident = ctx.agreement.incident
        assert incident is not None  # part2_emergency implies an incident
        return f"incident {incident.incident_id} is an emergency in the CCA 2004 Part 2 sense"
    return None


def annex1_crime(ctx: Context, purpose: Purpose) -> str | None:
    if purpose.category in CRIME:
        return f"purpose {purpose.id} is {purpose.category.value}"
    return None


def annex1_safeguarding(ctx: Context, purpose: Purpose) -> str | None:
    if purpose.category is PurposeCategory.safeguarding:
        return f"purpose {purpose.id} is safeguarding"
    return None


def annex2_public_task_request(ctx: Context, purpose: Purpose) -> str | None:
    req = ctx.agreement.legal_basis.public_task_request
    if req is None or not (req.art23_objective or "").strip():
        return None
    if any(is_public_authority(p) for p in ctx.disclosers):
        return None  # para 1(a)(ii): not processing by a public authority in its tasks
    recipients = {p.org_id for p in ctx.controller_recipients}
    if not req.states_public_task or req.requester not in recipients:
        return None
    return (
        f"{req.requester} asked for the data for its public task ({req.art6_3_basis}), "
        f"objective: {req.art23_objective}"
    )


def annex2_public_security(ctx: Context, purpose: Purpose) -> str | None:
    if purpose.category is PurposeCategory.public_security:
        return f"purpose {purpose.id} is public security"
    return None


def annex2_vital_interests(ctx: Context, purpose: Purpose) -> str | None:
    if Art6Basis.d in ctx.agreement.legal_basis.art6:
        return "the processing rests on vital interests (Art 6(1)(d))"
    return None


def annex2_taxation(ctx: Context, purpose: Purpose) -> str | None:
    if purpose.category is PurposeCategory.taxation:
        return f"purpose {purpose.id} is taxation"
    return None


def annex2_legal_obligation(ctx: Context, purpose: Purpose) -> str | None:
    lb = ctx.agreement.legal_basis
    law = (lb.statutory_power or lb.art6_function or "").strip()
    if Art6Basis.c in lb.art6 and law:
        return f"a legal obligation: {law}"
    return None


DETECTORS = {
    "annex1_public_task_request": annex1_public_task_request,
    "annex1_national_security": annex1_national_security,
    "annex1_emergency": annex1_emergency,
    "annex1_crime": annex1_crime,
    "annex1_safeguarding": annex1_safeguarding,
    "annex2_public_task_request": annex2_public_task_request,
    "annex2_public_security": annex2_public_security,
    "annex2_emergency": annex1_emergency,
    "annex2_crime": annex1_crime,
    "annex2_vital_interests": annex2_vital_interests,
    "annex2_safeguarding": annex1_safeguarding,
    "annex2_taxation": annex2_taxation,
    "annex2_legal_obligation": annex2_legal_obligation,
}


def register_condition_detectors(registry: LawRegistry) -> None:
    for name, detector in DETECTORS.items():
        registry.add_condition_detector(name, detector)
