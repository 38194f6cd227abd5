"""Named precondition checks that gateway files refer to (``preconditions: - check: NAME``).

Each check takes the rule context, the gateway and the parameters written in the file, and yields
findings. :func:`register_builtin_preconditions` adds them to a registry the same way a third
party adds its own with :meth:`LawRegistry.add_precondition`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.law.records import Gateway
from accord.law.registry import LawRegistry
from accord.model.enums import Art6Basis, OnwardSharing

B = Severity.blocking


def requires_copi_notice_ref(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    if not (ctx.agreement.legal_basis.copi_notice_ref or "").strip():
        yield ctx.finding(
            "gateway.copi-notice-ref",
            B,
            "legal_basis.copi_notice_ref",
            "A COPI regulation 3(4) notice is relied on but not referenced: record which notice "
            "(its date and the bodies it names) requires this processing.",
            gw,
        )


def requires_cag_approval_ref(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    if not (ctx.agreement.legal_basis.s251_ref or "").strip():
        yield ctx.finding(
            "gateway.cag-approval-ref",
            B,
            "legal_basis.s251_ref",
            "Section 251 support is relied on but no CAG approval reference is recorded.",
            gw,
        )


CCA_FIELDS = ("requester_name", "requester_address", "description", "reason")


def requires_written_request(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    req = ctx.agreement.cca_request
    if req is None:
        yield ctx.finding(
            "cca.request-incomplete",
            B,
            "cca_request",
            "A Civil Contingencies Act share needs the written request it answers: the "
            "requester's name and address, a description of the information and why it is needed.",
            "cca.request",
        )
        return
    missing = [f for f in CCA_FIELDS if not (getattr(req, f) or "").strip()]
    if not req.in_writing:
        missing.insert(0, "in_writing")
    if missing:
        yield ctx.finding(
            "cca.request-incomplete",
            B,
            "cca_request",
            f"The Civil Contingencies Act request is incomplete; missing: {', '.join(missing)}.",
            "cca.request",
        )


def requires_onward_sharing_prohibited(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    code = str(params.get("code", "gateway.onward-sharing"))
    cite: Any = params.get("citation") or gw
    for i, flow in enumerate(ctx.agreement.flows):
        if flow.onward_sharing is not OnwardSharing.prohibited:
            yield ctx.finding(
                code,
                B,
                f"flows.{i}.onward_sharing",
                f"Flow {flow.id}: information received under {gw.title} may be used only for the "
                "function it was requested for; onward sharing must be prohibited.",
                cite,
            )


def requires_originator_consent_for_onward_sharing(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    """Sensitive information received under the Contingency Planning Regulations may be
    disclosed onward only with the consent of its originator (Scotland reg 45(2); the E&W Part 8
    equivalent): a flow allowing onward sharing needs that consent recorded."""
    code = str(params.get("code", "gateway.onward-sharing"))
    cite: Any = params.get("citation") or gw
    req = ctx.agreement.cca_request
    consent = (req.onward_disclosure_consent_ref or "").strip() if req is not None else ""
    if consent or not ctx.personal:
        return
    for i, flow in enumerate(ctx.agreement.flows):
        if flow.onward_sharing is not OnwardSharing.prohibited:
            yield ctx.finding(
                code,
                B,
                f"flows.{i}.onward_sharing",
                f"Flow {flow.id}: sensitive information received under {gw.title} may be used "
                "only for the function it was requested for and disclosed onward only with the "
                "consent of its originator; prohibit onward sharing or record that consent "
                "(cca_request.onward_disclosure_consent_ref).",
                cite,
            )


def requires_data_provision_notice(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    if not (ctx.agreement.legal_basis.data_provision_notice_ref or "").strip():
        yield ctx.finding(
            "gateway.dpn-ref",
            B,
            "legal_basis.data_provision_notice_ref",
            f"{gw.title} compels the data only through a notice: reference the Data Provision "
            "Notice (and the s254 direction or s255 request it serves).",
            gw,
        )


def requires_dea_objective(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    basis = ctx.agreement.legal_basis
    if not basis.dea_objective:
        yield ctx.finding(
            "dea.objective-missing",
            B,
            "legal_basis.dea_objective",
            f"{gw.title} needs the specified objective the share serves.",
            gw,
        )
        return
    objective = ctx.registry.dea_objective(basis.dea_objective)
    if objective is None or objective.gateway != gw.id:
        known = ", ".join(o.id for o in ctx.registry.dea_objectives if o.gateway == gw.id)
        yield ctx.finding(
            "dea.objective-unknown",
            B,
            "legal_basis.dea_objective",
            f"{basis.dea_objective!r} is not an objective specified for {gw.title} "
            f"(known: {known}).",
            gw,
        )
        return
    for party in ctx.controllers:
        if objective.id not in party.dea_specified_person:
            yield ctx.finding(
                "dea.not-specified",
                B,
                f"{ctx.party_field(party)}.dea_specified_person",
                f"{party.name} is not recorded as a person specified for the "
                f"{objective.title.lower()} objective; both sides of a DEA share must be.",
                objective,
            )
        elif objective.specified_persons is not None and not any(
            party.org_type in sp.org_types or party.org_id in sp.org_ids
            for sp in objective.specified_persons
        ):
            yield ctx.finding(
                "dea.schedule4",
                B,
                ctx.party_field(party),
                f"{party.name} ({party.org_type.value}) is not among the persons the regulations "
                f"specify for the {objective.title.lower()} objective (DEA 2017 Sch 4 paras "
                f"{objective.paragraphs_text}, or a person providing services to one of them in "
                "connection with the objective).",
                objective,
            )
    yield from _dea_eligibility(ctx, objective)


def _dea_eligibility(ctx: Context, objective: Any) -> Iterator[Finding]:
    field, minimum = objective.factor_count_field, objective.min_factors
    if not field or not minimum:
        return
    pattern = re.compile(rf"\b{re.escape(field)}\s*>=\s*(\d+)")
    names = {d.name for d in ctx.agreement.data_items}
    for i, flow in enumerate(ctx.agreement.flows):
        found = [int(n) for n in pattern.findall(flow.row_filter)]
        if field not in names or not found or max(found) < minimum:
            yield ctx.finding(
                "dea.eligibility",
                B,
                f"flows.{i}.row_filter",
                f"Flow {flow.id}: only households with at least {minimum} of the "
                f"{len(objective.factors)} disadvantage factors are eligible; the row filter must "
                f"require `{field} >= {minimum}` on a declared data item {field}.",
                objective,
            )


def excludes_health_data(ctx: Context, gw: Gateway, params: Mapping[str, Any]) -> Iterator[Finding]:
    if not ctx.shared_health_items:
        return
    others = [
        g
        for g in ctx.gateway_ids
        if g != gw.id and ctx.registry.has_gateway(g) and ctx.registry.gateway(g).covers_health_data
    ]
    if others:
        return
    for item in ctx.shared_health_items:
        idx = ctx.agreement.data_items.index(item)
        yield ctx.finding(
            "dea.health-data",
            B,
            f"data_items.{idx}",
            f"{item.name} is health data; {gw.title} does not cover it. Drop it or add a gateway "
            "that covers health data.",
            gw,
        )


def requires_deidentified(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    flows = ctx.agreement.flows
    for i, flow in enumerate(flows):
        if flow in ctx.identifying_flows:
            yield ctx.finding(
                "gateway.identifiable",
                B,
                f"flows.{i}.identifiability",
                f"Flow {flow.id} is {flow.identifiability.value}; {gw.title} allows only "
                "de-identified information.",
                gw,
            )
    if not flows:
        yield ctx.finding(
            "gateway.identifiable",
            B,
            "flows",
            f"{gw.title} allows only de-identified information, and no flow says so.",
            gw,
        )


def requires_individual_care(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    for i, purpose in enumerate(ctx.agreement.purposes):
        if not purpose.is_individual_care:
            yield ctx.finding(
                "gateway.not-individual-care",
                B,
                f"purposes.{i}.is_individual_care",
                f"Purpose {purpose.id} is not individual care; {gw.title} covers only that.",
                gw,
            )


def requires_children_data(
    ctx: Context, gw: Gateway, params: Mapping[str, Any]
) -> Iterator[Finding]:
    if not ctx.agreement.children_data:
        yield ctx.finding(
            "gateway.not-children",
            B,
            "children_data",
            f"{gw.title} concerns children, but the agreement does not share children's data.",
            gw,
        )


def requires_emergency(ctx: Context, gw: Gateway, params: Mapping[str, Any]) -> Iterator[Finding]:
    """A declared emergency in the meaning the gateway's law uses: ``meaning: part2`` (CCA 2004
    s19, the UK or a Part or region: UK GDPR Annexes 1 and 2) or ``part1`` (s1, a place in the
    UK: the Contingency Planning Regulations), the default."""
    if params.get("meaning", "part1") == "part2":
        if not ctx.part2_emergency:
            yield ctx.finding(
                "gateway.no-emergency",
                B,
                "incident.cca_part2_emergency",
                f"{gw.title} needs a declared emergency in the Civil Contingencies Act 2004 "
                "Part 2 sense (s19: serious damage to the UK or a Part or region of it); the "
                "incident does not record one.",
                gw,
            )
    elif not ctx.part1_emergency:
        yield ctx.finding(
            "gateway.no-emergency",
            B,
            "incident.cca_emergency",
            f"{gw.title} needs a declared emergency in the Civil Contingencies Act 2004 Part 1 "
            "sense (s1).",
            gw,
        )


def requires_art6(ctx: Context, gw: Gateway, params: Mapping[str, Any]) -> Iterator[Finding]:
    basis = Art6Basis(str(params["basis"]))
    if basis not in ctx.agreement.legal_basis.art6:
        yield ctx.finding(
            "gateway.art6-mismatch",
            B,
            "legal_basis.art6",
            f"{gw.title} is an Art 6(1)({basis.value}) basis, but Art 6(1)({basis.value}) is not "
            "listed.",
            gw,
        )


BUILTIN = {
    "requires_copi_notice_ref": requires_copi_notice_ref,
    "requires_cag_approval_ref": requires_cag_approval_ref,
    "requires_written_request": requires_written_request,
    "requires_onward_sharing_prohibited": requires_onward_sharing_prohibited,
    "requires_originator_consent_for_onward_sharing": (
        requires_originator_consent_for_onward_sharing
    ),
    "requires_data_provision_notice": requires_data_provision_notice,
    "requires_dea_objective": requires_dea_objective,
    "excludes_health_data": excludes_health_data,
    "requires_deidentified": requires_deidentified,
    "requires_individual_care": requires_individual_care,
    "requires_children_data": requires_children_data,
    "requires_emergency": requires_emergency,
    "requires_art6": requires_art6,
}


def register_builtin_preconditions(registry: LawRegistry) -> None:
    for name, check in BUILTIN.items():
        registry.add_precondition(name, check)
