"""DPIA trigger detectors: each derives one trigger of ``data/dpia_triggers.yaml`` from an
agreement and returns a short reason, or None when the trigger does not apply.

They are registered by name (:func:`register_dpia_detectors`), like a third party's would be.
"""

from __future__ import annotations

from accord.law.context import Context
from accord.law.registry import LawRegistry
from accord.model.enums import (
    Art6Basis,
    Frequency,
    Mode,
    PurposeCategory,
    Relationship,
)

REGULAR = frozenset({Frequency.real_time, Frequency.hourly, Frequency.daily, Frequency.weekly})


def large_scale_special_category(ctx: Context) -> str | None:
    if not ctx.personal or not (ctx.special_category or ctx.criminal_offence):
        return None
    receivers = ctx.receivers_all()
    regular = any(f.frequency in REGULAR for f in ctx.identifying_flows)
    if len(receivers) >= 2 or regular or ctx.agreement.mode is Mode.emergency:
        return f"special category or criminal offence data to {len(receivers)} recipient(s)" + (
            " on a regular schedule" if regular else ""
        )
    return None


def data_matching(ctx: Context) -> str | None:
    a = ctx.agreement
    linked = sorted({d for f in a.flows for d in f.linkage_permitted})
    if linked:
        return "recipients may link the data with " + ", ".join(linked)
    if len(a.datasets) >= 2:
        return f"{len(a.datasets)} datasets are combined"
    if a.relationship is Relationship.joint_controllers and ctx.personal:
        return "joint controllers pool their data"
    return None


def invisible_processing(ctx: Context) -> str | None:
    a = ctx.agreement
    if not ctx.personal or not ctx.identifying_flows or Art6Basis.a in a.legal_basis.art6:
        return None
    approach = a.rights.art14_approach.strip()
    if not approach or "14(5)" in approach:
        return "people are not told directly (no Art 14 notice approach, or Art 14(5) relied on)"
    return None


def vulnerable_subjects(ctx: Context) -> str | None:
    a = ctx.agreement
    if a.children_data or any(d.about_children for d in a.data_items):
        return "children's data"
    if any(p.category is PurposeCategory.safeguarding for p in a.purposes):
        return "safeguarding vulnerable people"
    return None


def register_dpia_detectors(registry: LawRegistry) -> None:
    for detector in (
        large_scale_special_category,
        data_matching,
        invisible_processing,
        vulnerable_subjects,
    ):
        registry.add_dpia_detector(detector.__name__, detector)
