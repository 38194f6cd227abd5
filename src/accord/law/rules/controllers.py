"""Joint controllers need an Art 26 arrangement (and each privacy notice linked); processors
need an Art 28 contract and may not pass data on except to authorised sub-processors."""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import OnwardSharing, Relationship

B = Severity.blocking


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if a.relationship is Relationship.joint_controllers:
        if not (a.art26_arrangement_ref or "").strip():
            yield ctx.finding(
                "art26.missing",
                B,
                "art26_arrangement_ref",
                "Joint controllers must have an Article 26 arrangement setting out their "
                "responsibilities; reference it.",
                "art26",
            )
        for party in ctx.controllers:
            if party.org_id not in a.rights.privacy_notice_urls:
                yield ctx.finding(
                    "art26.privacy-notice",
                    B,
                    "rights.privacy_notice_urls",
                    f"The essence of the joint arrangement must be available to people: link "
                    f"{party.name}'s privacy notice.",
                    "art26",
                )
    if (a.relationship is Relationship.controller_processor or ctx.processors) and not (
        a.art28_contract_ref or ""
    ).strip():
        names = ", ".join(p.name for p in ctx.processors) or "the processor"
        yield ctx.finding(
            "art28.missing",
            B,
            "art28_contract_ref",
            f"{names} processes data for a controller: reference the Article 28 contract.",
            "art28",
        )
    for party in ctx.processors:
        for i, flow in ctx.flows_to(party):
            if flow.onward_sharing is OnwardSharing.permitted_to_listed:
                yield ctx.finding(
                    "art28.onward-sharing",
                    B,
                    f"flows.{i}.onward_sharing",
                    f"Flow {flow.id} goes to a processor, which may pass data only to authorised "
                    "sub-processors (prohibited or permitted_processors_only).",
                    "art28.sub-processing",
                )
