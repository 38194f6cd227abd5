"""The dispute, its grounds, the parties' final offers and the decision (domain/rules.md §f.2).

A :class:`Variant` is one concrete set of terms for a flow: the fields it projects, the row
conditions every delivered row must meet (all of them: more conditions, fewer rows), the
transforms and the identifiability. ``None`` in place of a variant means the flow does not run
(suspended, or never started, as after a refused Civil Contingencies Act request).

Every model is frozen; the state machine (:mod:`accord.disputes.machine`) returns new ones.

>>> from accord.model import example_agreement
>>> v = Variant.from_flow(example_agreement().flows[0])
>>> v.projection[:2], v.row_filter
(('nhs_number', 'given_name'), 'utla(postcode) == recipient.gss')
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from accord.model.enums import Identifiability, Mode
from accord.model.flows import DataItem, Flow, Transform
from accord.model.ids import OrgId


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ground(StrEnum):
    """Why a party disputes a flow (§f.2)."""

    no_lawful_basis = "no_lawful_basis"
    no_vires = "no_vires"
    confidentiality = "confidentiality"
    excessive_data = "excessive_data"
    recipient_security = "recipient_security"
    opt_out_treatment = "opt_out_treatment"
    disclosure_risk = "disclosure_risk"
    resource = "resource"
    other = "other"


class SubjectKind(StrEnum):
    """What the dispute was raised against. It always names the flow whose terms are at issue."""

    agreement_version = "agreement_version"
    flow = "flow"
    delivery = "delivery"
    cca_refusal = "cca_refusal"


class DisputeState(StrEnum):
    raised = "raised"
    narrowed = "narrowed"
    tier1 = "tier1"
    tier2 = "tier2"
    tier3 = "tier3"
    decided = "decided"
    provisional_default = "provisional_default"
    withdrawn = "withdrawn"


OPEN_STATES = frozenset(
    {
        DisputeState.raised,
        DisputeState.narrowed,
        DisputeState.tier1,
        DisputeState.tier2,
        DisputeState.tier3,
    }
)
LADDER_STATES = {1: DisputeState.tier1, 2: DisputeState.tier2, 3: DisputeState.tier3}


class ActorRole(StrEnum):
    """The role a person acts in: the contacts of a party (§a.3 Party) and the arbiter."""

    ig_lead = "ig_lead"
    dpo = "dpo"
    siro = "siro"
    caldicott_guardian = "caldicott_guardian"
    iao = "iao"
    requester = "requester"
    arbiter = "arbiter"
    system = "system"


class Actor(_Frozen):
    """A person acting for an organisation in a role. ``party`` is a typed organisation id."""

    party: OrgId
    role: ActorRole
    name: str = Field(min_length=1, max_length=200)

    def __str__(self) -> str:
        return f"{self.name} ({self.role} of {self.party})"


SYSTEM = Actor(party="gov-org:accord", role=ActorRole.system, name="accord")


class Variant(_Frozen):
    """One flow's terms: fields, row conditions (all must hold), transforms, identifiability."""

    projection: tuple[str, ...] = Field(min_length=1)
    row_conditions: tuple[str, ...] = Field(min_length=1)
    transforms: tuple[Transform, ...] = ()
    identifiability: Identifiability = Identifiability.identifiable

    @model_validator(mode="before")
    @classmethod
    def _canonical_transform_order(cls, data: Any) -> Any:
        """One transform per field, so they commute: keep them in projection order (and
        small-number suppression last), so equal terms compare equal."""
        if not isinstance(data, dict) or not data.get("transforms"):
            return data
        order = {f: i for i, f in enumerate(data.get("projection") or ())}

        def key(t: Any) -> int:
            target = t.get("field") if isinstance(t, dict) else getattr(t, "field", None)
            return order.get(target, len(order)) if target is not None else len(order) + 1

        return {**data, "transforms": sorted(data["transforms"], key=key)}

    @field_validator("row_conditions")
    @classmethod
    def _normalise_conditions(cls, conditions: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(sorted({c.strip() for c in conditions}))
        if any(not c for c in cleaned):
            raise ValueError("a row condition cannot be empty")
        return cleaned

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.projection)) != len(self.projection):
            raise ValueError("projection lists a field twice")
        targets = [getattr(t, "field", None) for t in self.transforms]
        named = [t for t in targets if t is not None]
        if len(set(named)) != len(named):
            raise ValueError("a field has more than one transform")
        if sum(1 for t in targets if t is None) > 1:
            raise ValueError("more than one small-number suppression")
        outside = [t for t in named if t not in self.projection]
        if outside:
            raise ValueError(f"transforms name fields outside the projection: {outside}")
        return self

    @property
    def row_filter(self) -> str:
        """The conditions as one predicate of the row-filter language."""
        if len(self.row_conditions) == 1:
            return self.row_conditions[0]
        return " and ".join(f"({c})" for c in self.row_conditions)

    @classmethod
    def from_flow(cls, flow: Flow) -> Variant:
        return cls(
            projection=tuple(flow.projection),
            row_conditions=(flow.row_filter,),
            transforms=tuple(flow.transforms),
            identifiability=flow.identifiability,
        )

    def apply_to(self, flow: Flow, *, end: datetime | None = None) -> Flow:
        """The flow with these terms (and, when given, an end time)."""
        update: dict[str, object] = {
            "projection": list(self.projection),
            "row_filter": self.row_filter,
            "transforms": list(self.transforms),
            "identifiability": self.identifiability,
        }
        if end is not None:
            update["end"] = end if flow.end is None else min(flow.end, end)
        return Flow.model_validate({**flow.model_dump(), **update})

    def summary(self) -> str:
        """Field names, conditions and transforms only: never row values."""
        ops = ", ".join(
            f"{t.op}({getattr(t, 'field', '')})".replace("()", "") for t in self.transforms
        )
        return (
            f"fields [{', '.join(self.projection)}]; rows where {self.row_filter}; "
            f"transforms [{ops}]; {self.identifiability}"
        )


