"""The shapes of accord's law data files, as pydantic models.

Every legal gateway, Art 6 basis, Art 9 condition, DPA 2018 Schedule 1 paragraph,
common-law-confidentiality basis, DPIA trigger, DEA objective and CCA refusal ground is a record
in a YAML file under ``accord/law/gateways/`` or ``accord/law/data/``. Each record carries its
citation, at least one source URL and a confidence marker from domain/rules.md:
``V`` checked, ``P`` partly checked, ``GK`` general knowledge (unverified), ``D`` design proposal.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from accord.model.enums import (
    Art6Basis,
    Art9Condition,
    CcaCategory,
    ConfidentialityBasis,
    DsptStatus,
    OrgType,
    PurposeCategory,
)

Confidence = Literal["V", "P", "GK", "D"]
ID = r"^[a-z][a-z0-9_]{1,60}$"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Record):
    """Anything that must say where it comes from."""

    citation: str = Field(min_length=3)
    source_urls: list[str] = Field(min_length=1)
    confidence: Confidence

    @field_validator("source_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith("https://") and not url.startswith("http://"):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls

    @property
    def source_url(self) -> str:
        return self.source_urls[0]


class Citation(Cited):
    """A citation for a fixed rule in code (``data/citations.yaml``)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,60}$")
    title: str = Field(min_length=1)


class PartyRequirement(Record):
    """Who may use a gateway: every constraint given must hold for the party."""

    org_types: list[OrgType] | None = None
    cca_categories: list[CcaCategory] | None = None
    public_authority: bool | None = None


class Users(Record):
    disclosers: PartyRequirement = Field(default_factory=PartyRequirement)
    recipients: PartyRequirement = Field(default_factory=PartyRequirement)
    # At least one controller party must meet this (the party relying on the gateway).
    some_controller: PartyRequirement | None = None


class PreconditionRef(Record):
    check: str = Field(pattern=ID)
    params: dict[str, Any] = Field(default_factory=dict)


OptOutEffect = Literal["applies", "does_not_apply", "per_approval", "per_flow", "not_applicable"]


class Gateway(Cited):
    """A legal gateway: a power, duty or confidentiality-lifting instrument (§b.4)."""

    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    instrument: str = Field(min_length=1)
    legislation_id: str | None = Field(default=None, pattern=r"^(ukpga|uksi|ssi|eur)/\S+$")
    kind: Literal["power", "duty", "confidentiality", "lawful_basis"]
    summary: str = Field(min_length=1)
    users: Users = Field(default_factory=Users)
    purposes: list[PurposeCategory] | None = None
    preconditions: list[PreconditionRef] = Field(default_factory=list)
    lifts_confidentiality: bool = False
    confidentiality_bases: list[ConfidentialityBasis] = Field(default_factory=list)
    covers_health_data: bool = False
    ndoo: OptOutEffect = "not_applicable"
    type1: OptOutEffect = "not_applicable"
    register_duty: Literal["dea", "dur", "cag", "none"] = "none"
    in_force_from: date | None = None
    in_force_until: date | None = None


class Art6Rule(Cited):
    basis: Art6Basis
    title: str
    public_authority_may_rely: bool = True
    needs_basis_in_law: bool = False
    needs_lia: bool = False
    needs_annex1_condition: bool = False
    in_force_from: date | None = None


class Art9Rule(Cited):
    condition: Art9Condition
    title: str
    # The DPA 2018 Sch 1 paragraphs that can supply the UK-law basis; empty = none needed.
    sch1_paragraphs: list[int] = Field(default_factory=list)


class Sch1Paragraph(Cited):
    paragraph: int = Field(ge=1, le=37)
    title: str
    part: int = Field(ge=1, le=3)
    apd_required: bool
    # Sch 1 para 3 and DPA s11(1) for para 2: a health professional or a person owing a duty of
    # confidentiality must process the data.
    recipient_duty_of_confidentiality: bool = False


