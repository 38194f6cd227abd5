"""The agreement store, run on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from accord.clock import FixedClock
from accord.errors import IllegalTransition, InputError, NotFound
from accord.model import agreement_hash, example_agreement
from accord.model.enums import Status
from accord.service import agreements as service
from accord.workspace import Workspace


def test_schema_is_migrated(workspace: Workspace) -> None:
    names = set(inspect(workspace.engine).get_table_names())
    assert {"agreements", "agreement_versions", "agreement_status_changes"} <= names
    assert "alembic_version" in names


def test_create_and_read_back(workspace: Workspace) -> None:
    a = example_agreement()
    stored = service.create(workspace, a)
    assert (stored.seq, stored.status, stored.hash) == (1, Status.draft, agreement_hash(a))
    got = service.get(workspace, a.id)
    assert got.agreement == a and got.hash == stored.hash


def test_duplicate_id_is_refused_and_nothing_changes(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    with pytest.raises(InputError, match="already exists"):
        service.create(workspace, a)
    assert len(service.versions(workspace, a.id)) == 1


def test_amend_keeps_the_predecessor(workspace: Workspace, clock: FixedClock) -> None:
    a = example_agreement()
    v1 = service.create(workspace, a)
    clock.advance(timedelta(hours=1))
    changed = a.model_copy(
        update={"version": "1.1.0", "benefits": "Vulnerable residents get food and care."}
    )
    v2 = service.amend(workspace, changed)
    assert v2.seq == 2 and v2.previous_hash == v1.hash and v2.hash != v1.hash
    old = service.get(workspace, a.id, 1)
    assert old.hash == v1.hash and old.agreement == a
    assert [v.seq for v in service.versions(workspace, a.id)] == [1, 2]


def test_amend_must_raise_the_version(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    with pytest.raises(InputError) as info:
        service.amend(workspace, a.model_copy(update={"benefits": "other"}))
    assert info.value.problems[0].where == "version"


def test_lifecycle_and_superseding(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    for state in ("in_review", "approved", "active"):
        service.transition(workspace, a.id, state)
    service.amend(workspace, a.model_copy(update={"version": "2.0.0", "benefits": "more"}))
    for state in ("in_review", "approved", "active"):
        service.transition(workspace, a.id, state)
    assert service.get(workspace, a.id, 1).status is Status.superseded
    assert service.active_version(workspace, a.id).seq == 2
    changes = [(c.seq, c.to_status) for c in service.status_changes(workspace, a.id)]
    assert (1, Status.superseded) in changes


def test_illegal_transition_changes_nothing(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    with pytest.raises(IllegalTransition):
        service.transition(workspace, a.id, "active")
    assert service.get(workspace, a.id).status is Status.draft
    assert len(service.status_changes(workspace, a.id)) == 1


def test_unknown_state_name(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    with pytest.raises(InputError, match="not a lifecycle state"):
        service.transition(workspace, a.id, "live")


def test_unknown_agreement_and_version(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="no agreement with id nope"):
        service.get(workspace, "nope")
    service.create(workspace, example_agreement())
    with pytest.raises(NotFound, match="no version 7"):
        service.get(workspace, example_agreement().id, 7)


def test_list_shows_latest_versions(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    service.amend(workspace, a.model_copy(update={"version": "1.0.1", "benefits": "b"}))
    listed = service.list_all(workspace)
    assert [(v.agreement_id, v.seq) for v in listed] == [(a.id, 2)]


def test_every_version_and_state_change_is_a_ledger_event(workspace: Workspace) -> None:
    a = example_agreement()
    v1 = service.create(workspace, a)
    service.transition(workspace, a.id, "in_review", actor="dpo@nhs.example")
    entries = workspace.ledger.entries_for_agreement(a.id)
    assert [e.event.name for e in entries] == [
        "agreement-version-created",
        "agreement-state-changed",
    ]
    assert {e.event.agreement_hash for e in entries} == {v1.hash}
    changed = entries[1].event
    assert (changed.from_state, changed.to_state, changed.actor) == (  # type: ignore[attr-defined]
        "draft",
        "in_review",
        "dpo@nhs.example",
    )


def test_a_refused_transition_records_nothing(workspace: Workspace) -> None:
    a = example_agreement()
    service.create(workspace, a)
    with pytest.raises(IllegalTransition):
        service.transition(workspace, a.id, "active")
    assert workspace.ledger.size() == 1
