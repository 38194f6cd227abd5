"""Example parties and incidents for each template: used by documentation, the example files
in ``examples/``, the CLI's demonstrations and the scenario tests.

The organisations are real bodies with their real codes, but every attribute accord records
about them here (DSPT status, contacts, specified-person lists) is illustrative.

>>> from datetime import UTC, datetime
>>> from accord.playbook import instantiate
>>> now = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
>>> a = instantiate("s1_shielded_patient_list", **example_inputs("s1_shielded_patient_list", now))
>>> [f.row_filter for f in a.flows][:1]
['utla(postcode) == recipient.gss']
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accord.model.governance import Incident
from accord.model.parties import Contacts, Party

COUNCILS = (
    ("E09000011", "Royal Borough of Greenwich", "la_london_borough"),
    ("E06000002", "Middlesbrough Council", "la_unitary"),
    ("E10000003", "Cambridgeshire County Council", "la_county"),
    ("E08000025", "Birmingham City Council", "la_metropolitan"),
)


def incident(declared_at: datetime, *, incident_id: str = "INC-2026-001") -> Incident:
    return Incident(
        incident_id=incident_id,
        title="Pandemic wave: shielding and case management",
        declared_by_party="gov-org:cabinet-office",
        declared_by_role="emergency_commander",
        declared_at=declared_at,
        cca_emergency=True,
        # A pandemic wave threatens the whole UK: an emergency in the CCA Part 2 sense too.
        cca_part2_emergency=True,
        review_by=declared_at + timedelta(days=28),
        arbiter="DHSC (power to issue a COPI regulation 3(4) notice)",
    )


def nhs_england() -> Party:
    return Party(
        org_id="ods:X26",
        name="NHS England",
        org_type="nhs_england",
        role="discloser",
        cca_category="cat1",
        dspt_status="standards_exceeded",
        health_professional_or_duty_of_confidentiality=True,
        contacts=Contacts(dpo="dpo@nhse.example", caldicott_guardian="cg@nhse.example"),
    )


def ukhsa() -> Party:
    return Party(
        org_id="gov-org:uk-health-security-agency",
        name="UK Health Security Agency",
        org_type="ukhsa",
        role="discloser",
        cca_category="cat1",
        dspt_status="standards_met",
        health_professional_or_duty_of_confidentiality=True,
        contacts=Contacts(dpo="dpo@ukhsa.example", caldicott_guardian="cg@ukhsa.example"),
    )


def council(code: str, name: str, org_type: str, **changes: Any) -> Party:
    fields: dict[str, Any] = {
        "org_id": f"gss:{code}",
        "name": name,
        "org_type": org_type,
        "role": "recipient",
        "cca_category": "cat1",
        "dspt_status": "standards_met",
        "health_professional_or_duty_of_confidentiality": True,
        "contacts": Contacts(
            dpo=f"dpo@{code.lower()}.example", siro=f"siro@{code.lower()}.example"
        ),
    }
    fields.update(changes)
    return Party(**fields)


def councils(n: int = 2) -> list[Party]:
    return [council(*row) for row in COUNCILS[:n]]


def letters_processor() -> Party:
    return Party(
        org_id="ch:02081330",
        name="Shielding Letters Ltd",
        org_type="processor_commercial",
        role="processor",
        dspt_status="standards_met",
    )


def water_company() -> Party:
    return Party(
        org_id="ch:02366703",
        name="Thames Water Utilities Ltd",
        org_type="utility",
        role="recipient",
        cca_category="cat2",
        contacts=Contacts(dpo="dpo@water.example", duty_contact_24x7="control@water.example"),
    )


def dwp() -> Party:
    return Party(
        org_id="gov-org:department-for-work-pensions",
        name="Department for Work and Pensions",
        org_type="central_department",
        role="recipient",
        dea_specified_person=["multiple_disadvantages"],
        contacts=Contacts(dpo="dpo@dwp.example"),
    )


def research_team() -> Party:
    return Party(
        org_id="ods:RGT",
        name="Cambridge University Hospitals NHS Foundation Trust (research team)",
        org_type="nhs_foundation_trust",
        role="recipient",
        dspt_status="standards_met",
        health_professional_or_duty_of_confidentiality=True,
    )


def example_inputs(template_id: str, now: datetime) -> dict[str, Any]:
    """Keyword arguments for :func:`accord.playbook.instantiate` that fit ``template_id``."""
    declared = now - timedelta(hours=1)
    if template_id == "s1_shielded_patient_list":
        return {
            "incident": incident(declared),
            "discloser": nhs_england(),
            "recipients": councils(4),
            "processor": letters_processor(),
            "now": now,
        }
    if template_id == "s3_positive_case_line_list":
        return {
            "incident": incident(declared),
            "discloser": ukhsa(),
            "recipients": councils(2),
            "now": now,
        }
    if template_id == "s4_vulnerable_residents_utility":
        return {
            "incident": incident(declared, incident_id="INC-2026-017"),
            "discloser": council("E09000011", "Royal Borough of Greenwich", "la_london_borough"),
            "recipients": [water_company()],
            "now": now,
            "overrides": {
                "cca_request": {"requester_address": "Clearwater Court, Vastern Road, Reading"}
            },
        }
    if template_id == "s9_dea_multiple_disadvantages":
        return {
            "incident": None,
            "discloser": council(
                "E08000025",
                "Birmingham City Council",
                "la_metropolitan",
                dea_specified_person=["multiple_disadvantages"],
            ),
            "recipients": [dwp()],
            "now": now,
            "overrides": {
                "transparency": {"dea_register_id": "ISA-2026-0142"},
                "dpia": {"completed_on": now.date().isoformat()},
            },
        }
    if template_id == "s8_sde_research_outputs":
        return {
            "incident": None,
            "discloser": nhs_england(),
            "recipients": [research_team()],
            "now": now,
        }
    raise KeyError(template_id)
