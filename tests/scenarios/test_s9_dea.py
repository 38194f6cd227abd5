"""S9: a Digital Economy Act multiple-disadvantages share between a council and DWP (§i S9)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.errors import InputError
from accord.law import Severity, check
from accord.model import DataItem, Transparency
from accord.playbook import instantiate
from accord.playbook.examples import dwp, example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
S9 = "s9_dea_multiple_disadvantages"


@pytest.fixture
def agreement():
    return instantiate(S9, **example_inputs(S9, NOW))


def test_template_share_is_lawful_and_registered(agreement):
    findings = check(agreement, at=NOW)
    assert findings.blocking == []
    (used,) = findings.by_code("gateway.used")
    assert used.citation == "Digital Economy Act 2017 s35 and SI 2018/912"
    assert agreement.transparency.dea_register_id == "ISA-2026-0142"
    assert {f.row_filter for f in agreement.flows} == {"disadvantage_factor_count >= 2"}


def test_both_parties_must_be_specified_for_the_objective(agreement):
    unspecified = dwp().model_copy(update={"dea_specified_person": []})
    parties = [agreement.parties[0], unspecified]
    findings = check(agreement.model_copy(update={"parties": parties}), at=NOW)
    (spec,) = findings.by_code("dea.not-specified")
    assert spec.severity is Severity.blocking
    assert spec.field == "parties.1.dea_specified_person"
    assert "Department for Work and Pensions" in spec.message
    assert spec.citation.startswith(
        "Digital Government (Disclosure of Information) Regulations 2018"
    )


def test_register_entry_before_the_first_flow(agreement):
    findings = check(agreement.model_copy(update={"transparency": Transparency()}), at=NOW)
    (entry,) = findings.by_code("dea.register-entry")
    assert entry.field == "transparency.dea_register_id"
    assert "DEA 2017 Part 5 Code of Practice" in entry.citation
    assert entry.source_url == "https://www.digital-economy-act-register.data.gov.uk"
    inputs = example_inputs(S9, NOW)
    inputs["overrides"] = {"dpia": {"completed_on": "2026-03-01"}}
    with pytest.raises(InputError) as err:
        instantiate(S9, **inputs)
    assert [p.where for p in err.value.problems] == ["transparency.dea_register_id"]


def test_all_eighteen_register_fields_must_be_derivable(agreement):
    flows = [f.model_copy(update={"end": None}) for f in agreement.flows]
    findings = check(agreement.model_copy(update={"flows": flows}), at=NOW)
    (fields,) = findings.by_code("dea.register-fields")
    assert "End date" in fields.message


def test_eligibility_needs_at_least_two_of_thirteen_factors(agreement):
    flows = [
        f.model_copy(update={"row_filter": "disadvantage_factor_count >= 1"})
        for f in agreement.flows
    ]
    findings = check(agreement.model_copy(update={"flows": flows}), at=NOW)
    (eligibility,) = findings.by_code("dea.eligibility")
    assert "at least 2 of the 13" in eligibility.message
    assert eligibility.field == "flows.0.row_filter"


def test_health_fields_are_rejected_without_a_health_gateway(agreement):
    ill = DataItem(name="ill_health", classification="special_category_health", justification="x")
    flows = [
        f.model_copy(update={"projection": [*f.projection, "ill_health"]}) for f in agreement.flows
    ]
    changed = agreement.model_copy(
        update={"data_items": [*agreement.data_items, ill], "flows": flows}
    )
    findings = check(changed, at=NOW)
    (health,) = findings.by_code("dea.health-data")
    assert health.field == f"data_items.{len(changed.data_items) - 1}"
    assert "ill_health is health data" in health.message
    assert "art9.missing-condition" in findings.blocking.codes
