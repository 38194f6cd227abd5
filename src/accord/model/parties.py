"""Parties to an agreement and their contacts (domain/rules.md §a.3 Party)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from accord.model._base import Part
from accord.model.enums import CcaCategory, DsptStatus, OrgType, PartyRole
from accord.model.ids import OrgId


class Contacts(Part):
    dpo: str | None = None
    caldicott_guardian: str | None = None
    siro: str | None = None
    iao: str | None = None
    ig_lead: str | None = None
    duty_contact_24x7: str | None = None


class Party(Part):
    org_id: OrgId
    name: str = Field(min_length=1, max_length=200)
    org_type: OrgType
    role: PartyRole
    cca_category: CcaCategory = CcaCategory.none
    dea_specified_person: list[str] = Field(default_factory=list)
    dspt_status: DsptStatus = DsptStatus.not_published
    dspt_published: date | None = None
    ico_registration_no: str | None = None
    # Sch 1 para 3: processing by or under the responsibility of a health professional, or by a
    # person owing a duty of confidentiality under an enactment or rule of law.
    health_professional_or_duty_of_confidentiality: bool = False
    contacts: Contacts = Field(default_factory=Contacts)
    # The party's MESH mailbox id (NHS England issues it, e.g. X26ABC2): where a flow with
    # ``push: mesh`` to this party is sent.
    mesh_mailbox: str | None = Field(default=None, pattern=r"^[A-Z0-9]{3,20}$")

    @property
    def receives(self) -> bool:
        return self.role in {PartyRole.recipient, PartyRole.both, PartyRole.processor}

    @property
    def discloses(self) -> bool:
        return self.role in {PartyRole.discloser, PartyRole.both}
