"""Governance parts of an agreement (§a.3, §b.4): incident, security, retention, rights,
approvals, review, termination, transparency, and the written request of a Civil Contingencies Act
share."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from accord.model._base import Part
from accord.model.enums import (
    ApprovalRole,
    Certification,
    Decision,
    DsptStatus,
    SecurityClassification,
)
from accord.model.ids import OrgId


class Incident(Part):
    incident_id: str = Field(min_length=1, max_length=80)
    title: str = ""
    declared_by_party: OrgId
    declared_by_role: str = Field(min_length=1)
    declared_at: datetime
    cca_emergency: bool = Field(
        description="An emergency in the CCA 2004 Part 1 sense (s1: a place in the UK), the "
        "meaning of the Contingency Planning Regulations 2005 (reg 3(1))."
    )
    cca_part2_emergency: bool | None = Field(
        default=None,
        description="An emergency in the CCA 2004 Part 2 sense (s19: the UK or a Part or region), "
        "the meaning of UK GDPR Annex 1 paras 3-4 and Annex 2 paras 4-5; null: not assessed.",
    )
    review_by: datetime
    arbiter: str | None = None

    @model_validator(mode="after")
    def _review_after_declaration(self) -> Incident:
        if self.review_by <= self.declared_at:
            raise ValueError("review_by must be after declared_at")
        if self.cca_part2_emergency and not self.cca_emergency:
            # A Part or region of the UK is a place in the UK: a Part 2 emergency is a Part 1 one.
            raise ValueError("cca_part2_emergency implies cca_emergency (CCA 2004 s1 and s19)")
        return self


class Security(Part):
    classification: SecurityClassification = SecurityClassification.OFFICIAL_SENSITIVE
    dspt_min: DsptStatus = DsptStatus.standards_met
    encryption_in_transit: bool = True
    encryption_at_rest: bool = True
    access_model: str = "need-to-know (Caldicott principle 4)"
    audit_logging_required: bool = True
    breach_notify_partners_within: str = "PT24H"
    # Certificates each recipient of identifiable data must hold (ISO 27001, Cyber Essentials),
    # checked against the party's assurance records over time (accord.service.assurance).
    certifications_required: list[Certification] = Field(default_factory=list)


class Retention(Part):
    period: str = Field(
        pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$", min_length=3
    )
    trigger: str = "from receipt"
    disposal: str = "secure deletion with certificate"


class RightsHandling(Part):
    lead_party: OrgId
    privacy_notice_urls: dict[str, str] = Field(default_factory=dict)
    art14_approach: str = ""


class Approval(Part):
    party: OrgId
    role: ApprovalRole
    decision: Decision
    conditions: str | None = None
    reasons: str | None = None
    approver: str | None = None
    timestamp: datetime
    signature: str | None = None

    @model_validator(mode="after")
    def _reject_has_reasons(self) -> Approval:
        if self.decision is Decision.reject and not (self.reasons or "").strip():
            raise ValueError("a rejection must give reasons")
        return self


class Review(Part):
    review_date: date
    review_interval: str | None = None


class Termination(Part):
    conditions: str = "on notice by any party, at incident stand-down, or on a dispute decision"
    notice: str = "P0D"
    return_or_destroy: str = "destroy"
    certificate_required: bool = True


class Transparency(Part):
    dea_register_id: str | None = None
    dur_ref: str | None = None
    accord_public_id: str | None = None
    public_summary_published: bool = False
    publication_date: date | None = None
    withheld_reason: str | None = None


class CcaRequest(Part):
    """A written request under the Contingency Planning Regulations 2005 Part 8."""

    in_writing: bool
    requester_name: str | None = None
    requester_address: str | None = None
    description: str | None = None
    reason: str | None = None
    received_at: datetime | None = None
    onward_disclosure_consent_ref: str | None = Field(
        default=None,
        description="The originator's consent to onward disclosure of sensitive information "
        "received under the request.",
    )
