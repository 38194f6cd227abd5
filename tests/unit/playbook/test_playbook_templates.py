"""Templates: every one instantiates, with its example parties, into an agreement whose check
has no blocking finding; inputs that do not fit are refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.errors import InputError, NotFound
from accord.law import check
from accord.model import dump_yaml, load_agreement_text
from accord.playbook import get_template, instantiate, list_templates
from accord.playbook.examples import example_inputs, letters_processor, nhs_england

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
IDS = [t.id for t in list_templates()]


def test_the_issue_s_templates_exist():
    assert {t.scenario for t in list_templates()} >= {"S1", "S3", "S4", "S8", "S9"}


@pytest.mark.parametrize("template_id", IDS)
def test_instantiates_without_blocking_and_round_trips(template_id):
    agreement = instantiate(template_id, **example_inputs(template_id, NOW))
    assert agreement.template_id == template_id
    assert agreement.template_version == get_template(template_id).version
    assert agreement.opt_out_policy is not None
    assert check(agreement, at=NOW).blocking == []
    assert load_agreement_text(dump_yaml(agreement), source="x.yaml") == agreement


def test_emergency_template_needs_an_incident_and_routine_refuses_one():
    s1 = example_inputs("s1_shielded_patient_list", NOW) | {"incident": None}
    with pytest.raises(InputError) as err:
        instantiate("s1_shielded_patient_list", **s1)
    assert err.value.problems[0].where == "incident"
    s9 = example_inputs("s9_dea_multiple_disadvantages", NOW)
    s9["incident"] = example_inputs("s1_shielded_patient_list", NOW)["incident"]
    with pytest.raises(InputError):
        instantiate("s9_dea_multiple_disadvantages", **s9)


def test_wrong_discloser_recipient_count_and_processor_are_refused():
    s9 = example_inputs("s9_dea_multiple_disadvantages", NOW)
    with pytest.raises(InputError) as err:
        instantiate(
            "s9_dea_multiple_disadvantages",
            **s9 | {"discloser": nhs_england(), "recipients": s9["recipients"] * 2},
        )
    assert {p.where for p in err.value.problems} == {"discloser", "recipients"}
    with pytest.raises(InputError, match="do not fit"):
        instantiate("s9_dea_multiple_disadvantages", **s9 | {"processor": letters_processor()})


def test_naive_now_is_refused_and_unknown_template_is_not_found():
    with pytest.raises(InputError):
        instantiate(
            "s1_shielded_patient_list",
            **example_inputs("s1_shielded_patient_list", NOW) | {"now": NOW.replace(tzinfo=None)},
        )
    with pytest.raises(NotFound, match="s1_shielded_patient_list"):
        instantiate("nope", **example_inputs("s1_shielded_patient_list", NOW))


def test_agreement_id_can_be_given():
    inputs = example_inputs("s3_positive_case_line_list", NOW)
    a = instantiate("s3_positive_case_line_list", **inputs, agreement_id="urn:accord:x:1")
    assert a.id == "urn:accord:x:1"
    assert instantiate("s3_positive_case_line_list", **inputs).id.endswith(":inc-2026-001")
