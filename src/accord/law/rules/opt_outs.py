"""Step 8: opt-outs. Reports the §d.4 decision and where the stored policy disagrees with it.

Storing "do not apply" where the table says "apply" ignores people's objections (blocking).
Storing "apply" where the table says "do not apply" removes people the law lets the flow reach,
which in an emergency can harm them (warning). A ``policy`` column accepts either, recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.law.opt_outs import WORDS, OptOutRow, decide_row
from accord.model.legal import OptOutDecision

LABEL = {"ndoo": "the national data opt-out", "type1": "Type 1 opt-outs"}


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    row = decide_row(a, ctx.registry)
    stored = a.opt_out_policy
    recorded = ""
    if stored is not None:
        recorded = (
            f" Recorded: NDOO {'applied' if stored.apply_ndoo else 'not applied'}, Type 1 "
            f"{'applied' if stored.apply_type1 else 'not applied'}."
        )
    yield ctx.finding(
        "optout.decision", Severity.info, "opt_out_policy", row.summary() + recorded, row.cite
    )
    if stored is None:
        if a.confidential_patient_information:
            yield ctx.finding(
                "optout.missing",
                Severity.warning,
                "opt_out_policy",
                "Confidential patient information is shared but no opt-out decision is recorded; "
                "store the computed decision with its rationale.",
                row.cite,
            )
    else:
        yield from _compare(ctx, row, stored, "opt_out_policy")
    for i, flow in enumerate(a.flows):
        if flow.opt_outs is not None:
            yield from _compare(ctx, row, flow.opt_outs, f"flows.{i}.opt_outs")


def _compare(ctx: Context, row: OptOutRow, stored: OptOutDecision, field: str) -> Iterator[Finding]:
    for column, effect, value in (
        ("ndoo", row.ndoo, stored.apply_ndoo),
        ("type1", row.type1, stored.apply_type1),
    ):
        if effect == "apply" and not value:
            yield ctx.finding(
                "optout.mismatch",
                Severity.blocking,
                f"{field}.apply_{column}",
                f"{LABEL[column].capitalize()} {WORDS[effect]} here but the agreement does not "
                f"apply it. {row.rationale}",
                row.cite,
            )
        elif effect == "do_not_apply" and value:
            yield ctx.finding(
                "optout.mismatch",
                Severity.warning,
                f"{field}.apply_{column}",
                f"{LABEL[column].capitalize()} {WORDS[effect]} here but the agreement applies it, "
                f"removing people the flow may lawfully reach. {row.rationale}",
                row.cite,
            )
