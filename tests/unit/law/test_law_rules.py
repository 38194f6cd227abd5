"""Each rule of the engine: one change to a lawful baseline, the finding it must produce."""

from __future__ import annotations

from datetime import date

import pytest
from law_builders import agreement, anonymous, document, emergency, merge, mislabelled, party

from accord.law import Severity, check

AT = date(2026, 3, 16)
HEALTH_CPI = {
    "confidential_patient_information": True,
    "legal_basis": {
        "gateways": ["copi_reg3"],
        "confidentiality_basis": "copi_reg3",
        "art9": "i",
        "dpa_sch1_paragraph": 3,
    },
    "opt_out_policy": {"apply_ndoo": False, "apply_type1": False, "rationale": "COPI"},
}


def base_health(**changes):
    return merge(
        merge(
            document("ukhsa", "la_unitary", purpose="public_health_surveillance", health=True),
            HEALTH_CPI,
        ),
        changes,
    )


CASES = [
    ("vires.missing", Severity.blocking, document(), "legal_basis.gateways"),
    (
        "art6.basis-in-law-missing",
        Severity.blocking,
        document(legal_basis={"art6_function": None}),
        "legal_basis.art6_function",
    ),
    (
        "art6.lia-missing",
        Severity.blocking,
        document("vcs", "utility", legal_basis={"art6": ["f"], "statutory_power": "x"}),
        "legal_basis.lia_ref",
    ),
    (
        "art6.ea-no-annex1-condition",
        Severity.blocking,
        document("vcs", "utility", legal_basis={"art6": ["ea"], "statutory_power": "x"}),
        "legal_basis.art6",
    ),
    (
        "art6.public-authority-ea-f",
        Severity.blocking,
        document(legal_basis={"art6": ["f"], "lia_ref": "LIA", "statutory_power": "x"}),
        "parties.0",
    ),
    (
        "art6.ea-f-unused",
        Severity.warning,
        document(legal_basis={"art6": ["e", "f"], "lia_ref": "LIA", "statutory_power": "x"}),
        "legal_basis.art6",
    ),
    (
        "art6.consent-public-authority",
        Severity.warning,
        document(legal_basis={"art6": ["a"], "statutory_power": "x"}),
        "legal_basis.art6",
    ),
    (
        "art9.missing-condition",
        Severity.blocking,
        base_health(legal_basis={"art9": None, "dpa_sch1_paragraph": None}),
        "legal_basis.art9",
    ),
    (
        "sch1.missing-paragraph",
        Severity.blocking,
        base_health(legal_basis={"dpa_sch1_paragraph": None}),
        "legal_basis.dpa_sch1_paragraph",
    ),
    (
        "sch1.mismatch",
        Severity.blocking,
        base_health(legal_basis={"dpa_sch1_paragraph": 2}),
        "legal_basis.dpa_sch1_paragraph",
    ),
    (
        "sch1.apd-missing",
        Severity.blocking,
        base_health(legal_basis={"art9": "g", "dpa_sch1_paragraph": 6}),
        "legal_basis.appropriate_policy_document_ref",
    ),
    (
        "sch1.para2-recipient",
        Severity.blocking,
        base_health(
            legal_basis={"art9": "h", "dpa_sch1_paragraph": 2},
            parties=[
                party("ukhsa", "discloser"),
                party(
                    "la_unitary", "recipient", health_professional_or_duty_of_confidentiality=False
                ),
            ],
        ),
        "parties.1.health_professional_or_duty_of_confidentiality",
    ),
    (
        "cldc.missing-basis",
        Severity.blocking,
        base_health(legal_basis={"confidentiality_basis": None}),
        "legal_basis.confidentiality_basis",
    ),
    (
        "cldc.gateway-missing",
        Severity.blocking,
        base_health(legal_basis={"gateways": ["phcda1984_part2a"]}),
        "legal_basis.gateways",
    ),
    (
        "cldc.reference-missing",
        Severity.blocking,
        base_health(legal_basis={"confidentiality_basis": "legal_requirement"}),
        "legal_basis.statutory_power",
    ),
    (
        "cldc.not-individual-care",
        Severity.blocking,
        base_health(legal_basis={"confidentiality_basis": "consent_implied_individual_care"}),
        "purposes.0.is_individual_care",
    ),
    (
        "cldc.basis-contradiction",
        Severity.blocking,
        base_health(legal_basis={"confidentiality_basis": "not_confidential"}),
        "legal_basis.confidentiality_basis",
    ),
    (
        "cldc.public-interest-cg",
        Severity.warning,
        base_health(legal_basis={"confidentiality_basis": "overriding_public_interest"}),
        "approvals",
    ),
    (
        "cldc.cpi-undeclared",
        Severity.warning,
        base_health(confidential_patient_information=False),
        "confidential_patient_information",
    ),
    (
        "dspt.recipient-below-min",
        Severity.blocking,
        base_health(
            parties=[
                party("ukhsa", "discloser"),
                party("la_unitary", "recipient", dspt_status="approaching_standards"),
            ]
        ),
        "parties.1.dspt_status",
    ),
    (
        "dspt.stale",
        Severity.warning,
        base_health(
            parties=[
                party("ukhsa", "discloser"),
                party("la_unitary", "recipient", dspt_published="2024-06-30"),
            ]
        ),
        "parties.1.dspt_published",
    ),
    (
        "art10.missing-condition",
        Severity.blocking,
        merge(
            document(legal_basis={"statutory_power": "x"}),
            {
                "data_items": [
                    {
                        "name": "given_name",
                        "classification": "criminal_offence",
                        "justification": "x",
                    },
                    {
                        "name": "postcode",
                        "classification": "quasi_identifier",
                        "justification": "x",
                    },
                ]
            },
        ),
        "legal_basis.art10_sch1_part3_paragraph",
    ),
    (
        "dpia.art36",
        Severity.blocking,
        merge(base_health(), {"datasets": ["a", "b"], "dpia": {"residual_risk": "high"}}),
        "dpia.art36_consulted",
    ),
    (
        "dpia.required",
        Severity.blocking,
        merge(base_health(), {"datasets": ["a", "b"], "dpia": {"status": "in_progress"}}),
        "dpia.status",
    ),
    (
        "review.emergency-interval",
        Severity.warning,
        emergency(merge(base_health(), {"dpia": {"status": "complete"}}))
        | {"review": {"review_date": "2026-05-30"}},
        "review.review_date",
    ),
    (
        "transparency.privacy-notice",
        Severity.warning,
        document(legal_basis={"statutory_power": "x"}, rights={"privacy_notice_urls": {}})
        | {"rights": {"lead_party": "gss:E06000002"}},
        "rights.privacy_notice_urls",
    ),
]


