"""One case each built-in gateway allows (no blocking finding at all) and one it blocks, with the
finding code and the gateway's own citation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from law_builders import agreement, anonymous, document, emergency, merge, mislabelled, party

from accord.law import builtin_registry, check, default_registry

CPI = {"confidential_patient_information": True}
DEA = {
    "legal_basis": {"gateways": ["dea_psd"], "dea_objective": "multiple_disadvantages"},
    "transparency": {"dea_register_id": "ISA-1"},
    "data_items": [
        {"name": "given_name", "classification": "direct_identifier", "justification": "x"},
        {"name": "postcode", "classification": "quasi_identifier", "justification": "x"},
        {
            "name": "disadvantage_factor_count",
            "classification": "other_personal",
            "justification": "x",
            "table_schema": {"type": "integer"},  # the row filter compares it with a number
        },
    ],
    "flows": [],
}


def dea(discloser: str, recipient: str, gateway: str, objective: str, purpose: str, **kw: Any):
    doc = document(discloser, recipient, purpose=purpose)
    flow = merge(
        doc["flows"][0], {"projection": ["given_name", "postcode", "disadvantage_factor_count"]}
    )
    if objective == "multiple_disadvantages":
        flow["row_filter"] = "disadvantage_factor_count >= 2"
    change = merge(DEA, {"legal_basis": {"gateways": [gateway], "dea_objective": objective}})
    change["flows"] = [flow]
    return merge(merge(doc, change), kw)


def health(
    discloser: str,
    recipient: str,
    purpose: str,
    gateway: str,
    cldc: str,
    art9: str,
    para: int,
    **kw: Any,
):
    doc = document(discloser, recipient, purpose=purpose, health=True)
    lb = {
        "gateways": [gateway],
        "confidentiality_basis": cldc,
        "art9": art9,
        "dpa_sch1_paragraph": para,
    }
    opt = {"apply_ndoo": False, "apply_type1": False, "rationale": "per table"}
    return merge(doc, {**CPI, "legal_basis": lb, "opt_out_policy": opt, **kw})


def children(gateway: str, purpose: str, **kw: Any):
    doc = document("la_unitary", "police", purpose=purpose)
    item = {
        "name": "school",
        "classification": "other_personal",
        "justification": "x",
        "about_children": True,
    }
    doc["data_items"].append(item)
    doc["flows"][0]["projection"].append("school")
    return merge(
        doc,
        {
            "children_data": True,
            "compelling_reason": "Child protection",
            "legal_basis": {"gateways": [gateway]},
            **kw,
        },
    )


S251 = {"s251_ref": "CAG 20/CAG/0001"}
OPT_APPLY = {"apply_ndoo": True, "apply_type1": True, "rationale": "s251 standard condition"}
CCA_REQ = {
    "in_writing": True,
    "requester_name": "A council",
    "requester_address": "Town Hall",
    "description": "Rest centre list",
    "reason": "Evacuation",
}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, date]] = {}


def case(
    gid: str,
    allowed: dict[str, Any],
    blocked: dict[str, Any],
    code: str,
    at: date = date(2026, 3, 16),
) -> None:
    CASES[gid] = (allowed, blocked, code, at)


_copi = health(
    "ukhsa", "la_unitary", "public_health_surveillance", "copi_reg3", "copi_reg3", "i", 3
)
case(
    "copi_reg3",
    _copi,
    merge(
        _copi,
        {
            "parties": [
                _copi["parties"][0],
                {**_copi["parties"][1], "org_type": "utility", "cca_category": "cat2"},
            ]
        },
    ),
    "gateway.party-not-eligible",
)
_notice = merge(
    _copi,
    {"legal_basis": {"gateways": ["copi_reg3_4_notice"], "copi_notice_ref": "Notice 2026-03-16"}},
)
case(
    "copi_reg3_4_notice",
    _notice,
    merge(_notice, {"legal_basis": {"copi_notice_ref": None}}),
    "gateway.copi-notice-ref",
)
_s251 = health(
    "nhs_trust", "ukhsa", "research", "s251_reg5", "s251_support", "j", 4, opt_out_policy=OPT_APPLY
)
RESEARCH_SAFEGUARDS = {
    "measures": "Pseudonymised extract in a trusted research environment; minimum fields",
    "not_for_decisions_about_individuals": True,
    "not_likely_to_cause_substantial_damage_or_distress": True,
}
_s251 = merge(_s251, {"legal_basis": {**S251, "research_safeguards": RESEARCH_SAFEGUARDS}})
case(
    "s251_reg5",
    _s251,
    merge(_s251, {"legal_basis": {"s251_ref": None}}),
    "gateway.cag-approval-ref",
)
_s261 = health(
    "nhs_england",
    "nhs_trust",
    "planning_commissioning",
    "hsca2012_s261",
    "hsca_s261",
    "h",
    2,
    transparency={"dur_ref": "DARS-NIC-1"},
)
_s261b = merge(
    _s261,
    {
        "parties": [party("ukhsa", "discloser"), _s261["parties"][1]],
        "rights": {"lead_party": "gov-org:uk-health-security-agency"},
    },
)
case("hsca2012_s261", _s261, _s261b, "gateway.party-not-eligible")
_s254 = health(
    "nhs_trust",
    "nhs_england",
    "planning_commissioning",
    "hsca2012_s254",
    "legal_requirement",
    "h",
    2,
)
_s254 = merge(_s254, {"legal_basis": {"statutory_power": "COVID-19 Public Health Directions 2020"}})
case(
    "hsca2012_s254",
    _s254,
    merge(
        _s254,
        {
            "parties": [_s254["parties"][0], party("ukhsa", "recipient")],
            "flows": [merge(_s254["flows"][0], {"recipient": "gov-org:uk-health-security-agency"})],
        },
    ),
    "gateway.party-not-eligible",
)
_s259 = health(
    "gp_practice",
    "nhs_england",
    "public_health_surveillance",
    "hsca2012_s259",
    "legal_requirement",
    "h",
    2,
)
_s259 = merge(
    _s259,
    {
        "legal_basis": {
            "statutory_power": "COVID-19 Public Health Directions 2020 (HSCA 2012 s254)",
            "data_provision_notice_ref": "DPN: GPES data for pandemic planning and research",
        }
    },
)
case(
    "hsca2012_s259",
    _s259,
    merge(_s259, {"legal_basis": {"data_provision_notice_ref": None}}),
    "gateway.dpn-ref",
)
_care = health("nhs_trust", "la_unitary", "individual_care", "hsca2012_s251b", "s251b_duty", "h", 2)
_care["purposes"][0]["is_individual_care"] = True
case(
    "hsca2012_s251b",
    _care,
    merge(_care, {"purposes": [{"id": "p1", "description": "x", "category": "individual_care"}]}),
    "gateway.not-individual-care",
)
_psd = dea(
    "la_unitary", "central_department", "dea_psd", "multiple_disadvantages", "service_delivery"
)
case(
    "dea_psd", _psd, merge(_psd, {"legal_basis": {"dea_objective": None}}), "dea.objective-missing"
)
_debt = dea("la_unitary", "central_department", "dea_debt", "public_sector_debt", "debt")
case(
    "dea_debt",
    _debt,
    merge(_debt, {"purposes": [{"id": "p1", "description": "x", "category": "service_delivery"}]}),
    "gateway.purpose",
)
_fraud = dea("la_unitary", "central_department", "dea_fraud", "public_sector_fraud", "fraud")
_fraud_h = merge(
    _fraud,
    {
        "data_items": _fraud["data_items"]
        + [
            {"name": "condition", "classification": "special_category_health", "justification": "x"}
        ],
        "legal_basis": {
            "art9": "g",
            "dpa_sch1_paragraph": 14,
            "appropriate_policy_document_ref": "APD",
        },
    },
)
_fraud_h["flows"][0]["projection"].append("condition")
case("dea_fraud", _fraud, _fraud_h, "dea.health-data")
_civil = merge(
    document("la_unitary", "central_department"),
    {"legal_basis": {"gateways": ["dea_civil_reg"]}, "transparency": {"dea_register_id": "ISA-2"}},
)
case(
    "dea_civil_reg",
    _civil,
    merge(
        _civil,
        {
            "parties": [party("nhs_trust", "discloser"), _civil["parties"][1]],
            "rights": {"lead_party": "ods:RGT"},
        },
    ),
    "gateway.party-not-eligible",
)
_research = merge(
    document("central_department", "alb", purpose="research"),
    {"legal_basis": {"gateways": ["dea_research"]}, "disclosure_control_profile": "ons_srs_10"},
)
_research = anonymous(_research)
_research_id = merge(_research, {})
_research_id["flows"][0]["identifiability"] = "pseudonymised"
case("dea_research", _research, _research_id, "gateway.identifiable")
_stats = merge(
    document("la_unitary", "central_department", purpose="official_statistics"),
    {"legal_basis": {"gateways": ["dea_statistics"], "research_safeguards": RESEARCH_SAFEGUARDS}},
)
case(
    "dea_statistics",
    _stats,
    merge(
        document("la_unitary", "la_london_borough", purpose="official_statistics"),
        {"legal_basis": {"gateways": ["dea_statistics"]}},
    ),
    "gateway.party-not-eligible",
)
_cca = emergency(
    merge(
        document("la_unitary", "la_london_borough", purpose="emergency_response"),
        {"legal_basis": {"gateways": ["cca_info_sharing"]}, "cca_request": CCA_REQ},
    )
)
case("cca_info_sharing", _cca, merge(_cca, {"cca_request": None}), "cca.request-incomplete")
_rli = emergency(
    merge(
        document("utility", "la_unitary", purpose="emergency_response"),
        {"legal_basis": {"gateways": ["duaa_rli_emergency"], "art6": ["ea", "e"]}},
    )
)
case("duaa_rli_emergency", _rli, _rli, "gateway.not-in-force")
CASES["duaa_rli_emergency"] = (_rli, _rli, "gateway.not-in-force", date(2026, 2, 4))
_s115 = merge(
    document("la_unitary", "police", purpose="safeguarding"),
    {"legal_basis": {"gateways": ["cda1998_s115"]}},
)
case(
    "cda1998_s115",
    _s115,
    merge(
        document("la_unitary", "utility", purpose="safeguarding"),
        {"legal_basis": {"gateways": ["cda1998_s115"]}},
    ),
    "gateway.party-not-eligible",
)
_s10 = children("children_act_2004_s10", "safeguarding")
case(
    "children_act_2004_s10",
    _s10,
    merge(
        document("la_unitary", "police", purpose="safeguarding"),
        {"legal_basis": {"gateways": ["children_act_2004_s10"]}},
    ),
    "gateway.not-children",
)
_s11 = children("children_act_2004_s11", "safeguarding")
case(
    "children_act_2004_s11",
    _s11,
    merge(_s11, {"purposes": [{"id": "p1", "description": "x", "category": "service_delivery"}]}),
    "gateway.purpose",
)
_s45 = merge(
    document("nhs_trust", "la_unitary", purpose="safeguarding"),
    {"legal_basis": {"gateways": ["care_act_2014_s45"], "art6": ["c"]}},
)
case(
    "care_act_2014_s45",
    _s45,
    merge(
        document("nhs_trust", "police", purpose="safeguarding"),
        {"legal_basis": {"gateways": ["care_act_2014_s45"]}},
    ),
    "gateway.party-not-eligible",
)
_hpnr = health(
    "gp_practice",
    "la_unitary",
    "public_health_surveillance",
    "hpnr_2010",
    "legal_requirement",
    "i",
    3,
)
_hpnr = merge(
    _hpnr,
    {"legal_basis": {"statutory_power": "Health Protection (Notification) Regulations 2010 reg 2"}},
)
case(
    "hpnr_2010",
    _hpnr,
    merge(
        _hpnr,
        {
            "parties": [party("ukhsa", "discloser"), _hpnr["parties"][1]],
            "rights": {"lead_party": "gov-org:uk-health-security-agency"},
        },
    ),
    "gateway.party-not-eligible",
)
_p2a = merge(
    document("ukhsa", "la_unitary", purpose="public_health_surveillance"),
    {"legal_basis": {"gateways": ["phcda1984_part2a"]}},
)
case(
    "phcda1984_part2a",
    _p2a,
    merge(_p2a, {"purposes": [{"id": "p1", "description": "x", "category": "research"}]}),
    "gateway.purpose",
)
_loc = merge(document("la_unitary", "vcs"), {"legal_basis": {"gateways": ["localism2011_s1"]}})
case(
    "localism2011_s1",
    _loc,
    merge(document("nhs_trust", "vcs"), {"legal_basis": {"gateways": ["localism2011_s1"]}}),
    "gateway.party-not-eligible",
)
_cqc = merge(
    document("nhs_trust", "alb", purpose="safeguarding"),
    {"legal_basis": {"gateways": ["hsca2008_s64"]}},
)
case(
    "hsca2008_s64",
    _cqc,
    merge(
        document("nhs_trust", "la_unitary", purpose="safeguarding"),
        {"legal_basis": {"gateways": ["hsca2008_s64"]}},
    ),
    "gateway.party-not-eligible",
)


def test_every_builtin_gateway_has_a_case() -> None:
    assert set(CASES) == {g.id for g in builtin_registry().gateways}


@pytest.mark.parametrize("gateway_id", sorted(CASES))
def test_gateway_allows(gateway_id: str) -> None:
    allowed, _, _, _ = CASES[gateway_id]
    findings = check(agreement(allowed), at=date(2026, 3, 16))
    assert [(f.code, f.message) for f in findings.blocking] == []
    cited = {f.citation for f in findings.by_code("gateway.used")}
    assert default_registry().gateway(gateway_id).citation in cited


@pytest.mark.parametrize("gateway_id", sorted(CASES))
def test_gateway_blocks(gateway_id: str) -> None:
    _, blocked, code, at = CASES[gateway_id]
    findings = check(agreement(blocked), at=at)
    assert code in findings.blocking.codes, [(f.code, f.message) for f in findings.blocking]
    if code.startswith("gateway."):
        gw = default_registry().gateway(gateway_id)
        cited = {f.citation for f in findings.blocking.by_code(code)}
        assert gw.citation in cited


def test_a_mislabelled_flow_is_identifying_for_a_deidentified_gateway():
    # Labelled aggregate, yet it delivers names and postcodes: DEA research allows only
    # de-identified information, so the gateway blocks it as well as the label rule.
    doc = mislabelled(_research_id, "aggregate")
    doc["flows"][0]["projection"] = ["given_name", "postcode"]
    blocking = check(agreement(doc), at=date(2026, 3, 16)).blocking.codes
    assert {"gateway.identifiable", "label.not-anonymous"} <= set(blocking)
