"""Step 6: the common-law duty of confidentiality for confidential patient information (CPI).

CPI needs a basis (consent, s251 support, COPI reg 2/3, legal requirement, overriding public
interest...). Each basis may need a gateway that provides it, a reference, or individual care.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import ApprovalRole, ConfidentialityBasis, Decision

B = Severity.blocking


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    lb = a.legal_basis
    if not a.confidential_patient_information:
        if ctx.personal and ctx.health_discloser and ctx.shared_health_items:
            yield ctx.finding(
                "cldc.cpi-undeclared",
                Severity.warning,
                "confidential_patient_information",
                "A health or care body shares identifiable health data but the agreement does not "
                "say it is confidential patient information; confirm, or set the flag.",
                "cldc",
            )
        return
    if not ctx.personal:
        return
    basis = lb.confidentiality_basis
    if basis is None:
        yield ctx.finding(
            "cldc.missing-basis",
            B,
            "legal_basis.confidentiality_basis",
            "Confidential patient information is shared: name the basis that satisfies or sets "
            "aside the duty of confidentiality (consent, s251 support, COPI regulation 3, a legal "
            "requirement or the overriding public interest).",
            "cldc",
        )
        return
    rule = ctx.registry.cldc(basis)
    if basis is ConfidentialityBasis.not_confidential:
        yield ctx.finding(
            "cldc.basis-contradiction",
            B,
            "legal_basis.confidentiality_basis",
            "The agreement says the data is confidential patient information and also that it is "
            "not confidential.",
            rule,
        )
    if rule.requires_gateway_any and not set(rule.requires_gateway_any) & set(lb.gateways):
        yield ctx.finding(
            "cldc.gateway-missing",
            B,
            "legal_basis.gateways",
            f"{rule.title} is the confidentiality basis, so list the gateway that provides it: "
            + " or ".join(rule.requires_gateway_any)
            + ".",
            rule,
        )
    if rule.requires_field and not (getattr(lb, rule.requires_field) or "").strip():
        yield ctx.finding(
            "cldc.reference-missing",
            B,
            f"legal_basis.{rule.requires_field}",
            f"{rule.title}: record {rule.requires_field.replace('_', ' ')}.",
            rule,
        )
    if rule.requires_individual_care:
        for i, purpose in enumerate(a.purposes):
            if not purpose.is_individual_care:
                yield ctx.finding(
                    "cldc.not-individual-care",
                    B,
                    f"purposes.{i}.is_individual_care",
                    f"{rule.title} covers individual care only; purpose {purpose.id} is not.",
                    rule,
                )
    if basis is ConfidentialityBasis.overriding_public_interest and not any(
        ap.role is ApprovalRole.caldicott_guardian
        and ap.decision in {Decision.approve, Decision.approve_with_conditions}
        for ap in a.approvals
    ):
        yield ctx.finding(
            "cldc.public-interest-cg",
            Severity.warning,
            "approvals",
            "The overriding public interest needs a documented public interest test, usually the "
            "Caldicott Guardian's decision; none is recorded yet.",
            "cldc.public-interest",
        )
