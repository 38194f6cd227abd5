"""Pre-approved agreement templates for foreseeable emergencies (``templates/*.yaml``).

A template is a partial agreement document plus rules for its parties. :func:`instantiate`
fills it with an incident, the discloser, the recipients (one flow each) and an optional
processor, computes the dates from ``now`` and the opt-out decision from the law, and returns a
validated :class:`~accord.model.Agreement`. The same inputs always give the same agreement.

Strings in a template may use ``${name}`` placeholders: ``discloser_name``, ``discloser_id``,
``discloser_code``, ``incident_id``, ``incident_title``, ``date``, ``now``, ``template_id``,
``processor_name`` and, inside a flow (or anywhere in a one-recipient template),
``recipient_name``, ``recipient_id`` and ``recipient_code`` (lower case, for flow ids).
Facts only the users know (a register entry id, the address on a written request) are
``required_overrides``, given as ``overrides`` (deep-merged into the document).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from string import Template as _Subst
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import ConfigError, InputError, NotFound, Problem
from accord.law.builtin import default_registry
from accord.law.opt_outs import decide_row
from accord.model.agreement import Agreement
from accord.model.enums import CcaCategory, Mode, OrgType, PartyRole
from accord.model.governance import Incident
from accord.model.ids import org_code, org_scheme
from accord.model.io import parse_agreement
from accord.model.legal import OptOutDecision
from accord.model.parties import Party
from accord.playbook.durations import parse_duration

TEMPLATE_DIR = Path(__file__).parent / "templates"
FULL_DPIA_WITHIN = timedelta(days=30)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartySpec(_Record):
    org_types: list[OrgType] | None = None
    cca_categories: list[CcaCategory] | None = None
    scheme: Literal["ods", "gss", "gov-org", "ch"] | None = None
    min: int = Field(default=1, ge=0)
    max: int | None = None
    health_professional_or_duty_of_confidentiality: bool | None = None

    def problems(self, party: Party, where: str) -> list[Problem]:
        out: list[Problem] = []
        if self.org_types is not None and party.org_type not in self.org_types:
            allowed = ", ".join(t.value for t in self.org_types)
            out.append(Problem(where, f"{party.name} is {party.org_type.value}; need {allowed}"))
        if self.cca_categories is not None and party.cca_category not in self.cca_categories:
            allowed = ", ".join(c.value for c in self.cca_categories)
            category = party.cca_category.value
            out.append(Problem(where, f"{party.name} is CCA {category}; need {allowed}"))
        if self.scheme is not None and org_scheme(party.org_id) != self.scheme:
            out.append(Problem(where, f"{party.name} needs a {self.scheme}: identifier"))
        return out


class TemplateParties(_Record):
    discloser: PartySpec
    recipients: PartySpec
    recipient_role: Literal["recipient", "both"] = "recipient"
    processor: PartySpec | None = None
    processor_required: bool = False


class Timing(_Record):
    review_within: str = "P28D"
    dpia_due_within: str | None = None
    flow_duration: str | None = None


class OptOutPolicy(_Record):
    """The controller's recorded choice where the §d.4 table leaves it to policy."""

    ndoo: bool = True
    type1: bool = True
    reason: str = ""


class AgreementTemplate(_Record):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    scenario: str
    title: str
    description: str
    mode: Mode
    parties: TemplateParties
    timing: Timing = Field(default_factory=Timing)
    agreement: dict[str, Any]
    flow: dict[str, Any]
    processor_flow: dict[str, Any] | None = None
    processor_fields: dict[str, Any] = Field(default_factory=dict)
    opt_out_policy: OptOutPolicy = Field(default_factory=OptOutPolicy)
    required_overrides: list[str] = Field(default_factory=list)

    @property
    def gateways(self) -> frozenset[str]:
        return frozenset(self.agreement.get("legal_basis", {}).get("gateways", []))


def _loc(source: str, loc: tuple[int | str, ...]) -> str:
    return f"{source}: " + ".".join(str(p) for p in loc)


