"""Step 1a: a flow's identifiability label must match what leaves (UK GDPR Recital 26).

A flow labelled ``aggregate`` or ``anonymised_ico_compliant`` takes itself out of the opt-outs
and the data protection checks, so a label that claims more than the flow delivers would
weaken protection. Each :func:`accord.model.labels.label_problems` problem (a direct
identifier, or one row per person) is blocking, naming the flow and the field; the engine
refuses the same flows (``accord.engine.compile``).
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity
from accord.model.labels import label_problems

CODE = "label.not-anonymous"


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    for i, flow in enumerate(a.flows):
        for problem in label_problems(flow, a.data_items):
            yield ctx.finding(
                CODE,
                Severity.blocking,
                f"flows.{i}.projection.{flow.projection.index(problem.field)}",
                f"{problem.message[0].upper()}{problem.message[1:]}. Drop or coarsen the field, "
                "or label the flow identifiable or pseudonymised: a label never switches "
                "protection off.",
                "label.anonymity",
            )
