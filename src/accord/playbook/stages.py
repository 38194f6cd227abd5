"""The playbook's stages x roles table (domain/rules.md §c.2) and who must sign an agreement off.

>>> from accord.model import example_agreement
>>> [(r.role.value, r.kind) for r in required_approvals(example_agreement())][:3]
[('siro', 'approve'), ('dpo', 'consult'), ('caldicott_guardian', 'approve')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import ConfigError, Problem
from accord.model.agreement import Agreement
from accord.model.enums import ApprovalRole, PartyRole, Status
from accord.playbook.durations import parse_duration
from accord.playbook.templates import template_gateways as lookup_template_gateways

STAGES_FILE = Path(__file__).parent / "stages.yaml"
Condition = Literal["cpi", "novel_gateway", "not novel_gateway"]
Kind = Literal["approve", "consult"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Record):
    number: int = Field(ge=0)
    id: str = Field(pattern=r"^[a-z_]+$")
    title: str
    outputs: str
    raci: dict[str, str]
    emergency_target: str | None = None

    @property
    def target_offset(self) -> timedelta | None:
        return parse_duration(self.emergency_target) if self.emergency_target else None

    def target(self, declared_at: datetime) -> datetime | None:
        """The emergency deadline of this stage for an incident declared at ``declared_at``."""
        offset = self.target_offset
        return None if offset is None else declared_at + offset


class SignOffRule(_Record):
    role: ApprovalRole
    kind: Kind
    parties: Literal["controllers", "disclosers"]
    when: Condition | None = None


class SignOff(_Record):
    citation: str
    source_url: str
    rules: list[SignOffRule]


class MoveRule(_Record):
    """Who may move a whole agreement version to ``to``: a holder of one of ``roles`` in a party
    of the agreement (``any``) or in a disclosing party (``disclosers``)."""

    to: Status
    roles: list[str] = Field(min_length=1)
    parties: Literal["any", "disclosers"]


class Lifecycle(_Record):
    citation: str
    source_url: str
    rules: list[MoveRule]


class Playbook(_Record):
    roles: list[str]
    stages: list[Stage]
    sign_off: SignOff
    lifecycle: Lifecycle

    def move_rule(self, target: Status) -> MoveRule | None:
        """The rule for moving a version to ``target`` by hand; None when nobody may."""
        return next((r for r in self.lifecycle.rules if r.to is target), None)

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)


def _loc(source: str, loc: tuple[int | str, ...]) -> str:
    return f"{source}: " + ".".join(str(p) for p in loc)


@cache
def playbook() -> Playbook:
    """The playbook data (``stages.yaml``), validated once."""
    data = yaml.safe_load(STAGES_FILE.read_text(encoding="utf-8"))
    try:
        book = Playbook.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            "stages.yaml is not a valid playbook",
            [Problem(_loc("stages.yaml", e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None
    for stage in book.stages:
        if set(stage.raci) != set(book.roles):
            raise ConfigError(
                "stages.yaml is not a valid playbook",
                [Problem(f"stages.yaml: stages.{stage.number}.raci", "must name every role")],
            )
        if stage.emergency_target:
            try:
                parse_duration(stage.emergency_target)
            except ValueError as exc:
                raise ConfigError(
                    "stages.yaml is not a valid playbook",
                    [Problem(f"stages.yaml: stages.{stage.number}.emergency_target", str(exc))],
                ) from None
    for i, rule in enumerate(book.lifecycle.rules):
        if not set(rule.roles) <= set(book.roles):
            raise ConfigError(
                "stages.yaml is not a valid playbook",
                [Problem(f"stages.yaml: lifecycle.rules.{i}.roles", "names an unknown role")],
            )
    return book


def stages() -> list[Stage]:
    return list(playbook().stages)


@dataclass(frozen=True)
class RequiredApproval:
    party_org_id: str
    role: ApprovalRole
    kind: Kind


def _holds(condition: Condition | None, agreement: Agreement, novel: bool) -> bool:
    if condition is None:
        return True
    if condition == "cpi":
        return agreement.confidential_patient_information
    if condition == "novel_gateway":
        return novel
    return not novel


def required_approvals(
    agreement: Agreement, *, template_gateways: frozenset[str] | None = None
) -> list[RequiredApproval]:
    """Who must approve, and who must be consulted, for ``agreement`` (stage 8).

    A gateway is *novel* when the agreement is not from a template, or names a gateway its
    template does not (``template_gateways``; looked up from the template library when omitted).
    """
    if template_gateways is None:
        template_gateways = lookup_template_gateways(agreement.template_id)
    novel = not set(agreement.legal_basis.gateways) <= template_gateways
    controllers = [p for p in agreement.parties if p.role is not PartyRole.processor]
    out: list[RequiredApproval] = []
    for party in controllers:
        for rule in playbook().sign_off.rules:
            if rule.parties == "disclosers" and not party.discloses:
                continue
            if _holds(rule.when, agreement, novel):
                out.append(RequiredApproval(party.org_id, rule.role, rule.kind))
    return out