class CldcRule(Cited):
    """A basis for setting aside the common-law duty of confidentiality, with its §d.4 row."""

    basis: ConfidentialityBasis
    title: str
    requires_gateway_any: list[str] = Field(default_factory=list)
    requires_field: Literal["s251_ref", "statutory_power", "copi_notice_ref"] | None = None
    requires_individual_care: bool = False
    ndoo: Literal["apply", "do_not_apply", "policy"]
    type1: Literal["apply", "do_not_apply", "policy"]
    ndoo_if_cag_exempt: Literal["apply", "do_not_apply", "policy"] | None = None
    type1_if_cag_exempt: Literal["apply", "do_not_apply", "policy"] | None = None
    rationale: str = Field(min_length=1)


class DpiaTrigger(Cited):
    id: str = Field(pattern=ID)
    title: str
    # Name of the detector in accord.law.rules.dpia that derives the trigger from an agreement.
    detector: str = Field(pattern=ID)
    mandatory: bool = True


class SpecifiedPerson(Record):
    """One entry of DEA 2017 Sch 4 (as amended) allowed to use an objective, and the parties it
    matches: by organisation type, or by exact org id for a named body."""

    paragraph: int = Field(ge=1)
    title: str = Field(min_length=1)
    org_types: list[OrgType] = Field(default_factory=list)
    org_ids: list[str] = Field(default_factory=list)


class DeaObjective(Cited):
    id: str = Field(pattern=ID)
    title: str
    gateway: str = Field(pattern=ID)
    factors: list[str] = Field(default_factory=list)
    min_factors: int | None = None
    factor_count_field: str | None = None
    # The paragraphs of DEA 2017 Sch 4 whose persons the regulations specify for the objective,
    # and the bodies among them accord can recognise in a party; None: not recorded, and the
    # party's own ``dea_specified_person`` list is relied on.
    schedule4_paragraphs: list[int] | None = None
    specified_persons: list[SpecifiedPerson] | None = None

    @model_validator(mode="after")
    def _on_the_list(self) -> DeaObjective:
        if self.specified_persons is None:
            return self
        if self.schedule4_paragraphs is None:
            raise ValueError("specified_persons: give the objective's schedule4_paragraphs too")
        stray = sorted(
            {p.paragraph for p in self.specified_persons} - set(self.schedule4_paragraphs)
        )
        if stray:
            raise ValueError(f"specified_persons: paragraphs {stray} are not on the list")
        return self

    @property
    def paragraphs_text(self) -> str:
        """The Sch 4 list as the regulations write it: ``2, 7, 11-17, 29-34, 47 and 50``."""
        runs: list[list[int]] = []
        for n in sorted(set(self.schedule4_paragraphs or ())):
            if runs and n == runs[-1][-1] + 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        parts = [f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


class AnnexCondition(Cited):
    """A condition of UK GDPR Annex 1 (recognised legitimate interests, Art 6(1)(ea)) or
    Annex 2 (further processing treated as compatible, Art 8A(3)(c)). Annex 1 can be amended by
    regulations (Art 6(6)), so its conditions are data; each names the detector that finds it in
    an agreement."""

    annex: Literal[1, 2]
    id: str = Field(pattern=ID)
    paragraph: str = Field(min_length=1)
    title: str = Field(min_length=1)
    detector: str = Field(pattern=ID)


class DsptStatusRule(Cited):
    """One status the Data Security and Protection Toolkit publishes (``data/dspt.yaml``): its
    words on the toolkit, its rank against an agreement's ``security.dspt_min``, whether it rests
    on an improvement plan, and the last day a plan may run under each assessment framework."""

    status: DsptStatus
    label: str = Field(min_length=1)
    rank: int = Field(ge=0)
    improvement_plan: bool = False
    # framework -> the last day any improvement plan under it can run (the toolkit's deadline).
    plan_last_day: dict[str, date] = Field(default_factory=dict)


class CcaRefusalGround(Cited):
    id: str = Field(pattern=ID)
    title: str
    description: str
    # When the ground turns on data protection law, accord's own check decides whether it holds.
    depends_on_dp_check: bool = False
