"""The legal basis of an agreement, its opt-out decision and its DPIA record (§a.3, §b, §d).

The parts added for the Data (Use and Access) Act 2025 are optional, so agreements written
before it still load: a request stating a public task (UK GDPR Annex 1 para 1, Annex 2 para 1),
the purpose the data was first collected for (Art 8A), solely automated significant decisions
(Art 22A-22D) and the research safeguards of Art 84A-84C.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from accord.model._base import Part
from accord.model.enums import (
    Art6Basis,
    Art9Condition,
    ConfidentialityBasis,
    DpiaStatus,
    PurposeCategory,
    RiskLevel,
)
from accord.model.ids import OrgId


class PublicTaskRequest(Part):
    """A request for the data stating that the requester needs it for its own processing under
    Art 6(1)(e) with a basis in law that satisfies Art 6(3) (UK GDPR Annex 1 para 1). Any body
    may make it, in any form; a Civil Contingencies Act request is one kind."""

    requester: OrgId
    states_public_task: bool
    # The requester's basis in law (Art 6(3)) as the request states it.
    art6_3_basis: str = Field(min_length=1)
    # Annex 2 para 1 also needs the objective of Art 23(1)(c)-(j) the processing safeguards.
    art23_objective: str | None = None
    received_at: datetime | None = None


class OriginalPurpose(Part):
    """The purpose the discloser collected the data for (Art 8A(1)), against which a new
    purpose is checked for compatibility."""

    description: str = Field(min_length=1)
    category: PurposeCategory
    art6: list[Art6Basis] = Field(default_factory=list)


class AutomatedDecisions(Part):
    """Significant decisions taken with the data based solely on automated processing
    (Art 22A), and the Art 22C safeguards for them."""

    made_by: list[OrgId] = Field(min_length=1)
    description: str = Field(min_length=1)
    informs_data_subjects: bool = False
    representations: bool = False
    human_intervention: bool = False
    contest: bool = False
    # Art 22B(2)-(3): special category data needs explicit consent, or Art 9(2)(g) with the
    # decision required or authorised by law (name the law).
    explicit_consent: bool = False
    required_or_authorised_by_law: str | None = None


class ResearchSafeguards(Part):
    """Safeguards for archiving, research and statistics (UK GDPR Art 84A-84C, which replaced
    Art 89(1) and DPA 2018 s19)."""

    # Technical and organisational measures, including data minimisation (and pseudonymisation
    # where the purposes can be met that way).
    measures: str = Field(min_length=1)
    not_for_decisions_about_individuals: bool = False
    approved_medical_research_ref: str | None = None
    not_likely_to_cause_substantial_damage_or_distress: bool = False


class LegalBasis(Part):
    art6: list[Art6Basis] = Field(min_length=1)
    # The function or power relied on for Art 6(1)(c)/(e) ("laid down in law", Art 6(3)).
    art6_function: str | None = None
    art9: Art9Condition | None = None
    dpa_sch1_paragraph: int | None = Field(default=None, ge=1, le=37)
    appropriate_policy_document_ref: str | None = None
    art10_sch1_part3_paragraph: int | None = Field(default=None, ge=29, le=37)
    # Legal gateway ids from accord.law (e.g. copi_reg3_4_notice, dea_psd, cca_info_sharing).
    gateways: list[str] = Field(default_factory=list)
    statutory_power: str | None = None
    confidentiality_basis: ConfidentialityBasis | None = None
    copi_notice_ref: str | None = None
    s251_ref: str | None = None
    cag_opt_out_exemption: bool = False
    lia_ref: str | None = None
    dea_objective: str | None = None
    data_provision_notice_ref: str | None = Field(
        default=None, description="HSCA 2012 s259: the Data Provision Notice requiring the data."
    )
    public_task_request: PublicTaskRequest | None = Field(
        default=None,
        description="A request stating the requester needs the data for its public task "
        "(UK GDPR Annex 1 para 1, Annex 2 para 1).",
    )
    original_purpose: OriginalPurpose | None = Field(
        default=None,
        description="The purpose the data was collected for, so a new purpose is checked for "
        "compatibility (Art 8A).",
    )
    compatibility_assessment_ref: str | None = Field(
        default=None, description="The controller's compatibility assessment (Art 8A(2))."
    )
    automated_decisions: AutomatedDecisions | None = Field(
        default=None,
        description="Significant decisions a recipient takes solely by automated processing "
        "(Art 22A-22D); say so here.",
    )
    research_safeguards: ResearchSafeguards | None = Field(
        default=None,
        description="Safeguards for archiving, research and statistics (Art 84A-84C).",
    )
    basis_refs: list[str] = Field(
        default_factory=list,
        description="Ids of dated legal bases (notices, approvals, directions) relied on besides "
        "copi_notice_ref and s251_ref; one that ends suspends the flows resting on it.",
    )


class OptOutDecision(Part):
    apply_ndoo: bool
    apply_type1: bool
    rationale: str = Field(min_length=1)
    ndoo_list: str | None = None
    type1_list: str | None = None


class DPIARef(Part):
    status: DpiaStatus
    outcome: str | None = None
    residual_risk: RiskLevel | None = None
    art36_consulted: bool = False
    due_by: date | None = None
    screening_ref: str | None = None
    completed_on: date | None = None