def _load(path: Path) -> AgreementTemplate:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        template = AgreementTemplate.model_validate(data)
    except yaml.YAMLError as exc:
        problem = Problem(path.name, str(exc))
        raise ConfigError(f"{path.name} is not valid YAML", [problem]) from None
    except ValidationError as exc:
        raise ConfigError(
            f"{path.name} is not a valid template",
            [Problem(_loc(path.name, e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None
    if template.id != path.stem:
        raise ConfigError(
            f"{path.name} holds template {template.id!r}",
            [Problem(f"{path.name}: id", "a template file is named after its id")],
        )
    return template


@cache
def _library(directory: Path = TEMPLATE_DIR) -> dict[str, AgreementTemplate]:
    return {t.id: t for t in (_load(p) for p in sorted(directory.glob("*.yaml")))}


def list_templates() -> list[AgreementTemplate]:
    return list(_library().values())


def get_template(template_id: str) -> AgreementTemplate:
    try:
        return _library()[template_id]
    except KeyError:
        known = ", ".join(_library())
        raise NotFound(f"no template {template_id!r}; known: {known}") from None


def template_gateways(template_id: str | None) -> frozenset[str]:
    """The gateways a template pre-approves (empty for no or an unknown template)."""
    if template_id is None or template_id not in _library():
        return frozenset()
    return _library()[template_id].gateways


def _fill(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _Subst(value).safe_substitute(variables)
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    return value


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _lookup(doc: Mapping[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _party(party: Party, role: PartyRole) -> dict[str, Any]:
    return party.model_copy(update={"role": role}).model_dump(mode="json")


def _check_inputs(
    t: AgreementTemplate,
    incident: Incident | None,
    discloser: Party,
    recipients: list[Party],
    processor: Party | None,
    now: datetime,
) -> None:
    problems: list[Problem] = []
    if now.tzinfo is None:
        problems.append(Problem("now", "must be timezone-aware"))
    if t.mode is Mode.emergency and incident is None:
        problems.append(Problem("incident", f"{t.id} is an emergency template: name the incident"))
    if t.mode is not Mode.emergency and incident is not None:
        problems.append(Problem("incident", f"{t.id} is a {t.mode.value} template: no incident"))
    problems += t.parties.discloser.problems(discloser, "discloser")
    spec = t.parties.recipients
    if len(recipients) < spec.min or (spec.max is not None and len(recipients) > spec.max):
        most = spec.max if spec.max is not None else "any number of"
        problems.append(
            Problem("recipients", f"{len(recipients)} given; need {spec.min} to {most}")
        )
    for i, r in enumerate(recipients):
        problems += spec.problems(r, f"recipients.{i}")
    if processor is not None and t.parties.processor is None:
        problems.append(Problem("processor", f"{t.id} has no processor"))
    elif processor is not None and t.parties.processor is not None:
        problems += t.parties.processor.problems(processor, "processor")
    if processor is None and t.parties.processor_required:
        problems.append(Problem("processor", f"{t.id} needs a processor"))
    if problems:
        raise InputError(f"the parties do not fit template {t.id}", problems)


def instantiate(
    template_id: str,
    *,
    incident: Incident | None,
    discloser: Party,
    recipients: list[Party],
    processor: Party | None = None,
    now: datetime,
    agreement_id: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Agreement:
    """A complete draft agreement from a template. Raises :class:`InputError` when the parties,
    incident or required overrides do not fit, and :class:`AgreementInvalid` when the result
    is not a valid agreement."""
    t = get_template(template_id)
    _check_inputs(t, incident, discloser, recipients, processor, now)
    variables = {
        "template_id": t.id,
        "discloser_name": discloser.name,
        "discloser_id": discloser.org_id,
        "discloser_code": org_code(discloser.org_id),
        "now": now.isoformat(),
        "incident_id": incident.incident_id if incident else "",
        "incident_title": incident.title if incident else "",
        "date": now.date().isoformat(),
        "processor_name": processor.name if processor else "",
    }
    if len(recipients) == 1:
        # A one-recipient template may name its recipient anywhere (e.g. the requester).
        variables |= {"recipient_name": recipients[0].name, "recipient_id": recipients[0].org_id}
    doc = _fill(copy.deepcopy(t.agreement), variables)
    if processor is not None:
        doc = _merge(doc, _fill(t.processor_fields, variables))
    flows = []
    for r in recipients:
        rv = {
            **variables,
            "recipient_name": r.name,
            "recipient_id": r.org_id,
            "recipient_code": org_code(r.org_id).lower(),
        }
        flows.append({**_fill(t.flow, rv), "recipient": r.org_id})
    if processor is not None and t.processor_flow is not None:
        pv = {**variables, "recipient_name": processor.name, "recipient_id": processor.org_id}
        pv["recipient_code"] = org_code(processor.org_id).lower()
        flows.append({**_fill(t.processor_flow, pv), "recipient": processor.org_id})
    start = now
    end = now + parse_duration(t.timing.flow_duration) if t.timing.flow_duration else None
    for f in flows:
        f.setdefault("start", start.isoformat())
        if end is not None:
            f.setdefault("end", end.isoformat())
    parties = [_party(discloser, PartyRole.discloser)]
    parties += [_party(r, PartyRole(t.parties.recipient_role)) for r in recipients]
    if processor is not None:
        parties.append(_party(processor, PartyRole.processor))
    suffix = incident.incident_id if incident else now.strftime("%Y%m%dT%H%MZ")
    doc.update(
        id=agreement_id or f"urn:accord:agreement:{t.id}:{_slug(suffix)}",
        version="1.0.0",
        template_id=t.id,
        template_version=t.version,
        mode=t.mode.value,
        parties=parties,
        flows=flows,
    )
    if incident is not None:
        doc["incident"] = incident.model_dump(mode="json")
    doc.setdefault("rights", {}).setdefault("lead_party", discloser.org_id)
    doc.setdefault("review", {})["review_date"] = (
        (now + parse_duration(t.timing.review_within)).date().isoformat()
    )
    if t.timing.dpia_due_within and "dpia" in doc:
        due = now + parse_duration(t.timing.dpia_due_within)
        if incident is not None:
            due = min(due, incident.declared_at + FULL_DPIA_WITHIN)
        doc["dpia"].setdefault("due_by", due.date().isoformat())
    if overrides:
        doc = _merge(doc, overrides)
    missing = [p for p in t.required_overrides if _lookup(doc, p) in (None, "")]
    if missing:
        raise InputError(
            f"template {t.id} needs facts only you can give",
            [Problem(p, "give it in overrides") for p in missing],
        )
    draft = parse_agreement(doc, source=f"template {t.id}")
    if "opt_out_policy" not in doc:
        doc["opt_out_policy"] = _opt_out_policy(draft, t.opt_out_policy).model_dump(mode="json")
        draft = parse_agreement(doc, source=f"template {t.id}")
    return draft


def _opt_out_policy(agreement: Agreement, policy: OptOutPolicy) -> OptOutDecision:
    row = decide_row(agreement, default_registry())
    ndoo = row.ndoo == "apply" or (row.ndoo == "policy" and policy.ndoo)
    type1 = row.type1 == "apply" or (row.type1 == "policy" and policy.type1)
    rationale = f"{row.summary()} ({row.cite.citation})"
    if "policy" in (row.ndoo, row.type1) and policy.reason:
        rationale += f" Policy decision: {policy.reason}"
    return OptOutDecision(apply_ndoo=ndoo, apply_type1=type1, rationale=rationale)
