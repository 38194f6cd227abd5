"""The opt-out decision table of domain/rules.md §d.4, row by row."""

from __future__ import annotations

from datetime import date

import pytest
from law_builders import agreement, anonymous, document, merge, mislabelled

from accord.law import Severity, check, decide_opt_outs
from accord.law.builtin import default_registry
from accord.law.opt_outs import decide_row


def cpi(basis: str | None, **lb) -> dict:
    doc = document("nhs_trust", "ukhsa", purpose="research", health=True)
    return merge(
        doc,
        {
            "confidential_patient_information": True,
            "legal_basis": {
                "confidentiality_basis": basis,
                "art9": "j",
                "dpa_sch1_paragraph": 4,
                **lb,
            },
        },
    )


ROWS = [
    # (document, NDOO, Type 1, words in the rationale)
    (document(), "do_not_apply", "do_not_apply", "not confidential patient information"),
    (cpi("consent_implied_individual_care"), "do_not_apply", "do_not_apply", "individual care"),
    (cpi("consent_explicit"), "do_not_apply", "do_not_apply", "consented"),
    (cpi("copi_reg3"), "do_not_apply", "policy", "COPI regulation 3"),
    (cpi("legal_requirement"), "do_not_apply", "do_not_apply", "required by law"),
    (cpi("overriding_public_interest"), "do_not_apply", "policy", "Caldicott Guardian"),
    (cpi("s251_support", s251_ref="CAG 1"), "apply", "apply", "standard condition"),
    (
        cpi("s251_support", s251_ref="CAG 1", cag_opt_out_exemption=True),
        "do_not_apply",
        "policy",
        "CAG 1",
    ),
    (cpi("hsca_s261"), "policy", "policy", "Data Uses Register"),
    (cpi(None), "apply", "apply", "until one is"),
]


@pytest.mark.parametrize("doc, ndoo, type1, words", ROWS)
def test_decision_table_rows(doc, ndoo, type1, words):
    row = decide_row(agreement(doc), default_registry())
    assert (row.ndoo, row.type1) == (ndoo, type1)
    assert words in row.rationale


def test_anonymised_flows_take_opt_outs_out_of_scope():
    decision = decide_opt_outs(agreement(anonymous(cpi("s251_support", s251_ref="CAG 1"))))
    assert (decision.apply_ndoo, decision.apply_type1) == (False, False)
    assert "anonymised" in decision.rationale


@pytest.mark.parametrize("label", ["aggregate", "anonymised_ico_compliant"])
def test_a_label_alone_never_switches_opt_outs_off(label):
    # Issue 12 item 2: labelled aggregate but delivering names, postcodes and a condition.
    doc = mislabelled(cpi("s251_support", s251_ref="CAG 1", gateways=["s251_reg5"]), label)
    decision = decide_opt_outs(agreement(doc))
    assert (decision.apply_ndoo, decision.apply_type1) == (True, True)
    assert "standard condition" in decision.rationale
    # A stored "not applied" copied from the label is now a blocking mismatch.
    doc["opt_out_policy"] = {"apply_ndoo": False, "apply_type1": False, "rationale": "aggregate"}
    blocking = check(agreement(doc), at=date(2026, 3, 16)).blocking.codes
    assert {"optout.mismatch", "label.not-anonymous"} <= set(blocking)


def test_decide_returns_the_model_with_citation_and_policy_default():
    decision = decide_opt_outs(agreement(cpi("copi_reg3")))
    assert decision.apply_ndoo is False and decision.apply_type1 is True
    assert "reg 3" in decision.rationale
    assert decide_opt_outs(agreement(cpi("copi_reg3")), policy_default=False).apply_type1 is False


def test_stored_policy_ignoring_objections_is_blocking():
    doc = cpi("s251_support", s251_ref="CAG 1", gateways=["s251_reg5"])
    doc["opt_out_policy"] = {"apply_ndoo": False, "apply_type1": True, "rationale": "no"}
    findings = check(agreement(doc), at=date(2026, 3, 16))
    (mismatch,) = findings.by_code("optout.mismatch")
    assert mismatch.severity is Severity.blocking
    assert mismatch.field == "opt_out_policy.apply_ndoo"
    doc["flows"][0]["opt_outs"] = {"apply_ndoo": True, "apply_type1": False, "rationale": "x"}
    doc["opt_out_policy"] = {"apply_ndoo": True, "apply_type1": True, "rationale": "ok"}
    (flow,) = check(agreement(doc), at=date(2026, 3, 16)).by_code("optout.mismatch")
    assert flow.field == "flows.0.opt_outs.apply_type1"


def test_missing_policy_for_cpi_is_a_warning():
    doc = cpi("s251_support", s251_ref="CAG 1", gateways=["s251_reg5"])
    (missing,) = check(agreement(doc), at=date(2026, 3, 16)).by_code("optout.missing")
    assert missing.severity is Severity.warning
