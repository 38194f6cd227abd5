"""Step 7: compatibility of purpose (UK GDPR Art 5(1)(b), Art 8A and Annex 2).

The agreement records the purpose the discloser collected the data for
(``legal_basis.original_purpose``). Each purpose of the agreement is then compatible when it is
that purpose, when the data subject consents (Art 8A(3)(a)), when it is research, archiving or
statistics with the Art 84B safeguards recorded (Art 8A(3)(b)), when an Annex 2 condition holds
(Art 8A(3)(c), ``data/annex2.yaml``, including its emergencies condition in the CCA 2004 Part 2
sense), or on the controller's recorded compatibility assessment (Art 8A(2)). Otherwise it is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.law.records import Cited
from accord.law.registry import LawRegistry
from accord.model.agreement import Agreement, Purpose
from accord.model.enums import Art6Basis, PurposeCategory

RESEARCH = frozenset({PurposeCategory.research, PurposeCategory.official_statistics})


@dataclass(frozen=True)
class Compatibility:
    """The answer for one purpose: compatible or not, and the condition relied on."""

    purpose_id: str
    compatible: bool
    condition: str
    reason: str
    cite: Cited


def compatibility(ctx: Context, purpose: Purpose) -> Compatibility:
    lb = ctx.agreement.legal_basis
    original = lb.original_purpose
    reg = ctx.registry
    assert original is not None  # callers check

    def yes(condition: str, reason: str, cite: Cited) -> Compatibility:
        return Compatibility(purpose.id, True, condition, reason, cite)

    if purpose.category is original.category:
        return yes(
            "the purpose of collection",
            f"{purpose.category.value} is the purpose the data was collected for",
            reg.citation("art8a.same-purpose"),
        )
    if Art6Basis.a in lb.art6:
        return yes(
            "consent to the new purpose (Art 8A(3)(a))",
            "the data subjects consent",
            reg.citation("art8a.consent"),
        )
    if purpose.category in RESEARCH and lb.research_safeguards is not None:
        return yes(
            "research, archiving or statistics in accordance with Art 84B (Art 8A(3)(b))",
            "the Art 84A-84C safeguards are recorded",
            reg.citation("art8a.research"),
        )
    for cond in reg.annex_conditions(2):
        reason = reg.condition_detector(cond.detector)(ctx, purpose)
        if reason:
            return yes(f"{cond.title.lower()} (Annex 2 para {cond.paragraph})", reason, cond)
    if (lb.compatibility_assessment_ref or "").strip():
        return yes(
            "the controller's compatibility assessment (Art 8A(2))",
            f"assessment {lb.compatibility_assessment_ref}",
            reg.citation("art8a.assessment"),
        )
    return Compatibility(
        purpose.id,
        False,
        "none",
        f"{purpose.category.value} differs from the purpose of collection "
        f"({original.category.value}) and no Art 8A(3) route or Annex 2 condition is shown",
        reg.citation("art5.purpose"),
    )


def purpose_compatibility(
    agreement: Agreement, *, registry: LawRegistry | None = None
) -> list[Compatibility]:
    """Whether each purpose of ``agreement`` is compatible with the recorded purpose of
    collection, and the condition relied on (empty when no original purpose is recorded).

    >>> from accord.model import example_agreement
    >>> purpose_compatibility(example_agreement())
    []
    """
    from accord.law.builtin import default_registry

    ctx = Context(agreement, date.min, registry or default_registry())
    if agreement.legal_basis.original_purpose is None:
        return []
    return [compatibility(ctx, p) for p in agreement.purposes]


def evaluate(ctx: Context) -> Iterator[Finding]:
    if not ctx.personal:
        return
    if ctx.agreement.legal_basis.original_purpose is None:
        yield ctx.finding(
            "purpose.original-not-recorded",
            Severity.info,
            "legal_basis.original_purpose",
            "The purpose the data was collected for is not recorded, so compatibility of the new "
            "purpose (Art 8A) is not checked.",
            "art8a.original-purpose",
        )
        return
    for i, purpose in enumerate(ctx.agreement.purposes):
        answer = compatibility(ctx, purpose)
        if answer.compatible:
            yield ctx.finding(
                "purpose.compatible",
                Severity.info,
                f"purposes.{i}",
                f"Purpose {purpose.id} is compatible with the purpose of collection: "
                f"{answer.condition} ({answer.reason}).",
                answer.cite,
            )
        else:
            yield ctx.finding(
                "purpose.incompatible",
                Severity.blocking,
                f"purposes.{i}",
                f"Purpose {purpose.id} is not compatible with the purpose of collection: "
                f"{answer.reason}. Record a compatibility assessment (Art 8A(2)) or rely on a "
                "new purpose's own basis.",
                answer.cite,
            )
