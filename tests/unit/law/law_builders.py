"""Agreement documents for law tests: a lawful baseline, changed one thing at a time."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from accord.model import Agreement, parse_agreement

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)

IDS = {
    "nhs_england": "ods:X26",
    "nhs_trust": "ods:RGT",
    "gp_practice": "ods:A81001",
    "ukhsa": "gov-org:uk-health-security-agency",
    "central_department": "gov-org:department-for-work-pensions",
    "alb": "gov-org:care-quality-commission",
    "la_unitary": "gss:E06000002",
    "la_london_borough": "gss:E09000011",
    "police": "gov-org:metropolitan-police-service",
    "utility": "ch:02366703",
    "vcs": "ch:01234567",
}
PA_CATEGORY = {"utility": "cat2", "vcs": "none"}


def party(org_type: str, role: str, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "org_id": IDS[org_type],
        "name": f"The {org_type.replace('_', ' ')}",
        "org_type": org_type,
        "role": role,
        "cca_category": PA_CATEGORY.get(org_type, "cat1"),
        "dspt_status": "standards_met",
        "health_professional_or_duty_of_confidentiality": True,
        "dea_specified_person": [
            "multiple_disadvantages",
            "public_sector_debt",
            "public_sector_fraud",
        ],
        "contacts": {"dpo": "dpo@example.org"},
    }
    out.update(changes)
    return out


ITEMS = [
    {"name": "given_name", "classification": "direct_identifier", "justification": "contact"},
    {"name": "postcode", "classification": "quasi_identifier", "justification": "route"},
]
HEALTH = {"name": "condition", "classification": "special_category_health", "justification": "care"}


def document(
    discloser: str = "la_unitary",
    recipient: str = "la_london_borough",
    *,
    purpose: str = "service_delivery",
    health: bool = False,
    **changes: Any,
) -> dict[str, Any]:
    """A routine agreement between two parties with a complete DPIA and notices linked."""
    d = party(discloser, "discloser")
    r = party(recipient, "recipient")
    items = copy.deepcopy(ITEMS) + ([dict(HEALTH)] if health else [])
    doc: dict[str, Any] = {
        "id": "urn:accord:agreement:law-test",
        "title": "Law test",
        "summary_plain_english": "A test agreement.",
        "mode": "routine",
        "relationship": "separate_controllers",
        "parties": [d, r],
        "purposes": [{"id": "p1", "description": "A purpose", "category": purpose}],
        "benefits": "Benefits.",
        "risk_of_not_sharing": "Harm.",
        "legal_basis": {"art6": ["e"], "art6_function": "A statutory function"},
        "data_items": items,
        "flows": [
            {
                "id": "f1",
                "recipient": r["org_id"],
                "projection": [i["name"] for i in items],
                "row_filter": "true",
                "frequency": "monthly",
                "start": NOW.isoformat(),
                "end": NOW.replace(year=2027).isoformat(),
            }
        ],
        "retention": {"period": "P1Y"},
        "rights": {
            "lead_party": d["org_id"],
            "privacy_notice_urls": {
                d["org_id"]: "https://example.org/privacy/d",
                r["org_id"]: "https://example.org/privacy/r",
            },
            "art14_approach": "Privacy notices of both parties",
        },
        "dpia": {"status": "complete", "residual_risk": "low", "completed_on": "2026-03-01"},
        "review": {"review_date": "2027-03-01"},
    }
    return merge(doc, changes)


COUNT = {
    "name": "case_count",
    "classification": "non_personal",
    "table_schema": {"type": "integer"},
    "justification": "the statistic",
}


def anonymous(doc: dict[str, Any], label: str = "aggregate") -> dict[str, Any]:
    """``doc`` with its first flow labelled ``label`` and physically so: it delivers only a
    non-personal count (no direct identifier, no row per person)."""
    out = copy.deepcopy(doc)
    out["data_items"].append(dict(COUNT))
    out["flows"][0].update(identifiability=label, projection=[COUNT["name"]])
    return out


def mislabelled(doc: dict[str, Any], label: str = "aggregate") -> dict[str, Any]:
    """``doc`` with its first flow labelled ``label`` but still delivering its person-level
    fields (the defect of issue 12 item 2)."""
    out = copy.deepcopy(doc)
    out["flows"][0]["identifiability"] = label
    return out


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def emergency(doc: dict[str, Any], *, part2: bool | None = True) -> dict[str, Any]:
    """``doc`` as an emergency agreement; ``part2`` says whether the incident is an emergency in
    the CCA 2004 Part 2 sense too (it is always one in the Part 1 sense)."""
    return merge(
        doc,
        {
            "mode": "emergency",
            "incident": {
                "incident_id": "INC-1",
                "declared_by_party": "gov-org:cabinet-office",
                "declared_by_role": "emergency_commander",
                "declared_at": "2026-03-16T09:00:00+00:00",
                "cca_emergency": True,
                "cca_part2_emergency": part2,
                "review_by": "2026-04-13T09:00:00+00:00",
            },
            "review": {"review_date": "2026-04-10"},
        },
    )


def agreement(doc: dict[str, Any]) -> Agreement:
    return parse_agreement(doc, source="test")
