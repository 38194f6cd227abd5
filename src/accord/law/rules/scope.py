"""Step 1: is it personal data? Anonymised or aggregate flows take data protection law and the
duty of confidentiality out of scope, but need a disclosure-control profile."""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.enums import DisclosureProfile, Identifiability


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if not ctx.personal:
        yield ctx.finding(
            "scope.not-personal",
            Severity.info,
            "flows",
            "No flow shares personal data (every flow is anonymised or aggregate, or no shared "
            "item is personal), so the data protection and confidentiality checks do not apply.",
            "scope.personal-data",
        )
    for i, flow in enumerate(a.flows):
        has_sdc = any(t.op == "suppress_small" for t in flow.transforms)
        if (
            flow.identifiability is Identifiability.aggregate
            and flow.aggregate is None  # the aggregate stage defaults to NHS secondary care
            and a.disclosure_control_profile is DisclosureProfile.none
            and not has_sdc
        ):
            yield ctx.finding(
                "disclosure.profile-missing",
                Severity.warning,
                f"flows.{i}",
                f"Flow {flow.id} releases aggregates without a disclosure-control profile; small "
                "numbers could identify people.",
                "disclosure.profile",
            )
