"""The law as it stands in 2026 (issue 18): recognised legitimate interests (Annex 1), the two
meanings of "emergency", purpose compatibility (Art 8A, Annex 2), automated decisions
(Art 22A-22D), research safeguards (Art 84A-84C), the CCA and DEA updates and current citations.
Each rule has a case it allows and a case it blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from law_builders import agreement, document, emergency, merge, party

from accord.errors import AgreementInvalid
from accord.law import check, default_registry, purpose_compatibility
from accord.model import parse_agreement
from accord.model.enums import PurposeCategory
from accord.playbook import instantiate, list_templates
from accord.playbook.examples import example_inputs

AT = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
COUNCIL = "gss:E06000002"
POWER = {"statutory_power": "Local Government Act 1972 s111"}


def blocking(doc: dict[str, Any], at: date = AT) -> list[str]:
    return check(agreement(doc), at=at).blocking.codes


def rli(purpose: str = "service_delivery", **changes: Any) -> dict[str, Any]:
    """A utility disclosing to a council on Art 6(1)(ea) (the council relies on (e))."""
    doc = document("utility", "la_unitary", purpose=purpose)
    return merge(merge(doc, {"legal_basis": {"art6": ["ea", "e"]}}), changes)


REQUEST = {
    "requester": COUNCIL,
    "states_public_task": True,
    "art6_3_basis": "Housing Act 1996 s179 (homelessness advice)",
}

# -- Annex 1 para 1: a request from any body stating a public task --------------------------------


def test_annex1_para1_a_request_stating_a_public_task_is_enough_without_a_cca_request():
    findings = check(agreement(rli(legal_basis={"public_task_request": REQUEST})), at=AT)
    assert findings.blocking == []
    (cond,) = findings.by_code("art6.ea-condition")
    assert "Annex 1 para 1" in cond.citation and "Housing Act 1996" in cond.message


@pytest.mark.parametrize(
    "request_",
    [None, {**REQUEST, "states_public_task": False}, {**REQUEST, "requester": "ods:RGT"}],
    ids=["no request", "no public task stated", "requester not a recipient"],
)
def test_annex1_para1_blocks_without_a_stated_public_task_request(request_):
    doc = rli(legal_basis={"public_task_request": request_})
    assert "art6.ea-no-annex1-condition" in blocking(doc)


# -- Annex 1 paras 2 and 5: national security and crime ------------------------------------------


@pytest.mark.parametrize(
    ("category", "para"),
    [
        ("national_security", "2"),
        ("public_security", "2"),
        ("defence", "2"),
        ("crime", "5"),
        ("fraud", "5"),
        ("safeguarding", "6-7"),
    ],
)
def test_annex1_purposes_national_security_crime_and_safeguarding(category, para):
    findings = check(agreement(rli(purpose=category)), at=AT)
    assert "art6.ea-no-annex1-condition" not in findings.codes
    (cond,) = findings.by_code("art6.ea-condition")
    assert f" {para} (DUAA" in cond.citation


def test_annex1_a_service_delivery_purpose_is_no_condition():
    (finding,) = check(agreement(rli()), at=AT).by_code("art6.ea-no-annex1-condition")
    assert "national security" in finding.message and "Part 2" in finding.message


def test_annex1_conditions_are_data_and_can_be_amended():
    conditions = default_registry().annex_conditions(1)
    assert [c.paragraph for c in conditions] == ["1", "2", "3-4", "5", "6-7"]
    assert all(c.source_url.startswith("https://") for c in conditions)


# -- Two meanings of "emergency" ------------------------------------------------------------------


def rli_emergency(part2: bool | None) -> dict[str, Any]:
    doc = document("utility", "la_unitary", purpose="emergency_response")
    change = {"legal_basis": {"gateways": ["duaa_rli_emergency"], "art6": ["ea", "e"]}}
    return emergency(merge(doc, change), part2=part2)


def test_part2_emergency_allows_the_emergency_recognised_legitimate_interest():
    findings = check(agreement(rli_emergency(True)), at=AT)
    assert findings.blocking == []
    assert "Annex 1 para 3-4" in findings.by_code("art6.ea-condition")[0].message


@pytest.mark.parametrize("part2", [False, None])
def test_a_part1_only_emergency_is_not_an_annex1_emergency(part2):
    findings = check(agreement(rli_emergency(part2)), at=AT).blocking
    assert {"gateway.no-emergency", "art6.ea-no-annex1-condition"} <= set(findings.codes)
    (gw,) = findings.by_code("gateway.no-emergency")
    assert gw.field == "incident.cca_part2_emergency" and "Part 2" in gw.message


def test_a_part1_only_emergency_still_serves_the_cca_regulations():
    doc = emergency(
        merge(
            document("la_unitary", "la_london_borough", purpose="emergency_response"),
            {"legal_basis": {"gateways": ["cca_info_sharing"]}, "cca_request": CCA_REQUEST},
        ),
        part2=False,
    )
    assert blocking(doc) == []


def test_a_part2_emergency_is_a_part1_emergency():
    doc = rli_emergency(True)
    doc["incident"]["cca_emergency"] = False
    with pytest.raises(AgreementInvalid) as err:
        parse_agreement(doc, source="test")
    assert "implies cca_emergency" in str(err.value.diagnostics())


# -- Purpose compatibility (Art 8A, Annex 2) -----------------------------------------------------

CARE = {"description": "Direct care by the GP", "category": "individual_care", "art6": ["e"]}


def compat(doc: dict[str, Any]) -> list[tuple[str, bool, str]]:
    return [
        (c.purpose_id, c.compatible, c.condition) for c in purpose_compatibility(agreement(doc))
    ]


def test_the_purpose_of_collection_is_compatible():
    doc = document(purpose="individual_care", legal_basis={"original_purpose": CARE})
    assert compat(doc) == [("p1", True, "the purpose of collection")]
    assert "purpose.compatible" in check(agreement(doc), at=AT).codes


def test_annex2_emergencies_condition_makes_an_emergency_response_compatible():
    doc = emergency(
        document(purpose="emergency_response", legal_basis={"original_purpose": CARE}), part2=True
    )
    ((_, ok, condition),) = compat(doc)
    assert ok and "Annex 2 para 4-5" in condition
    (finding,) = check(agreement(doc), at=AT).by_code("purpose.compatible")
    assert "Annex 2 paras 4-5" in finding.citation


def test_a_new_purpose_without_a_condition_is_incompatible():
    doc = emergency(
        document(purpose="emergency_response", legal_basis={"original_purpose": CARE}),
        part2=False,
    )
    assert compat(doc) == [("p1", False, "none")]
    (finding,) = check(agreement(doc), at=AT).blocking.by_code("purpose.incompatible")
    assert finding.field == "purposes.0" and "Art 8A" in finding.citation


def test_a_recorded_compatibility_assessment_answers_art8a2():
    doc = document(
        purpose="service_delivery",
        legal_basis={
            "original_purpose": CARE,
            "compatibility_assessment_ref": "CA-2026-04",
            **POWER,
        },
    )
    ((_, ok, condition),) = compat(doc)
    assert ok and "Art 8A(2)" in condition
    assert blocking(doc) == []


def test_annex2_para1_is_not_for_public_authority_disclosers():
    lb = {
        "original_purpose": {"description": "Billing", "category": "service_delivery"},
        "public_task_request": {**REQUEST, "art23_objective": "Art 23(1)(e) public health"},
        "art6": ["e"],
    }
    utility = rli(purpose="public_health_surveillance", legal_basis=lb)
    ((_, ok, condition),) = compat(utility)
    assert ok and "Annex 2 para 1" in condition
    council = document(purpose="public_health_surveillance", legal_basis=lb)
    council["legal_basis"]["public_task_request"]["requester"] = "gss:E09000011"
    assert compat(council) == [("p1", False, "none")]


def test_no_original_purpose_is_said_not_checked():
    findings = check(agreement(document()), at=AT)
    assert "purpose.original-not-recorded" in findings.codes
    assert "purpose.incompatible" not in findings.codes


# -- Automated decision-making (Art 22A-22D) -----------------------------------------------------

ADM = {
    "made_by": [COUNCIL],
    "description": "Eligibility for emergency payments decided by a scoring rule",
    "informs_data_subjects": True,
    "representations": True,
    "human_intervention": True,
    "contest": True,
}


def test_declared_automated_decisions_with_safeguards_on_public_task_pass():
    doc = document(
        "la_london_borough", "la_unitary", legal_basis={"automated_decisions": ADM, **POWER}
    )
    findings = check(agreement(doc), at=AT)
    assert findings.blocking == []
    assert "Art 22A" in findings.by_code("adm.declared")[0].citation


def test_art22b4_blocks_automated_decisions_on_a_recognised_legitimate_interest():
    doc = rli_emergency(True)
    doc["legal_basis"]["automated_decisions"] = ADM
    (finding,) = check(agreement(doc), at=AT).blocking.by_code("adm.recognised-legitimate-interest")
    assert finding.citation.startswith("UK GDPR Art 22B(4)")


def test_automated_decisions_need_the_art22c_safeguards():
    doc = document(legal_basis={"automated_decisions": {**ADM, "contest": False}})
    doc["legal_basis"]["automated_decisions"]["made_by"] = [doc["parties"][1]["org_id"]]
    (finding,) = check(agreement(doc), at=AT).blocking.by_code("adm.safeguards")
    assert "contest" in finding.message


def test_automated_decisions_on_special_category_data():
    base = document(health=True, legal_basis={"art9": "g", "dpa_sch1_paragraph": 6})
    base["legal_basis"].update(appropriate_policy_document_ref="APD", **POWER)
    adm = {**ADM, "made_by": [base["parties"][1]["org_id"]]}
    unlawful = merge(base, {"legal_basis": {"automated_decisions": adm}})
    assert "adm.special-category" in blocking(unlawful)
    lawful = merge(
        base,
        {"legal_basis": {"automated_decisions": {**adm, "required_or_authorised_by_law": "X"}}},
    )
    assert "adm.special-category" not in blocking(lawful)


# -- Research safeguards (Art 84A-84C) -----------------------------------------------------------

SAFEGUARDS = {
    "measures": "Pseudonymised in a trusted research environment; minimum fields",
    "not_for_decisions_about_individuals": True,
    "not_likely_to_cause_substantial_damage_or_distress": True,
}


def test_research_with_the_art84b_safeguards_passes_and_without_them_blocks():
    lawful = document(purpose="research", legal_basis={"research_safeguards": SAFEGUARDS, **POWER})
    assert blocking(lawful) == []
    bare = document(purpose="research", legal_basis=POWER)
    (finding,) = check(agreement(bare), at=AT).blocking
    assert finding.code == "research.safeguards-missing" and "Art 84A-84C" in finding.citation
    decisions = {**SAFEGUARDS, "not_for_decisions_about_individuals": False}
    doc = document(purpose="research", legal_basis={"research_safeguards": decisions, **POWER})
    assert blocking(doc) == ["research.decisions-about-individuals"]


def test_art9_j_cites_art84b_not_the_repealed_s19():
    rule = default_registry().art9("j")
    assert "Art 84B" in rule.citation and "s19" not in rule.citation
    assert "84B" in default_registry().sch1(4).citation


# -- CCA: s6(1), E&W regulation numbers, onward sharing with the originator's consent ---------

CCA_REQUEST = {
    "in_writing": True,
    "requester_name": "A council",
    "requester_address": "Town Hall",
    "description": "Rest centre list",
    "reason": "Evacuation",
}


def cca(onward: str, consent: str | None) -> dict[str, Any]:
    doc = emergency(
        merge(
            document("la_unitary", "la_london_borough", purpose="emergency_response"),
            {
                "legal_basis": {"gateways": ["cca_info_sharing"]},
                "cca_request": {**CCA_REQUEST, "onward_disclosure_consent_ref": consent},
            },
        )
    )
    doc["flows"][0]["onward_sharing"] = onward
    return doc


def test_onward_sharing_is_allowed_with_the_originators_consent():
    assert blocking(cca("permitted_to_listed", "Consent letter 2026-03-16")) == []
    (finding,) = check(agreement(cca("permitted_to_listed", None)), at=AT).blocking
    assert finding.code == "cca.onward-sharing" and "originator" in finding.message
    assert "reg 45(2)" in finding.citation


def test_cca_gateway_cites_s6_and_the_england_and_wales_regulation_numbers():
    gw = default_registry().gateway("cca_info_sharing")
    assert "s6(1)" in gw.citation and "reg 44A" in gw.citation and "reg 47" in gw.citation
    assert "SI 2012/624" in gw.citation


# -- DEA Part 5: the Schedule 4 lists for each objective, and the live register ----------------


def tv(discloser: str, recipient: str) -> dict[str, Any]:
    doc = document(discloser, recipient)
    for p in doc["parties"]:
        p["dea_specified_person"] = ["tv_retuning"]
    change = {
        "legal_basis": {"gateways": ["dea_psd"], "dea_objective": "tv_retuning"},
        "transparency": {"dea_register_id": "ISA-9"},
    }
    return merge(doc, change)


def test_tv_retuning_is_open_to_councils_and_dwp_only():
    dwp = tv("la_unitary", "central_department")
    assert blocking(dwp) == []
    police = tv("la_unitary", "police")
    (finding,) = check(agreement(police), at=AT).blocking.by_code("dea.schedule4")
    assert finding.field == "parties.1" and "Sch 4 paras 2, 7, 11" in finding.message


def test_dea_register_citation_points_at_the_live_register():
    cite = default_registry().citation("dea.register")
    assert cite.source_url == "https://www.digital-economy-act-register.data.gov.uk"
    assert not any("registers.service.gov.uk" in u for u in cite.source_urls)


# -- ICO guidance as revised after the Act, and every shipped template --------------------------


def test_ico_guidance_cited_is_the_post_act_guidance():
    reg = default_registry()
    assert "23 March 2026" in reg.citation("art6.annex1").citation
    assert "23 March 2026" in reg.citation("art5.purpose").citation


RETIRED = ("registers.service.gov.uk", "s19 and Sch 1", "Art 89(1) (as")


@pytest.mark.parametrize("template_id", [t.id for t in list_templates()])
def test_check_on_each_shipped_template_cites_current_law(template_id):
    a = instantiate(template_id, **example_inputs(template_id, NOW))
    findings = check(a, at=NOW)
    assert findings.blocking == []
    for f in findings:
        assert f.source_url.startswith("https://") or f.source_url.startswith("http://")
        assert not any(old in f.citation or old in f.source_url for old in RETIRED), f
    if "duaa_rli_emergency" in a.legal_basis.gateways:
        (cond,) = findings.by_code("art6.ea-condition")
        assert "Annex 1 paras 3-4" in cond.citation


def test_s259_a_gp_practice_supplies_nhs_england_under_a_data_provision_notice():
    gw = default_registry().gateway("hsca2012_s259")
    assert gw.users.recipients.org_types == ["nhs_england"]
    council = document("la_unitary", "nhs_england", legal_basis={"gateways": ["hsca2012_s259"]})
    council["legal_basis"]["data_provision_notice_ref"] = "DPN-1"
    council["purposes"][0]["category"] = "planning_commissioning"
    assert "gateway.party-not-eligible" in blocking(council)
    assert party("gp_practice", "discloser")["org_type"] == "gp_practice"


# -- Invariants -----------------------------------------------------------------------------------

CATEGORIES = [c.value for c in PurposeCategory]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    original=st.sampled_from(CATEGORIES),
    purposes=st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3),
    part2=st.sampled_from([True, False, None]),
    assessed=st.booleans(),
)
def test_each_purpose_gets_exactly_one_compatibility_answer(original, purposes, part2, assessed):
    doc = document(legal_basis={"original_purpose": {"description": "x", "category": original}})
    doc["purposes"] = [
        {"id": f"p{i}", "description": "x", "category": c} for i, c in enumerate(purposes)
    ]
    if assessed:
        doc["legal_basis"]["compatibility_assessment_ref"] = "CA-1"
    doc = emergency(doc, part2=part2)
    answers = purpose_compatibility(agreement(doc))
    findings = check(agreement(doc), at=AT)
    assert [a.purpose_id for a in answers] == [p["id"] for p in doc["purposes"]]
    for i, answer in enumerate(answers):
        codes = [f.code for f in findings if f.field == f"purposes.{i}"]
        expected = "purpose.compatible" if answer.compatible else "purpose.incompatible"
        assert expected in codes
        assert ("purpose.compatible" in codes) != ("purpose.incompatible" in codes)
        if purposes[i] == original or assessed or (part2 and purposes[i] == "emergency_response"):
            assert answer.compatible, answer


def test_crime_and_disorder_act_s115_covers_the_crime_purpose():
    doc = merge(
        document("la_unitary", "police", purpose="crime"),
        {"legal_basis": {"gateways": ["cda1998_s115"]}},
    )
    assert blocking(doc) == []
