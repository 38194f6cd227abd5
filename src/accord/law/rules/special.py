"""Steps 4 and 5: special category data (Art 9(2) + DPA 2018 Sch 1 + appropriate policy
document; the Sch 1 para 2/3 duty of confidentiality checked at each recipient) and criminal
offence data (Art 10 + Sch 1 Part 3)."""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity

B = Severity.blocking


def evaluate(ctx: Context) -> Iterator[Finding]:
    if not ctx.personal:
        return
    if ctx.special_category:
        yield from _art9(ctx)
    if ctx.criminal_offence and ctx.agreement.legal_basis.art10_sch1_part3_paragraph is None:
        yield ctx.finding(
            "art10.missing-condition",
            B,
            "legal_basis.art10_sch1_part3_paragraph",
            "Criminal offence data is shared: name the DPA 2018 Sch 1 Part 3 condition (or the "
            "official authority) relied on.",
            "art10",
        )


def _art9(ctx: Context) -> Iterator[Finding]:
    lb = ctx.agreement.legal_basis
    if lb.art9 is None:
        why = (
            "confidential patient information is health data"
            if ctx.agreement.confidential_patient_information
            else "a data item is special category data"
        )
        yield ctx.finding(
            "art9.missing-condition",
            B,
            "legal_basis.art9",
            f"Special category data is processed ({why}): name the Art 9(2) condition.",
            "art9",
        )
        return
    rule = ctx.registry.art9(lb.art9)
    if not rule.sch1_paragraphs:
        return
    para_no = lb.dpa_sch1_paragraph
    if para_no is None:
        yield ctx.finding(
            "sch1.missing-paragraph",
            B,
            "legal_basis.dpa_sch1_paragraph",
            f"Art 9(2)({lb.art9.value}) needs its UK-law condition in DPA 2018 Sch 1: "
            f"paragraph {_paras(rule.sch1_paragraphs)}.",
            rule,
        )
        return
    if para_no not in rule.sch1_paragraphs:
        yield ctx.finding(
            "sch1.mismatch",
            B,
            "legal_basis.dpa_sch1_paragraph",
            f"Sch 1 paragraph {para_no} does not go with Art 9(2)({lb.art9.value}); it needs "
            f"paragraph {_paras(rule.sch1_paragraphs)}.",
            rule,
        )
        return
    para = ctx.registry.sch1(para_no)
    if para is None:
        return
    if para.apd_required and not (lb.appropriate_policy_document_ref or "").strip():
        yield ctx.finding(
            "sch1.apd-missing",
            B,
            "legal_basis.appropriate_policy_document_ref",
            f"Sch 1 paragraph {para_no} ({para.title.lower()}) needs an appropriate policy "
            "document: reference it.",
            "sch1.apd",
        )
    if para.recipient_duty_of_confidentiality:
        code, cite = (
            ("sch1.para3-recipient", "sch1.para3")
            if para_no == 3
            else ("sch1.para2-recipient", "sch1.para2")
        )
        for party in ctx.receivers_of_identifying_data():
            if not party.health_professional_or_duty_of_confidentiality:
                yield ctx.finding(
                    code,
                    B,
                    f"{ctx.party_field(party)}.health_professional_or_duty_of_confidentiality",
                    f"{party.name} receives the data under Sch 1 paragraph {para_no} but is not "
                    "recorded as processing it by or under a health professional, or as owing a "
                    "duty of confidentiality under an enactment or rule of law.",
                    cite,
                )


def _paras(paras: list[int]) -> str:
    if len(paras) > 2 and paras == list(range(paras[0], paras[-1] + 1)):
        return f"{paras[0]}-{paras[-1]}"
    return " or ".join(str(p) for p in paras)
