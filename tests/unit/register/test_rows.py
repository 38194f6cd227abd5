"""Register rows are derived from stored versions, status changes and ledger events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import ConfigError, NotFound
from accord.ledger.events import AgreementApproved, DeliveryMade, DisputeDecided, DisputeRaised
from accord.model import Transparency, agreement_hash, example_agreement
from accord.model.enums import Status
from accord.register.rows import (
    COLUMNS,
    PublicationPolicy,
    PublishedVersion,
    RegisterInputs,
    RowFilter,
    build_rows,
    published_agreement,
    register_id,
    volume_band,
)
from accord.service.agreements import StatusChange, StoredVersion

LIVE = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
AT = "2026-03-16T11:00:00.000000Z"


def _version(**changes: object) -> StoredVersion:
    a = example_agreement().model_copy(update=changes)
    return StoredVersion(a.id, 1, a.version, agreement_hash(a), None, Status.active, False, LIVE, a)


def _inputs(v: StoredVersion, events: list = ()) -> RegisterInputs:  # type: ignore[assignment]
    changes = [StatusChange(1, Status.approved, Status.active, None, "t", LIVE)]
    return RegisterInputs([PublishedVersion(v, changes, list(events))], None)


def _ids(v: StoredVersion) -> dict[str, str | None]:
    return dict(agreement_id=v.agreement_id, agreement_version=v.version, agreement_hash=v.hash)


def test_emergency_rows_are_held_back_for_24_hours_with_a_reason() -> None:
    inputs = _inputs(_version())
    held = build_rows(inputs, now=LIVE + timedelta(hours=23))
    assert [r.withheld for r in held] == [True, True]
    assert all("by 2026-03-17T10:00:00Z" in (r.withheld_reason or "") for r in held)
    assert held[0].as_dict()["agreement_id"] is None and held[0].as_dict()["mode"] == "emergency"
    shown = build_rows(inputs, now=LIVE + timedelta(hours=24))
    assert [r.withheld for r in shown] == [False, False]
    assert list(shown[0].as_dict()) == list(COLUMNS)


def test_a_shorter_delay_and_a_named_reason_to_withhold() -> None:
    now = LIVE + timedelta(minutes=1)
    prompt = build_rows(
        _inputs(_version()), now=now, policy=PublicationPolicy(emergency=timedelta(0))
    )
    assert not prompt[0].withheld
    secret = _version(transparency=Transparency(withheld_reason="national security"))
    rows = build_rows(_inputs(secret), now=LIVE + timedelta(days=30))
    assert {r.withheld_reason for r in rows} == {"national security"}
    with pytest.raises(ConfigError):
        PublicationPolicy(emergency=timedelta(hours=25))


def test_approvals_releases_and_disputes_come_from_ledger_events() -> None:
    v = _version()
    greenwich = "gss:E09000011"
    events = [
        AgreementApproved(
            **_ids(v), at=AT, party="ods:X26", role="siro", decision="approve", signature="s"
        ),
        DeliveryMade(
            **_ids(v),
            at=AT,
            delivery_id="d1",
            recipient=greenwich,
            manifest_sha256="a" * 64,
            row_count=1500,
        ),
        DeliveryMade(
            **_ids(v),
            at="2026-03-17T11:00:00.000000Z",
            delivery_id="d2",
            recipient=greenwich,
            manifest_sha256="b" * 64,
            row_count=90,
        ),
        DisputeRaised(
            **_ids(v),
            at=AT,
            dispute_id="dsp-1",
            raised_by=greenwich,
            subject="flow",
            grounds="excessive_data",
        ),
        DisputeDecided(
            **_ids(v),
            at=AT,
            dispute_id="dsp-1",
            arbiter="gov-org:dhsc",
            outcome="narrowed",
            signature="s",
        ),
    ]
    rows = {r.flow_id: r for r in build_rows(_inputs(v, events), now=LIVE + timedelta(days=2))}
    g, m = rows["spl-e09000011"], rows["spl-e06000002"]
    assert g.approvals == ["siro (ods:X26) approve 2026-03-16"]
    assert (g.releases, g.last_release, g.records_volume_band) == (
        2,
        "2026-03-17T11:00:00.000000Z",
        "1,000 to 9,999",
    )
    assert (m.releases, m.records_volume_band) == (0, None)
    assert (g.disputes, g.dispute_outcomes) == (1, ["dsp-1: narrowed"])


def test_filters_match_columns_and_withheld_rows_only_by_mode_and_status() -> None:
    rows = build_rows(_inputs(_version()), now=LIVE + timedelta(days=2))
    assert len(RowFilter(recipient="gss:E06000002").apply(rows)) == 1
    assert len(RowFilter(gateway="copi_reg3_4_notice", incident="INC-2026-001").apply(rows)) == 2
    assert RowFilter(q="shielded councils").apply(rows) == []
    assert len(RowFilter(q="shielded greenwich").apply(rows)) == 1
    held = build_rows(_inputs(_version()), now=LIVE)
    assert RowFilter(q="shielded").apply(held) == []
    assert len(RowFilter(mode="emergency").apply(held)) == 2
    with pytest.raises(NotFound):
        published_agreement(held, "urn:accord:agreement:example-shielding")


def test_register_ids_are_stable_and_opaque() -> None:
    rid = register_id("urn:accord:agreement:x", "flow-1")
    assert rid == register_id("urn:accord:agreement:x", "flow-1")
    assert rid.startswith("ACR-") and len(rid) == 14 and "agreement" not in rid
    assert [volume_band(n) for n in (0, 99, 100, 10_000, 5_000_000)] == [
        "fewer than 100",
        "fewer than 100",
        "100 to 999",
        "10,000 to 99,999",
        "1,000,000 or more",
    ]
