"""Two-person release review of aggregate tables (issue 15).

A run of an aggregate flow writes its table but holds it: its recipient sees nothing of it until
two independent people of the discloser (never the requester, never the same person twice)
approve it; one rejection withholds it for good. Each review is a ledger event, the release is
a ``table-released`` event, and the register names each released table.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.clock import FixedClock
from accord.errors import AccordError, IllegalTransition, InputError, NotPermitted
from accord.ledger.events import ReleaseReviewed, TableReleased, TableWithheld
from accord.model import Agreement, example_agreement
from accord.service import access, agreements, releases, retention, runs, users
from accord.service import sharing as catalog
from accord.service.register import register_rows
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

PASSWORD = "correct horse battery staple"
DISCLOSER, GREENWICH = "ods:X26", "gss:E09000011"
# (email, party, roles)
PEOPLE = [
    ("req@nhs.example", DISCLOSER, ["requester", "dpo"]),  # requests the run; a DPO too
    ("dpo@nhs.example", DISCLOSER, ["dpo"]),
    ("cg@nhs.example", DISCLOSER, ["caldicott_guardian"]),
    ("iao@nhs.example", DISCLOSER, ["iao"]),
    ("siro@nhs.example", DISCLOSER, ["siro"]),  # not a reviewer role
    ("dpo@greenwich.example", GREENWICH, ["dpo"]),  # the recipient's own DPO
    ("svc@greenwich.example", GREENWICH, ["recipient_service"]),
]


def aggregate_agreement() -> Agreement:
    doc = example_agreement().model_dump(mode="json")
    for f in doc["flows"]:
        f.update(
            identifiability="aggregate",
            projection=["date_of_birth", "postcode"],
            transforms=[
                {"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"},
                {"op": "postcode_to", "field": "postcode", "level": "district"},
            ],
            aggregate={"group_by": ["date_of_birth"], "profile": "ons_srs_10"},
        )
    return Agreement.model_validate(doc)


def live_workspace(root: Path, database_url: str | None = None) -> Workspace:
    """A workspace where the aggregate agreement is active, its people exist and it has run."""
    a = aggregate_agreement()
    assert a.incident is not None
    ws = Workspace.init(root, database_url=database_url, clock=FixedClock(a.incident.declared_at))
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=2_000, seed=5)
    source = root / "people.parquet"
    write_population(source, rows=3_000, seed=5, postcode_directory=directory)
    agreements.create(ws, a)
    for target in ("in_review", "approved", "active"):
        agreements.transition(ws, a.id, target)
    for email, party, roles in PEOPLE:
        users.add_user(ws, email, email.split("@")[0], party, roles, PASSWORD)
    requester = users.user_by_email(ws, "req@nhs.example")
    runs.run(ws, a.id, source=source, geography=runs.load_geography(ws), requested_by=requester)
    return ws


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("releases") / "ws"
    live_workspace(root).close()
    return root


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Iterator[Workspace]:
    shutil.copytree(template, tmp_path / "ws")
    a = aggregate_agreement()
    assert a.incident is not None
    with Workspace.open(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as opened:
        yield opened


def person(ws: Workspace, email: str) -> users.User:
    return users.user_by_email(ws, email)


def greenwich_table(ws: Workspace) -> str:
    (held,) = [r for r in releases.list_releases(ws) if r.recipient == GREENWICH]
    return held.delivery_id


def events(ws: Workspace, kind: type[Any]) -> list[Any]:
    entries = ws.ledger.entries_for_agreement(example_agreement().id)
    return [e.event for e in entries if isinstance(e.event, kind)]


def recipient_sees(ws: Workspace) -> tuple[set[str], set[str], set[str]]:
    """What Greenwich sees: its service's deliveries, its DPO's, and its Delta Sharing tables."""
    service = {
        d.event.delivery_id
        for d in access.visible_deliveries(ws, person(ws, "svc@greenwich.example"))
    }
    own_dpo = {
        d.event.delivery_id
        for d in access.visible_deliveries(ws, person(ws, "dpo@greenwich.example"))
        if d.event.recipient == GREENWICH
    }
    shared = {t.name for s in catalog.shares_for(ws, GREENWICH) for t in s.tables}
    # Nor is a held table one it received (to certify as deleted).
    received = {
        str(d["delivery_id"]) for d in retention.received(ws, example_agreement().id, GREENWICH)
    }
    assert received == service
    return service, own_dpo, shared


def test_every_aggregate_table_is_held_and_its_recipient_sees_nothing_of_it(ws: Workspace) -> None:
    held = releases.list_releases(ws)
    assert {r.recipient for r in held} == {f.recipient for f in aggregate_agreement().flows}
    assert {r.state for r in held} == {"pending"} and {r.profile for r in held} == {"ons_srs_10"}
    assert {r.requested_by for r in held} == {"req@nhs.example"}
    assert recipient_sees(ws) == (set(), set(), set())
    # The discloser's people see it (they review it).
    discloser = {
        d.event.delivery_id for d in access.visible_deliveries(ws, person(ws, "dpo@nhs.example"))
    }
    assert {r.delivery_id for r in held} <= discloser
    with pytest.raises(AccordError):
        access.received_delivery(ws, GREENWICH, greenwich_table(ws))


def test_the_reviewer_sees_the_table_and_its_suppression_report(ws: Workspace) -> None:
    view = releases.show(ws, greenwich_table(ws))
    assert view.columns == ["date_of_birth", "count", "suppressed", "is_total", "partial"]
    published = [r["count"] for r in view.rows if r["count"] is not None and not r["is_total"]]
    assert all(v >= 10 for v in published)  # ONS rule of 10
    assert view.disclosure["profile"] == "ons_srs_10"
    suppressed = sum(1 for r in view.rows if r["suppressed"])
    assert suppressed and len(view.disclosure["suppressed"]) == suppressed
    assert {s["rule"] for s in view.disclosure["suppressed"]} == {
        "ons_srs_10: counts of 9 or fewer"
    }


def test_two_independent_approvals_release_the_table(ws: Workspace) -> None:
    table = greenwich_table(ws)
    first = releases.review(ws, table, person(ws, "dpo@nhs.example"), "approve", "checked")
    assert (first.state, first.approvals) == ("pending", 1)
    assert recipient_sees(ws) == (set(), set(), set())  # one approval is not enough
    second = releases.review(ws, table, person(ws, "cg@nhs.example"), "approve")
    assert (second.state, second.approvals) == ("released", 2)
    service, own_dpo, shared = recipient_sees(ws)
    assert service == own_dpo == {table}
    assert shared == {table.rsplit("/", 1)[1]}
    assert access.received_delivery(ws, GREENWICH, table).event.delivery_id == table
    reviewed = events(ws, ReleaseReviewed)
    assert [(e.reviewer, e.decision) for e in reviewed] == [
        ("dpo@nhs.example", "approve"),
        ("cg@nhs.example", "approve"),
    ]
    (released,) = events(ws, TableReleased)
    assert (released.delivery_id, released.recipient, released.profile) == (
        table,
        GREENWICH,
        "ons_srs_10",
    )
    assert released.reviewers == ("dpo@nhs.example", "cg@nhs.example")
    assert released.manifest_sha256 == second.manifest_sha256
    # The other recipient's table is still held.
    assert [r.recipient for r in releases.list_releases(ws)] == ["gss:E06000002"]


def test_the_register_names_each_released_table(ws: Workspace) -> None:
    def row() -> dict[str, Any]:
        rows = register_rows(ws, now=ws.clock.now() + timedelta(days=2))  # past the 24h wait
        (found,) = [r.as_dict() for r in rows if r.recipients[0].endswith(f"({GREENWICH})")]
        return found

    assert (row()["released_tables"], row()["releases"]) == ([], 0)
    table = greenwich_table(ws)
    for reviewer in ("dpo@nhs.example", "iao@nhs.example"):
        releases.review(ws, table, person(ws, reviewer), "approve")
    day = ws.clock.now().date().isoformat()
    assert row()["released_tables"] == [f"{table} to {GREENWICH} under ons_srs_10 on {day}"]
    assert row()["releases"] == 1


@pytest.mark.parametrize(
    ("email", "why"),
    [
        ("req@nhs.example", "requested"),  # the requester, although a DPO
        ("siro@nhs.example", "role"),  # a discloser's person without a reviewer role
        ("dpo@greenwich.example", "discloser"),  # the recipient's own DPO
        ("svc@greenwich.example", "cannot review"),
    ],
)
def test_who_may_not_review(ws: Workspace, email: str, why: str) -> None:
    table = greenwich_table(ws)
    with pytest.raises(NotPermitted) as caught:
        releases.review(ws, table, person(ws, email), "approve")
    assert why in caught.value.diagnostics()
    assert events(ws, ReleaseReviewed) == []
    assert releases.get(ws, table).approvals == 0


def test_the_same_person_cannot_approve_twice(ws: Workspace) -> None:
    table = greenwich_table(ws)
    dpo = person(ws, "dpo@nhs.example")
    releases.review(ws, table, dpo, "approve")
    with pytest.raises(NotPermitted, match="already reviewed"):
        releases.review(ws, table, dpo, "approve")
    assert (releases.get(ws, table).state, len(events(ws, ReleaseReviewed))) == ("pending", 1)
    assert recipient_sees(ws) == (set(), set(), set())


def test_a_rejection_withholds_the_table_for_good(ws: Workspace) -> None:
    table = greenwich_table(ws)
    releases.review(ws, table, person(ws, "dpo@nhs.example"), "approve")
    with pytest.raises(InputError, match="reason"):
        releases.review(ws, table, person(ws, "cg@nhs.example"), "reject")
    done = releases.review(ws, table, person(ws, "cg@nhs.example"), "reject", "bands too fine")
    assert done.state == "withheld"
    with pytest.raises(IllegalTransition, match="withheld"):
        releases.review(ws, table, person(ws, "iao@nhs.example"), "approve")
    assert recipient_sees(ws) == (set(), set(), set())
    (withheld,) = events(ws, TableWithheld)
    assert (withheld.delivery_id, withheld.reviewer) == (table, "cg@nhs.example")
    assert events(ws, TableReleased) == []
    assert [e.note for e in events(ws, ReleaseReviewed)] == [None, "bands too fine"]


def test_a_decision_must_be_approve_or_reject(ws: Workspace) -> None:
    with pytest.raises(InputError, match="not a review decision"):
        releases.review(ws, greenwich_table(ws), person(ws, "dpo@nhs.example"), "maybe")


@pytest.mark.parametrize("tries", range(3))
def test_two_racing_second_approvals_release_the_table_exactly_once(
    tmp_path: Path, database_url: str, tries: int
) -> None:
    # On each store: after one approval, two other reviewers approve at once. Exactly one of
    # them releases the table; the other is told to read it again and records nothing.
    with live_workspace(tmp_path / "ws", database_url) as ws:
        table = greenwich_table(ws)
        releases.review(ws, table, person(ws, "dpo@nhs.example"), "approve")
        racers = [person(ws, "cg@nhs.example"), person(ws, "iao@nhs.example")]
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def approve(i: int) -> None:
            barrier.wait()
            try:
                results[i] = releases.review(ws, table, racers[i], "approve")
            except AccordError as exc:
                results[i] = exc

        threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        won = [r for r in results if isinstance(r, releases.Release)]
        lost = [r for r in results if isinstance(r, AccordError)]
        assert len(won) == 1 and won[0].state == "released"
        assert len(lost) == 1 and isinstance(lost[0], IllegalTransition | NotPermitted)
        assert len(events(ws, TableReleased)) == 1
        assert len(events(ws, ReleaseReviewed)) == 2
        assert releases.get(ws, table).approvals == 2