@pytest.mark.parametrize("code, severity, doc, field", CASES, ids=[c[0] for c in CASES])
def test_rule(code, severity, doc, field):
    findings = check(agreement(doc), at=AT).by_code(code)
    assert findings, code
    assert findings[0].severity is severity
    assert findings[0].field == field
    assert findings[0].citation and findings[0].source_url.startswith("http")


def test_baselines_are_lawful():
    assert check(agreement(base_health()), at=AT).blocking == []
    assert check(agreement(document(legal_basis={"statutory_power": "x"})), at=AT).blocking == []


def test_anonymised_flows_skip_data_protection_rules_but_want_disclosure_control():
    findings = check(agreement(anonymous(document())), at=AT)
    assert findings.blocking == []
    assert {"scope.not-personal", "disclosure.profile-missing"} <= set(findings.codes)


@pytest.mark.parametrize("label", ["aggregate", "anonymised_ico_compliant"])
def test_a_label_that_claims_anonymity_the_flow_lacks_is_blocking(label):
    # Issue 12 item 2: the flow still delivers a name and a postcode, one row per person.
    findings = check(agreement(mislabelled(document(), label)), at=AT)
    labels = findings.blocking.by_code("label.not-anonymous")
    assert [f.field for f in labels] == ["flows.0.projection.0", "flows.0.projection.1"]
    assert (
        f"Flow f1 is labelled {label} but given_name is a direct identifier." in labels[0].message
    )
    assert "postcode is personal data delivered one row per person" in labels[1].message
    assert all("Recital 26" in f.citation and f.source_url.startswith("http") for f in labels)
    # The label no longer takes the flow out of the data protection checks.
    assert "scope.not-personal" not in findings.codes


def test_only_fields_that_leave_count_against_the_label():
    doc = document()
    doc["flows"][0]["transforms"] = [{"op": "drop", "field": "given_name"}]
    doc["flows"][0]["identifiability"] = "aggregate"
    fields = [f.field for f in check(agreement(doc), at=AT).blocking.by_code("label.not-anonymous")]
    assert fields == ["flows.0.projection.1"]  # the postcode, still one row per person
    doc["flows"][0]["transforms"] = [{"op": "pseudonymise", "field": "given_name"}]
    found = check(agreement(doc), at=AT).blocking.by_code("label.not-anonymous")
    assert [f.field for f in found] == ["flows.0.projection.0", "flows.0.projection.1"]
    assert "given_name is a pseudonym of a direct identifier (still personal data)" in (
        found[0].message
    )


def test_processor_may_not_pass_data_on_and_needs_a_contract():
    doc = document(legal_basis={"statutory_power": "x"})
    doc["parties"].append(party("vcs", "processor", org_id="ch:07654321"))
    doc["flows"].append(
        dict(
            doc["flows"][0], id="f2", recipient="ch:07654321", onward_sharing="permitted_to_listed"
        )
    )
    findings = check(agreement(doc), at=AT)
    assert {"art28.missing", "art28.onward-sharing"} <= set(findings.blocking.codes)


def test_findings_follow_the_b1_order():
    doc = base_health(legal_basis={"gateways": [], "confidentiality_basis": None, "art9": None})
    codes = check(agreement(doc), at=AT).codes
    order = [
        "vires.missing",
        "art9.missing-condition",
        "cldc.missing-basis",
        "optout.decision",
        "dpia.trigger",
    ]
    assert [c for c in codes if c in order] == [c for c in order if c in codes]
    assert (
        codes.index("vires.missing")
        < codes.index("art9.missing-condition")
        < codes.index("cldc.missing-basis")
    )
