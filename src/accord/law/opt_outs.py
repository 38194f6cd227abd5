"""The opt-out decision table of domain/rules.md §d.4.

Which opt-outs apply is decided by the legal basis of the use, not by the organisation: the
confidentiality basis's row in ``data/cldc.yaml`` says ``apply``, ``do_not_apply`` or ``policy``
(the controller decides and records it) for the national data opt-out and for Type 1 opt-outs.

>>> from accord.model import example_agreement
>>> d = decide_opt_outs(example_agreement())
>>> d.apply_ndoo
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accord.law.builtin import default_registry
from accord.law.records import Cited, CldcRule
from accord.law.registry import LawRegistry
from accord.model.agreement import Agreement
from accord.model.enums import ConfidentialityBasis
from accord.model.legal import OptOutDecision

Effect = Literal["apply", "do_not_apply", "policy"]
WORDS: dict[Effect, str] = {
    "apply": "applies",
    "do_not_apply": "does not apply",
    "policy": "is a recorded policy decision",
}


@dataclass(frozen=True)
class OptOutRow:
    """One row of the §d.4 table as it applies to an agreement."""

    ndoo: Effect
    type1: Effect
    rationale: str
    cite: Cited

    def summary(self) -> str:
        return (
            f"National data opt-out {WORDS[self.ndoo]}; Type 1 opt-out {WORDS[self.type1]}. "
            f"{self.rationale}"
        )


def decide_row(agreement: Agreement, registry: LawRegistry) -> OptOutRow:
    lb = agreement.legal_basis
    if not agreement.confidential_patient_information:
        plain = registry.cldc(ConfidentialityBasis.not_confidential)
        return OptOutRow("do_not_apply", "do_not_apply", plain.rationale, plain)
    if agreement.all_flows_anonymised:
        return OptOutRow(
            "do_not_apply",
            "do_not_apply",
            "Every flow is anonymised in line with the ICO code or aggregate, so opt-outs do not "
            "apply.",
            registry.citation("ndoo"),
        )
    if lb.confidentiality_basis is None:
        return OptOutRow(
            "apply",
            "apply",
            "No confidentiality basis is recorded, so opt-outs are applied until one is.",
            registry.citation("ndoo"),
        )
    rule: CldcRule = registry.cldc(lb.confidentiality_basis)
    if lb.cag_opt_out_exemption and rule.ndoo_if_cag_exempt is not None:
        type1 = rule.type1_if_cag_exempt or rule.type1
        ref = lb.s251_ref or "reference not recorded"
        return OptOutRow(
            rule.ndoo_if_cag_exempt,
            type1,
            f"CAG advised an exemption from the opt-out condition for this flow ({ref}); Type 1 "
            "follows the approval.",
            rule,
        )
    return OptOutRow(rule.ndoo, rule.type1, rule.rationale, rule)


def decide_opt_outs(
    agreement: Agreement,
    *,
    registry: LawRegistry | None = None,
    policy_default: bool = True,
) -> OptOutDecision:
    """The computed opt-out decision, with its rationale and citation.

    A ``policy`` column is the controller's recorded decision; it defaults to ``policy_default``
    (True: uphold people's objections unless the controller decides otherwise).
    """
    row = decide_row(agreement, registry or default_registry())

    def value(effect: Effect) -> bool:
        return effect == "apply" or (effect == "policy" and policy_default)

    return OptOutDecision(
        apply_ndoo=value(row.ndoo),
        apply_type1=value(row.type1),
        rationale=f"{row.summary()} ({row.cite.citation})",
    )
