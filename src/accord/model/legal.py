"""The legal basis of an agreement, its opt-out decision and its DPIA record (§a.3, §b, §d)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from accord.model._base import Part
from accord.model.enums import Art6Basis, Art9Condition, ConfidentialityBasis, DpiaStatus, RiskLevel


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
