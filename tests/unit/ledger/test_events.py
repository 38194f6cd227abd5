"""Typed ledger events: fixed names, canonical bytes, strict parsing back from payloads."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest
import rfc8785

from accord.errors import InputError
from accord.ledger import events as ev
from accord.ledger.events import (
    EVENT_TYPES,
    AgreementApproved,
    DeliveryMade,
    IncidentDeclared,
    canonical_bytes,
    event_from_payload,
    event_id_for,
)

AGREEMENT = {
    "agreement_id": "covid-shielding",
    "agreement_version": "1.0.0",
    "agreement_hash": "ab" * 32,
}
AT = "2026-03-16T09:00:00.000000Z"
EXPECTED_NAMES = {
    "incident-declared", "agreement-version-created", "agreement-state-changed",
    "agreement-approved", "agreement-signed", "opt-out-decision", "delivery-made",
    "delivery-receipt", "register-published", "dispute-raised", "dispute-narrowed",
    "dispute-offer", "dispute-escalated", "dispute-decided", "dispute-expired",
    "notification-sent", "run-recorded", "version-superseded",
    # Agreements as the world changes (issue 13).
    "basis-recorded", "assurance-changed", "assurance-exception-recorded",
    "assurance-exception-ended", "flow-suspended", "flow-resumed",
    "boundary-amendment-proposed", "recipient-state-changed", "deletion-certified",
    "delivery-purged",
    # Two-person release review of aggregate tables (issue 15).
    "release-reviewed", "table-released", "table-withheld",
    # Every Delta Sharing query and file download on the record (issue 17).
    "sharing-queried", "sharing-file-downloaded",
    # Pushes to recipients by MESH or the outbox (issue 17).
    "push-sent", "push-acknowledged", "push-withdrawn", "push-failed",
    # People's rights: requests, their steps, lookups (issue 14).
    "rights-request-received", "rights-request-step", "person-looked-up",
}  # fmt: skip


def sample(cls: type[ev.Event]) -> ev.Event:
    """An instance of ``cls`` with every field filled in from its type."""
    values: dict[str, typing.Any] = {"at": AT}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in AGREEMENT:
            values[f.name] = AGREEMENT[f.name]
        elif f.name != "at":
            hint = hints[f.name]
            values[f.name] = 3 if int in (hint, *typing.get_args(hint)) else f"{f.name}-x"
            if typing.get_origin(hint) is tuple:
                values[f.name] = ("first reason", "second reason")
    return cls(**values)


def test_every_event_in_the_issue_exists_with_its_fixed_name() -> None:
    assert set(EVENT_TYPES) == EXPECTED_NAMES
    assert all(cls.name == name for name, cls in EVENT_TYPES.items())


@pytest.mark.parametrize("cls", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_payload_round_trips_and_is_canonical(cls: type[ev.Event]) -> None:
    event = sample(cls)
    payload = event.to_payload()
    assert payload["name"] == cls.name
    assert event_from_payload(json.loads(json.dumps(payload))) == event
    assert canonical_bytes(event) == rfc8785.dumps(payload)
    assert event_from_payload(json.loads(canonical_bytes(event))) == event


def test_incident_needs_no_agreement_but_agreement_events_do() -> None:
    incident = IncidentDeclared(
        at=AT, incident_id="i-1", title="Flood", declared_by="cabinet-office"
    )
    assert incident.to_payload()["agreement_id"] is None
    with pytest.raises(InputError, match="needs agreement_hash"):
        DeliveryMade(
            agreement_id="a", agreement_version="1.0.0", agreement_hash=None, at=AT,
            delivery_id="d", recipient="r", manifest_sha256="cd" * 32, row_count=1,
        )  # fmt: skip


@pytest.mark.parametrize("at", ["yesterday", "2026-03-16T09:00:00", "2026-03-16T09:00:00+01:00"])
def test_at_must_be_iso_8601_utc(at: str) -> None:
    with pytest.raises(InputError, match="'at'"):
        IncidentDeclared(at=at, incident_id="i", title="t", declared_by="d")


def test_parsing_names_every_problem() -> None:
    payload = sample(DeliveryMade).to_payload()
    payload["row_count"] = "12"
    payload["colour"] = "red"
    del payload["recipient"]
    with pytest.raises(InputError) as caught:
        event_from_payload(payload)
    wheres = {p.where for p in caught.value.problems}
    assert wheres == {"row_count", "colour", "recipient"}


@pytest.mark.parametrize("payload", [{"name": "delivery-lost"}, {"at": AT}, ["delivery-made"]])
def test_unknown_or_nameless_payloads_are_refused(payload: typing.Any) -> None:
    with pytest.raises(InputError):
        event_from_payload(payload)


def test_booleans_are_not_counts() -> None:
    payload = sample(DeliveryMade).to_payload()
    payload["row_count"] = True
    with pytest.raises(InputError, match="invalid"):
        event_from_payload(payload)


def test_signing_bytes_bind_decision_party_and_version_but_not_time_or_signature() -> None:
    approval = sample(AgreementApproved)
    assert isinstance(approval, AgreementApproved)
    base = approval.signing_bytes()
    statement = json.loads(base)
    assert statement["accord-signature"] == 1
    assert "signature" not in statement and "at" not in statement
    assert dataclasses.replace(approval, at="2026-03-17T09:00:00Z").signing_bytes() == base
    assert dataclasses.replace(approval, signature="zz").signing_bytes() == base
    for change in (
        {"decision": "reject"},
        {"party": "gss:E06000002"},
        {"agreement_version": "1.0.1"},
    ):
        assert dataclasses.replace(approval, **change).signing_bytes() != base


def test_event_ids_depend_on_position_and_content() -> None:
    leaf = bytes(32)
    assert event_id_for(0, leaf).startswith("ev-") and len(event_id_for(0, leaf)) == 35
    assert event_id_for(0, leaf) != event_id_for(1, leaf) != event_id_for(1, b"\x01" * 32)
