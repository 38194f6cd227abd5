"""What every rule sees: the agreement, the date of evaluation, the registry, and derived views.

Derived views answer the questions the rules ask again and again (which parties are controllers,
which are public authorities, which data items actually leave the discloser...), so each rule
module stays short and reads like the rule it implements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from accord.law.findings import Finding, Severity
from accord.law.records import Cited, PartyRequirement
from accord.law.registry import LawRegistry
from accord.model.agreement import Agreement
from accord.model.enums import (
    HEALTH_AND_CARE_TYPES,
    PUBLIC_AUTHORITY_TYPES,
    Classification,
    Mode,
    PartyRole,
)
from accord.model.flows import DataItem, Flow
from accord.model.parties import Party

SPECIAL = frozenset({Classification.special_category_health, Classification.special_category_other})


@dataclass(frozen=True)
class Existence:
    """Whether an organisation exists on a date, as a register of organisations knows it.

    ``in_its_place`` names (as organisation ids) the bodies that stand in its place that day:
    its successor after a reorganisation or recode, or the bodies it was later made from when
    asked about a date before it existed. ``name`` is the register's name for it, if any.
    """

    org_id: str
    exists: bool
    name: str | None = None
    in_its_place: tuple[str, ...] = ()


OrganisationLookup = Callable[[str, date], "Existence | None"]
"""``lookup(org_id, on)``: the organisation's :class:`Existence` on ``on``, or ``None`` when
the register does not know the organisation (nothing can then be said about it). The law
package reads no reference data itself: a caller (``accord.service``) passes one in."""


def is_public_authority(party: Party) -> bool:
    return party.org_type in PUBLIC_AUTHORITY_TYPES


def meets(party: Party, req: PartyRequirement) -> bool:
    """Whether ``party`` meets every constraint of ``req`` (an absent constraint always holds)."""
    if req.org_types is not None and party.org_type not in req.org_types:
        return False
    if req.cca_categories is not None and party.cca_category not in req.cca_categories:
        return False
    return req.public_authority is None or is_public_authority(party) == req.public_authority


def describe(req: PartyRequirement) -> str:
    parts: list[str] = []
    if req.org_types is not None:
        parts.append("of type " + " or ".join(t.value for t in req.org_types))
    if req.cca_categories is not None:
        parts.append("a CCA " + " or ".join(c.value for c in req.cca_categories) + " responder")
    if req.public_authority is not None:
        parts.append("a public authority" if req.public_authority else "not a public authority")
    return ", ".join(parts) or "any organisation"


@dataclass(frozen=True)
class Context:
    agreement: Agreement
    at: date
    registry: LawRegistry
    organisations: OrganisationLookup | None = None

    # -- findings -----------------------------------------------------------------------------

    def finding(
        self, code: str, severity: Severity, field: str, message: str, cite: Cited | str
    ) -> Finding:
        """A finding citing a record, or a citation id from ``data/citations.yaml``."""
        record = self.registry.citation(cite) if isinstance(cite, str) else cite
        return Finding(code, severity, field, message, record.citation, record.source_url)

    def party_field(self, party: Party) -> str:
        return f"parties.{self._party_positions[party.org_id]}"

    @cached_property
    def _party_positions(self) -> dict[str, int]:
        return {p.org_id: i for i, p in enumerate(self.agreement.parties)}

    # -- parties ------------------------------------------------------------------------------

    @cached_property
    def controllers(self) -> list[Party]:
        return [p for p in self.agreement.parties if p.role is not PartyRole.processor]

    @cached_property
    def disclosers(self) -> list[Party]:
        return self.agreement.disclosers

    @cached_property
    def controller_recipients(self) -> list[Party]:
        return [
            p for p in self.agreement.parties if p.role in {PartyRole.recipient, PartyRole.both}
        ]

    @cached_property
    def processors(self) -> list[Party]:
        return [p for p in self.agreement.parties if p.role is PartyRole.processor]

    @cached_property
    def health_discloser(self) -> bool:
        return any(p.org_type in HEALTH_AND_CARE_TYPES for p in self.disclosers)

    # -- data ---------------------------------------------------------------------------------

    @cached_property
    def identifying_flows(self) -> list[Flow]:
        """Flows that may identify someone: every flow not physically anonymous, whatever its
        label says (a mislabelled flow is identifying)."""
        return [f for f in self.agreement.flows if not self.agreement.anonymous(f)]

    @cached_property
    def shared_items(self) -> list[DataItem]:
        """Data items that leave the discloser in some flow (all items when no flows yet)."""
        if not self.agreement.flows:
            return list(self.agreement.data_items)
        names = {n for f in self.agreement.flows for n in f.projection}
        return [d for d in self.agreement.data_items if d.name in names]

    @cached_property
    def personal(self) -> bool:
        """Personal data is shared: some item is personal and some flow is not anonymised."""
        items_personal = any(
            d.classification is not Classification.non_personal for d in self.shared_items
        )
        return items_personal and not self.agreement.all_flows_anonymised

    @cached_property
    def special_category(self) -> bool:
        """Special category data is processed: a special item, or confidential patient
        information (being on a patient list is itself information about health)."""
        return (
            self.agreement.has_special_category or self.agreement.confidential_patient_information
        )

    @cached_property
    def criminal_offence(self) -> bool:
        return any(d.classification is Classification.criminal_offence for d in self.shared_items)

    @cached_property
    def shared_health_items(self) -> list[DataItem]:
        return [
            d
            for d in self.shared_items
            if d.classification is Classification.special_category_health
        ]

    def receivers_of_identifying_data(self) -> list[Party]:
        """Controller recipients of a non-anonymised flow (all of them when there are no flows)."""
        if not self.agreement.flows:
            return self.controller_recipients
        ids = {f.recipient for f in self.identifying_flows}
        return [p for p in self.controller_recipients if p.org_id in ids]

    def receivers_all(self) -> list[Party]:
        if not self.agreement.flows:
            return self.agreement.recipients
        ids = {f.recipient for f in self.identifying_flows}
        return [p for p in self.agreement.recipients if p.org_id in ids]

    def flows_to(self, party: Party) -> list[tuple[int, Flow]]:
        return [(i, f) for i, f in enumerate(self.agreement.flows) if f.recipient == party.org_id]

    @cached_property
    def gateway_ids(self) -> list[str]:
        return list(self.agreement.legal_basis.gateways)

    # -- emergencies (two meanings in the Civil Contingencies Act 2004) --------------------------

    @cached_property
    def part1_emergency(self) -> bool:
        """A declared emergency in the CCA Part 1 sense (s1: a place in the UK), the meaning the
        Contingency Planning Regulations 2005 use."""
        a = self.agreement
        return a.mode is Mode.emergency and a.incident is not None and a.incident.cca_emergency

    @cached_property
    def part2_emergency(self) -> bool:
        """A declared emergency in the CCA Part 2 sense (s19: the UK or a Part or region), the
        meaning UK GDPR Annex 1 para 4 and Annex 2 para 5 use."""
        a = self.agreement
        return (
            a.mode is Mode.emergency
            and a.incident is not None
            and a.incident.cca_part2_emergency is True
        )
