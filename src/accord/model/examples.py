"""A small, complete emergency agreement used by examples, documentation and tests.

NHS England shares a shielded-patient list with two upper-tier local authorities, each receiving
only its own residents, under a COPI regulation 3(4) notice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from accord.model.agreement import Agreement

DECLARED_AT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def example_document() -> dict[str, Any]:
    la = {
        "health_professional_or_duty_of_confidentiality": True,
        "dspt_status": "standards_met",
        "cca_category": "cat1",
        "role": "recipient",
    }
    return {
        "id": "urn:accord:agreement:example-shielding",
        "version": "1.0.0",
        "title": "Shielded patient list to upper-tier local authorities",
        "summary_plain_english": (
            "NHS England gives each council the names, addresses and phone numbers of its own "
            "residents on the shielded patient list, so the council can offer food and care "
            "support. "
            "No medical details are shared."
        ),
        "mode": "emergency",
        "incident": {
            "incident_id": "INC-2026-001",
            "title": "Pandemic wave: shielding support",
            "declared_by_party": "gov-org:cabinet-office",
            "declared_by_role": "emergency_commander",
            "declared_at": DECLARED_AT.isoformat(),
            "cca_emergency": True,
            "review_by": datetime(2026, 4, 13, 9, 0, tzinfo=UTC).isoformat(),
        },
        "relationship": "separate_controllers",
        "parties": [
            {
                "org_id": "ods:X26",
                "name": "NHS England",
                "org_type": "nhs_england",
                "role": "discloser",
                "cca_category": "cat1",
                "dspt_status": "standards_exceeded",
                "health_professional_or_duty_of_confidentiality": True,
                "contacts": {"dpo": "dpo@nhs.example", "caldicott_guardian": "cg@nhs.example"},
            },
            {"org_id": "gss:E09000011", "name": "Greenwich", "org_type": "la_london_borough", **la},
            {"org_id": "gss:E06000002", "name": "Middlesbrough", "org_type": "la_unitary", **la},
        ],
        "purposes": [
            {
                "id": "shielding-support",
                "description": "Find clinically extremely vulnerable residents to offer support",
                "category": "emergency_response",
            }
        ],
        "benefits": "Vulnerable residents get food, medicine and care while shielding.",
        "risk_of_not_sharing": "Residents who must not leave home go without food or medicine.",
        "legal_basis": {
            "art6": ["e"],
            "art6_function": "Public health functions (NHS Act 2006 s2A; Care Act 2014)",
            "art9": "i",
            "dpa_sch1_paragraph": 3,
            "gateways": ["copi_reg3_4_notice"],
            "confidentiality_basis": "copi_reg3",
            "copi_notice_ref": "COPI reg 3(4) notice, 2026-03-16",
        },
        "confidential_patient_information": True,
        "data_items": [
            {
                "name": "nhs_number",
                "classification": "direct_identifier",
                "standard": "NHS_NUMBER",
                "justification": "Match people to council records without error",
            },
            {
                "name": "given_name",
                "classification": "direct_identifier",
                "justification": "Contact the person",
            },
            {
                "name": "family_name",
                "classification": "direct_identifier",
                "justification": "Contact the person",
            },
            {
                "name": "date_of_birth",
                "classification": "quasi_identifier",
                "standard": "DATE_ISO8601",
                "table_schema": {"type": "date"},
                "justification": "Confirm identity at the door",
            },
            {
                "name": "postcode",
                "classification": "quasi_identifier",
                "standard": "POSTCODE",
                "justification": "Route the record to the council and deliver support",
            },
            {
                "name": "phone",
                "classification": "direct_identifier",
                "standard": "PHONE",
                "justification": "Phone the person",
            },
            {
                "name": "diagnosis_snomed",
                "classification": "special_category_health",
                "standard": "SNOMED_CT",
                "justification": "Held by the discloser only; never sent to councils",
                "transform": "drop",
            },
        ],
        "flows": [
            {
                "id": f"spl-{code.lower()}",
                "recipient": f"gss:{code}",
                "projection": [
                    "nhs_number",
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "postcode",
                    "phone",
                ],
                "row_filter": "utla(postcode) == recipient.gss",
                "frequency": "daily",
                "linkage_permitted": ["test_and_trace"],
            }
            for code in ("E09000011", "E06000002")
        ],
        "opt_out_policy": {
            "apply_ndoo": False,
            "apply_type1": False,
            "rationale": "COPI regulation 3: the national data opt-out does not apply",
        },
        "retention": {"period": "P6M", "trigger": "from incident stand-down"},
        "rights": {"lead_party": "ods:X26"},
        "dpia": {
            "status": "screening_only_emergency",
            "due_by": date(2026, 4, 15).isoformat(),
            "screening_ref": "DPIA-SCREEN-2026-001",
        },
        "review": {"review_date": date(2026, 4, 13).isoformat(), "review_interval": "P28D"},
    }


def example_agreement() -> Agreement:
    return Agreement.model_validate(example_document())


def example_counts_agreement(agreement_id: str) -> Agreement:
    """The example agreement with every flow turned into counts by ten-year age band under the
    OpenSAFELY profile: what the aggregate stage and the release review run on.

    >>> a = example_counts_agreement("urn:accord:agreement:counts")
    >>> {f.aggregate.group_by[0] for f in a.flows if f.aggregate}
    {'date_of_birth'}
    """
    doc = example_document()
    doc["id"] = agreement_id
    for f in doc["flows"]:
        f.update(
            identifiability="aggregate",
            projection=["date_of_birth", "postcode"],
            transforms=[{"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"}],
            aggregate={"group_by": ["date_of_birth"], "profile": "opensafely"},
        )
    return Agreement.model_validate(doc)