Terms = Variant | None
"""A flow's terms; ``None`` means the flow does not run."""


def describe_terms(terms: Terms) -> str:
    return "the flow does not run" if terms is None else terms.summary()


class Offer(_Frozen):
    """One party's final offer: the terms it would accept, with definitions of any new fields."""

    party: OrgId
    made_by: Actor
    terms: Variant | None
    data_items: tuple[DataItem, ...] = ()
    made_at: datetime
    note: str = ""


class Decision(_Frozen):
    """How a dispute ended: who decided, which final offer, why, and until when."""

    decider: Actor
    tier: int = Field(ge=1, le=3)
    chosen_party: OrgId | None
    outcome: str
    reasons: str = Field(min_length=1)
    decided_at: datetime
    expires_at: datetime | None
    terms: Variant | None


class Dispute(_Frozen):
    """A dispute about one flow of one agreement (§f.2)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{3,80}$")
    agreement_id: str
    agreement_seq: int = Field(ge=1)
    flow_id: str
    subject: SubjectKind
    delivery_id: str | None = None
    recipient: OrgId
    discloser: OrgId
    raised_by: Actor
    ground: Ground
    statement: str = Field(min_length=1)
    disputed_fields: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    mode: Mode
    raised_at: datetime
    arbiter: OrgId
    confidential_patient_information: bool = False
    review_by: datetime | None = None
    original: Variant | None
    current: Variant | None
    offers: tuple[Offer, ...] = ()
    state: DisputeState = DisputeState.raised
    tier: int = Field(default=0, ge=0, le=3)
    deadline: datetime | None = None
    missed: tuple[int, ...] = ()
    decision: Decision | None = None

    @model_validator(mode="after")
    def _parties(self) -> Self:
        if self.recipient == self.discloser:
            raise ValueError("the recipient and the discloser must be different parties")
        if self.raised_by.party not in (self.recipient, self.discloser):
            raise ValueError("the dispute must be raised by the recipient or the discloser")
        return self

    @property
    def parties(self) -> tuple[str, str]:
        return (self.recipient, self.discloser)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def other_party(self, party: str) -> str:
        return self.discloser if party == self.recipient else self.recipient

    def offer_of(self, party: str) -> Offer | None:
        for offer in self.offers:
            if offer.party == party:
                return offer
        return None

    def final_terms(self) -> dict[str, Terms]:
        """Each party's final offer; a party that made none stands on the pre-dispute terms."""
        out: dict[str, Terms] = {}
        for party in self.parties:
            offer = self.offer_of(party)
            out[party] = offer.terms if offer is not None else self.original
        return out

    @property
    def ceiling(self) -> Terms:
        """The requester's own final offer: no step may give the recipient more than this."""
        return self.final_terms()[self.recipient]
