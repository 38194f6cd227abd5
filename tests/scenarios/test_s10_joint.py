"""S10: two councils pool data for a joint cell as joint controllers; activation is blocked until
an Art 26 arrangement is referenced and both privacy notices are linked (§i S10)."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.law import Severity, check
from accord.model import Approval, RightsHandling, parse_agreement
from accord.playbook import activation_blockers, required_approvals
from accord.playbook.examples import council

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
A, B = "gss:E09000011", "gss:E09000023"


def joint(**changes):
    a = council("E09000011", "Royal Borough of Greenwich", "la_london_borough", role="both")
    b = council("E09000023", "London Borough of Lewisham", "la_london_borough", role="both")
    doc = {
        "id": "urn:accord:agreement:joint-cell",
        "title": "Joint cell for the heat emergency",
        "summary_plain_english": "Two councils pool lists of residents needing welfare calls.",
        "mode": "routine",
        "relationship": "joint_controllers",
        "parties": [a.model_dump(mode="json"), b.model_dump(mode="json")],
        "purposes": [{"id": "welfare", "description": "Welfare calls", "category": "safeguarding"}],
        "benefits": "One list, no double calls.",
        "risk_of_not_sharing": "Residents are missed at the borough boundary.",
        "legal_basis": {
            "art6": ["e"],
            "art6_function": "Care Act 2014 s1 and s42",
            "statutory_power": "Care Act 2014 s6 (co-operation)",
        },
        "data_items": [
            {"name": "given_name", "classification": "direct_identifier", "justification": "call"},
            {"name": "phone", "classification": "direct_identifier", "justification": "call"},
        ],
        "flows": [
            {
                "id": f"to-{o[-3:]}",
                "recipient": o,
                "projection": ["given_name", "phone"],
                "row_filter": "true",
            }
            for o in (A, B)
        ],
        "retention": {"period": "P3M"},
        "rights": {"lead_party": A, "art14_approach": "Both councils' notices"},
        "dpia": {"status": "complete", "residual_risk": "low", "completed_on": "2026-03-10"},
        "review": {"review_date": "2026-06-01"},
    }
    doc.update(changes)
    return parse_agreement(doc, source="s10")


def signed(agreement):
    approvals = [
        Approval(party=r.party_org_id, role=r.role, decision="approve", timestamp=NOW)
        for r in required_approvals(agreement)
        if r.kind == "approve"
    ]
    return agreement.model_copy(update={"approvals": approvals})


def test_no_arrangement_and_no_notices_block_activation():
    agreement = signed(joint())
    findings = check(agreement, at=NOW)
    (arrangement,) = findings.by_code("art26.missing")
    assert arrangement.severity is Severity.blocking
    assert arrangement.field == "art26_arrangement_ref"
    assert arrangement.citation == "UK GDPR Art 26(1)-(2)"
    notices = findings.by_code("art26.privacy-notice")
    assert len(notices) == 2
    assert {"Royal Borough of Greenwich", "London Borough of Lewisham"} == {
        n.message.split("link ")[1].split("'s privacy")[0] for n in notices
    }
    assert set(activation_blockers(agreement, NOW).codes) == {
        "art26.missing",
        "art26.privacy-notice",
    }


def test_one_notice_is_not_enough():
    rights = RightsHandling(lead_party=A, privacy_notice_urls={A: "https://example.org/a"})
    agreement = signed(joint(art26_arrangement_ref="Joint cell arrangement v1"))
    agreement = agreement.model_copy(update={"rights": rights})
    blockers = activation_blockers(agreement, NOW)
    assert blockers.codes == ["art26.privacy-notice"]
    assert "Lewisham" in blockers[0].message


def test_arrangement_and_both_notices_allow_activation():
    notices = {A: "https://example.org/a", B: "https://example.org/b"}
    agreement = signed(
        joint(
            art26_arrangement_ref="Joint cell arrangement v1",
            rights={"lead_party": A, "privacy_notice_urls": notices, "art14_approach": "notices"},
        )
    )
    assert activation_blockers(agreement, NOW) == []
    assert "dpia.trigger" in check(agreement, at=NOW).codes  # pooling is data matching
