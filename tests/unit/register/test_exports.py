"""CSV, JSON, DEA 18 fields, ODRL 2.2 and DCAT exports of the register."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from accord.model import agreement_hash, example_agreement
from accord.model.enums import Status
from accord.register import exports
from accord.register.rows import PublishedVersion, RegisterInputs, build_rows
from accord.service.agreements import StatusChange, StoredVersion

LIVE = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def _rows(agreement=None):  # type: ignore[no-untyped-def]
    a = agreement or example_agreement()
    v = StoredVersion(a.id, 1, a.version, agreement_hash(a), None, Status.active, False, LIVE, a)
    changes = [StatusChange(1, Status.approved, Status.active, None, "t", LIVE)]
    inputs = RegisterInputs([PublishedVersion(v, changes, [])], None)
    return build_rows(inputs, now=LIVE + timedelta(days=2))


def test_csv_has_the_columns_and_joins_lists() -> None:
    table = list(csv.DictReader(io.StringIO(exports.rows_csv(_rows()))))
    assert len(table) == 2
    assert table[0]["data_categories"] == "direct identifiers; indirect identifiers"
    assert table[0]["commercial"] == "no"
    assert table[0]["benefits_realised"] == ""


def test_dea_record_has_exactly_the_18_fields() -> None:
    (record,) = exports.dea_records(_rows())
    assert tuple(record) == exports.DEA_FIELDS and len(record) == 18
    assert record["Controller names"] == "NHS England; Greenwich; Middlesbrough"
    assert record["Areas"] == "E09000011; E06000002"
    assert record["Start date"] == "2026-03-16" and record["End date"] == ""
    assert exports.dea_csv(_rows()).splitlines()[0].startswith("Information sharing agreement ID,")


def test_odrl_maps_parties_purpose_time_deletion_and_onward_sharing() -> None:
    policy = exports.odrl_policy(example_agreement())
    first = policy["permission"][0]
    assert first["assigner"] == "urn:accord:party:ods:X26"
    assert first["assignee"] == "urn:accord:party:gss:E09000011"
    purpose, until = first["constraint"]
    assert purpose["rightOperand"] == {"@id": "urn:accord:purpose:emergency_response"}
    assert until["rightOperand"]["@value"] == "2026-04-13T09:00:00Z"  # the incident's review_by
    assert first["duty"][0]["action"] == "delete"
    assert first["duty"][0]["constraint"][0]["rightOperand"]["@value"] == "P6M"
    assert len(policy["prohibition"]) == 2
    permitted = example_agreement().model_copy(
        update={
            "flows": [
                f.model_copy(update={"onward_sharing": "permitted_to_listed"})
                for f in example_agreement().flows
            ]
        }
    )
    assert "prohibition" not in exports.odrl_policy(permitted)


def test_dcat_has_a_distribution_per_flow_and_links_the_policy() -> None:
    a = example_agreement()
    dataset = exports.dcat_dataset(a, agreement_hash="f" * 64)
    assert dataset["@type"] == "dcat:Dataset"
    assert len(dataset["dcat:distribution"]) == 2
    assert dataset["odrl:hasPolicy"] == {"@id": exports.policy_iri(a)}
    assert {"@id": exports.ONS_GEOGRAPHY + "E09000011"} in dataset["dct:spatial"]
