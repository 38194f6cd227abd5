"""Step 10: transparency and register duties triggered by the gateways, and privacy notices.

A DEA share needs its DEA register entry (18 fields, derivable from the agreement) before the
first flow; an NHS England s261/s254 dissemination needs a Data Uses Register entry.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import Relationship
from accord.model.ids import org_scheme


def dea_register_gaps(ctx: Context) -> list[str]:
    """The DEA register fields that cannot be derived from the agreement."""
    a = ctx.agreement
    gaps: list[str] = []
    if not a.flows or any(f.start is None for f in a.flows):
        gaps.append("Start date (every flow needs a start)")
    if not a.flows or any(f.end is None for f in a.flows):
        gaps.append("End date (every flow needs an end)")
    lead = next((p for p in a.parties if p.org_id == a.rights.lead_party), None)
    contacts = lead.contacts if lead else None
    if contacts is None or not (contacts.dpo or contacts.ig_lead or contacts.duty_contact_24x7):
        gaps.append("Contact (the lead party needs a DPO, IG lead or duty contact)")
    if not any(org_scheme(p.org_id) == "gss" for p in a.parties):
        gaps.append("Areas (no party is identified by a GSS area code)")
    return gaps


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    reg = ctx.registry
    registers = {reg.gateway(g).register_duty for g in ctx.gateway_ids if reg.has_gateway(g)}
    if "dea" in registers:
        if not (a.transparency.dea_register_id or "").strip():
            yield ctx.finding(
                "dea.register-entry",
                Severity.blocking,
                "transparency.dea_register_id",
                "A Digital Economy Act share must be entered in the DEA register before the first "
                "flow; record the register entry id.",
                "dea.register",
            )
        gaps = dea_register_gaps(ctx)
        if gaps:
            yield ctx.finding(
                "dea.register-fields",
                Severity.blocking,
                "transparency",
                "The DEA register entry cannot be completed from the agreement: "
                + "; ".join(gaps)
                + ".",
                "dea.register",
            )
    if "dur" in registers and not (a.transparency.dur_ref or "").strip():
        yield ctx.finding(
            "dur.entry",
            Severity.warning,
            "transparency.dur_ref",
            "NHS England disseminations are published in the Data Uses Register; record the entry.",
            "dur",
        )
    if not ctx.personal or a.relationship is Relationship.joint_controllers:
        return
    for party in ctx.controllers:
        if party.org_id not in a.rights.privacy_notice_urls:
            yield ctx.finding(
                "transparency.privacy-notice",
                Severity.warning,
                "rights.privacy_notice_urls",
                f"No privacy notice is linked for {party.name}; people must be told within a "
                "month of their data being obtained from another organisation.",
                "transparency.notices",
            )
