"""The Agreement: one versioned document holding everything the ICO code asks for (§a.3).

Structural rules live here (a flow names a party that receives, projects only declared data
items...). Whether the agreement is *lawful* is ``accord.law``'s question, answered as findings.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from accord.errors import PredicateError
from accord.model import predicate
from accord.model._base import Part
from accord.model.enums import (
    Classification,
    DisclosureProfile,
    Identifiability,
    Mode,
    PurposeCategory,
    PushMethod,
    Relationship,
    Status,
)
from accord.model.flows import DataItem, Flow
from accord.model.governance import (
    Approval,
    CcaRequest,
    Incident,
    Retention,
    Review,
    RightsHandling,
    Security,
    Termination,
    Transparency,
)
from accord.model.labels import NOT_IDENTIFYING, treated_as_anonymous
from accord.model.legal import DPIARef, LegalBasis, OptOutDecision
from accord.model.parties import Party

SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"


class Purpose(Part):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    description: str = Field(min_length=1)
    category: PurposeCategory
    is_individual_care: bool = False
    end_condition: str | None = None


PROBLEMS_ERROR = "accord_problems"
"""The pydantic error type whose context carries ``problems``: (where, reason) pairs."""


class Agreement(Part):
    id: str = Field(pattern=r"^(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|[0-9a-f-]{36})$")
    version: str = Field(default="1.0.0", pattern=SEMVER)
    previous_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    template_id: str | None = None
    template_version: str | None = None
    title: str = Field(min_length=1, max_length=200)
    summary_plain_english: str = Field(min_length=1, max_length=500)
    mode: Mode
    incident: Incident | None = None
    status: Status = Status.draft
    relationship: Relationship
    art26_arrangement_ref: str | None = None
    art28_contract_ref: str | None = None
    parties: list[Party] = Field(min_length=2)
    purposes: list[Purpose] = Field(min_length=1)
    benefits: str = Field(min_length=1)
    risk_of_not_sharing: str = Field(min_length=1)
    legal_basis: LegalBasis
    datasets: list[str] = Field(default_factory=list)
    data_items: list[DataItem] = Field(min_length=1)
    flows: list[Flow] = Field(default_factory=list)
    disclosure_control_profile: DisclosureProfile = DisclosureProfile.none
    opt_out_policy: OptOutDecision | None = None
    confidential_patient_information: bool = False
    security: Security = Field(default_factory=Security)
    retention: Retention
    rights: RightsHandling
    dpia: DPIARef
    approvals: list[Approval] = Field(default_factory=list)
    review: Review
    termination: Termination = Field(default_factory=Termination)
    dispute_resolution: str = "accord-emergency-ladder"
    transparency: Transparency = Field(default_factory=Transparency)
    sanctions: str = "suspension of the flow and referral to the parties' SIROs"
    children_data: bool = False
    compelling_reason: str | None = None
    cca_request: CcaRequest | None = None

    @model_validator(mode="after")
    def _structure(self) -> Agreement:
        problems: list[str] = []
        if self.mode is Mode.emergency and self.incident is None:
            problems.append("incident: an emergency agreement must name its incident")
        if self.mode is not Mode.emergency and self.incident is not None:
            problems.append("incident: only an emergency agreement has an incident")
        ids = [p.org_id for p in self.parties]
        if len(set(ids)) != len(ids):
            problems.append("parties: a party is listed twice")
        if not any(p.discloses for p in self.parties):
            problems.append("parties: no party discloses")
        names = [d.name for d in self.data_items]
        if len(set(names)) != len(names):
            problems.append("data_items: a data item name is used twice")
        flow_ids = [f.id for f in self.flows]
        if len(set(flow_ids)) != len(flow_ids):
            problems.append("flows: a flow id is used twice")
        by_id = {p.org_id: p for p in self.parties}
        for i, flow in enumerate(self.flows):
            party = by_id.get(flow.recipient)
            if party is None:
                problems.append(f"flows.{i}.recipient: {flow.recipient} is not a party")
            elif not party.receives:
                problems.append(f"flows.{i}.recipient: {flow.recipient} does not receive data")
            elif flow.push is PushMethod.mesh and party.mesh_mailbox is None:
                problems.append(f"flows.{i}.push: {flow.recipient} has no mesh_mailbox to send to")
            unknown = [n for n in flow.projection if n not in names]
            if unknown:
                problems.append(
                    f"flows.{i}.projection: not declared in data_items: {', '.join(unknown)}"
                )
            for j, t in enumerate(flow.transforms):
                target = getattr(t, "field", None)
                if target is not None and target not in flow.projection:
                    problems.append(
                        f"flows.{i}.transforms.{j}.field: {target} is not in the projection"
                    )
        if self.rights.lead_party not in by_id:
            problems.append("rights.lead_party: not a party")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _row_filters(self) -> Agreement:
        """Each flow's row filter parses and types against the data items (never at run time
        first): an unknown field, a syntax error or a limit names the flow and the position."""
        types = {d.name: str(d.table_schema.get("type", "string")) for d in self.data_items}
        problems: list[tuple[str, str]] = []
        for flow in self.flows:
            try:
                predicate.check(predicate.parse(flow.row_filter), types)
            except PredicateError as exc:
                problems += [(f"flows.{flow.id}.{p.where}", p.reason) for p in exc.problems]
        if problems:
            raise PydanticCustomError(
                PROBLEMS_ERROR,
                "{count} row filter problem(s)",
                {"count": len(problems), "problems": problems},
            )
        return self

    # Convenience views used across accord.

    def party(self, org_id: str) -> Party:
        for p in self.parties:
            if p.org_id == org_id:
                return p
        raise KeyError(org_id)

    def item(self, name: str) -> DataItem:
        for d in self.data_items:
            if d.name == name:
                return d
        raise KeyError(name)

    def flow(self, flow_id: str) -> Flow:
        for f in self.flows:
            if f.id == flow_id:
                return f
        raise KeyError(flow_id)

    @property
    def disclosers(self) -> list[Party]:
        return [p for p in self.parties if p.discloses]

    @property
    def recipients(self) -> list[Party]:
        return [p for p in self.parties if p.receives]

    @property
    def has_special_category(self) -> bool:
        return any(
            d.classification
            in {Classification.special_category_health, Classification.special_category_other}
            for d in self.data_items
        )

    def anonymous(self, flow: Flow) -> bool:
        """Whether ``flow`` may be treated as identifying no one: labelled anonymised or
        aggregate, and physically so (:func:`accord.model.labels.treated_as_anonymous`)."""
        return treated_as_anonymous(flow, self.data_items)

    def identifiability(self, flow: Flow) -> Identifiability:
        """``flow``'s identifiability as it leaves: its label, unless the label claims anonymity
        the flow does not have, then ``identifiable`` (the register never says "anonymous" of a
        flow that is not)."""
        if flow.identifiability in NOT_IDENTIFYING and not self.anonymous(flow):
            return Identifiability.identifiable
        return flow.identifiability

    @property
    def all_flows_anonymised(self) -> bool:
        """Every flow is labelled anonymised or aggregate and nothing it delivers contradicts
        the label: a label alone never switches protection off."""
        return bool(self.flows) and all(self.anonymous(f) for f in self.flows)
