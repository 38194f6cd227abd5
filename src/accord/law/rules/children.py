"""Children's data needs a compelling reason (ICO data sharing code, children)."""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context
from accord.law.findings import Finding, Severity


def evaluate(ctx: Context) -> Iterator[Finding]:
    a = ctx.agreement
    if not a.children_data:
        for i, item in enumerate(a.data_items):
            if item.about_children:
                yield ctx.finding(
                    "children.undeclared",
                    Severity.blocking,
                    f"data_items.{i}.about_children",
                    f"{item.name} is about children: set children_data and give a compelling "
                    "reason for sharing it.",
                    "children",
                )
    if (a.children_data or any(d.about_children for d in a.data_items)) and not (
        a.compelling_reason or ""
    ).strip():
        yield ctx.finding(
            "children.compelling-reason",
            Severity.blocking,
            "compelling_reason",
            "Children's data is shared: state the compelling reason, with the best interests of "
            "the child in mind.",
            "children",
        )
