"""S3: a daily positive-case line list to Directors of Public Health under COPI regulation 3; a
recipient not meeting the Sch 1 para 3 limb is blocked (domain/rules.md §i S3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.errors import NotPermitted
from accord.law import Severity, check
from accord.model import DataItem
from accord.model.enums import Art9Condition
from accord.playbook import instantiate
from accord.playbook.examples import council, example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S3 = "s3_positive_case_line_list"


def test_template_gives_postcode_level_rows_per_council_without_blocking():
    agreement = instantiate(S3, **example_inputs(S3, NOW))
    assert {f.row_filter for f in agreement.flows} == {"utla(postcode) == recipient.gss"}
    assert all("postcode" in f.projection for f in agreement.flows)
    findings = check(agreement, at=NOW)
    assert findings.blocking == []
    (used,) = findings.by_code("gateway.used")
    assert used.citation == "Health Service (Control of Patient Information) Regulations 2002 reg 3"
    assert agreement.opt_out_policy.apply_ndoo is False


def test_recipient_without_duty_of_confidentiality_is_blocked():
    inputs = example_inputs(S3, NOW)
    weak = council(
        "E06000002",
        "Middlesbrough Council",
        "la_unitary",
        health_professional_or_duty_of_confidentiality=False,
    )
    inputs["recipients"] = [inputs["recipients"][0], weak]
    findings = check(instantiate(S3, **inputs), at=NOW)
    (para3,) = findings.by_code("sch1.para3-recipient")
    assert para3.severity is Severity.blocking
    assert para3.field == "parties.2.health_professional_or_duty_of_confidentiality"
    assert para3.citation == "DPA 2018 Sch 1 para 3(b)"
    assert para3.source_url == "https://www.legislation.gov.uk/ukpga/2018/12/schedule/1/paragraph/3"
    assert "Middlesbrough" in para3.message
    with pytest.raises(NotPermitted) as err:
        findings.raise_if_blocking()
    assert [p.where for p in err.value.problems] == [para3.field]


def test_para3_is_not_asked_of_a_basis_that_does_not_need_it():
    # Under Art 9(2)(g) with para 6 the limb does not apply; an APD is needed instead.
    agreement = instantiate(S3, **example_inputs(S3, NOW))
    basis = agreement.legal_basis.model_copy(
        update={"art9": Art9Condition.g, "dpa_sch1_paragraph": 6}
    )
    findings = check(agreement.model_copy(update={"legal_basis": basis}), at=NOW)
    assert "sch1.para3-recipient" not in findings.codes
    assert findings.blocking.codes == ["sch1.apd-missing"]


def test_the_disputed_extra_field_is_lawful_under_the_same_basis():
    # A council disputes for ethnicity; adding it keeps the agreement lawful under Art 9(2)(i).
    agreement = instantiate(S3, **example_inputs(S3, NOW))
    ethnicity = DataItem(
        name="ethnicity",
        classification="special_category_other",
        justification="Target outbreak support to communities",
    )
    flows = [
        f.model_copy(update={"projection": [*f.projection, "ethnicity"]}) for f in agreement.flows
    ]
    amended = agreement.model_copy(
        update={"data_items": [*agreement.data_items, ethnicity], "flows": flows}
    )
    assert check(amended, at=NOW).blocking == []
    basis = amended.legal_basis.model_copy(update={"art9": None, "dpa_sch1_paragraph": None})
    (missing,) = check(amended.model_copy(update={"legal_basis": basis}), at=NOW).blocking
    assert missing.code == "art9.missing-condition"
