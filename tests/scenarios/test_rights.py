"""People's rights, end to end: found in every delivery, an objection that reaches every
recipient, the statutory clock, and lookups only for handlers (issue 14's "Done when")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from engines import SPARK_MISSING, SPARK_REASON
from rights_world import NEIGHBOUR, PERSON, World, day, make_world
from sqlalchemy import select

from accord.errors import InputError, NotFound, NotPermitted
from accord.ledger.events import (
    PersonLookedUp,
    RightsRequestReceived,
    RightsRequestStep,
)
from accord.service import rights, runs
from accord.store.disputes import notifications


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = make_world(tmp_path)
    yield w
    w.ws.close()


def _run_both(w: World, backend: str = "duckdb") -> dict[tuple[str, str], list[str]]:
    """Run both agreements; the NHS numbers each (agreement, recipient) received."""
    out = {}
    for ag in (w.a, w.b):
        result = runs.run(w.ws, ag.id, source=w.source, geography=w.geo, backend=backend)
        for d in result.deliveries:
            numbers = pq.read_table(d.directory / "extract.parquet")["nhs_number"].to_pylist()
            out[(ag.id, d.recipient)] = numbers
    return out


def _events(w: World, cls: type) -> list:  # type: ignore[type-arg]
    entries = (w.ws.ledger.entry(i) for i in range(w.ws.ledger.size()))
    return [e.event for e in entries if isinstance(e.event, cls)]


def test_a_person_in_two_agreements_and_three_recipients_is_found_in_each(world: World) -> None:
    w = world.at(day(4))
    sent = _run_both(w)
    holding = sorted(k for k, numbers in sent.items() if PERSON in numbers)
    assert holding == [
        (w.b.id, "gss:E08000016"),
        (w.b.id, "gss:E08000019"),
        (w.a.id, "gss:E09000011"),
    ]
    found = rights.lookup(w.ws, w.lead, PERSON)
    assert sorted((h.agreement_id, h.recipient) for h in found) == holding
    # By keyed hash alone (a decision, the person's own view): the same deliveries.
    by_hash = rights.hits(w.ws, [w.a.id, w.b.id], rights.person_hash(w.ws, PERSON))
    assert by_hash == sorted(found, key=lambda h: (h.created, h.agreement_id, h.flow_id))
    assert all(h.fields[0] == "nhs_number" and h.created.startswith("2025-03-04") for h in found)
    # Greenwich's handler sees only the agreement Greenwich is a party to.
    assert [(h.agreement_id, h.recipient) for h in rights.lookup(w.ws, w.greenwich, PERSON)] == [
        (w.a.id, "gss:E09000011")
    ]
    looked = _events(w, PersonLookedUp)
    assert [(e.by, e.outcome) for e in looked] == [
        ("dpo@nhse.example", "answered"),
        ("dpo@greenwich.example", "answered"),
    ]
    assert looked[0].person == rights.person_hash(w.ws, PERSON)
    assert all(PERSON not in str(e.to_payload()) for e in looked)


def test_an_unauthorised_lookup_is_refused_and_logged_and_says_nothing_of_the_person(
    world: World,
) -> None:
    w = world.at(day(4))
    _run_both(w)
    unknown = "9434765919"
    answers = []
    for who in (w.greenwich_iao, w.stranger):
        for number in (PERSON, unknown):
            with pytest.raises(NotPermitted) as err:
                rights.lookup(w.ws, who, number)
            answers.append((err.value.message, err.value.problems))
    assert len(set(map(str, answers))) == 1  # the same refusal, known person or not
    refused = [(e.by, e.outcome) for e in _events(w, PersonLookedUp)]
    assert refused == [
        ("iao@greenwich.example", "refused"),
        ("iao@greenwich.example", "refused"),
        ("dpo@elsewhere.example", "refused"),
        ("dpo@elsewhere.example", "refused"),
    ]
    # An authorised handler asking about someone never delivered gets an empty answer.
    assert rights.lookup(w.ws, w.lead, unknown) == []
    with pytest.raises(InputError):
        rights.lookup(w.ws, w.lead, "1234567890")  # not an NHS number: refused before anything


SPARK = pytest.param(
    "spark", marks=[pytest.mark.spark, pytest.mark.skipif(SPARK_MISSING, reason=SPARK_REASON)]
)


@pytest.mark.parametrize("backend", ["duckdb", "in_memory", SPARK])
def test_an_objection_upheld_at_one_council_reaches_every_flow_of_every_agreement(
    world: World, backend: str
) -> None:
    w = world.at(day(4))
    before = _run_both(w, backend)
    assert sum(PERSON in n for n in before.values()) == 3

    r = rights.receive(w.ws, w.greenwich, w.a.id, "objection", PERSON, note="phoned in")
    assert (r.received_by, r.lead_party, r.state) == ("gss:E09000011", "ods:X26", "open")
    assert r.due_on == date(2025, 4, 4)
    with pytest.raises(NotPermitted):  # only the lead decides
        rights.decide(w.ws, w.greenwich, r.request_id, "uphold")
    upheld = rights.decide(w.ws, w.lead, r.request_id, "uphold")
    assert upheld.suppressed_in == tuple(sorted((w.a.id, w.b.id)))

    after = _run_both(w.at(day(5)), backend)
    assert after.keys() == before.keys()
    for key, numbers in after.items():
        assert PERSON not in numbers
        assert sorted(numbers) == sorted(n for n in before[key] if n != PERSON)
    assert NEIGHBOUR in after[(w.a.id, "gss:E09000011")]
    manifests = {
        (ag.id, d.recipient): d.manifest_path.read_text()
        for ag in (w.a, w.b)
        for d in runs.run(w.ws, ag.id, source=w.source, geography=w.geo, backend=backend).deliveries
    }
    assert '"rights_removed":1' in manifests[(w.a.id, "gss:E09000011")]
    assert '"rights_removed":0' in manifests[(w.a.id, "gss:E08000016")]
    assert '"rights_removed":1' in manifests[(w.b.id, "gss:E08000019")]
    assert all(PERSON not in text for text in manifests.values())

    lifted = rights.decide(w.ws, w.lead, r.request_id, "lift", note="objection withdrawn")
    assert (lifted.state, lifted.suppressed_in) == ("lifted", ())
    again = _run_both(w.at(day(6)), backend)
    assert sum(PERSON in n for n in again.values()) == 3

    steps = [(e.step, e.party, e.suppressed_in) for e in _events(w, RightsRequestStep)]
    assert steps == [
        ("routed", "ods:X26", ()),
        ("upheld", "ods:X26", upheld.suppressed_in),
        ("lifted", "ods:X26", upheld.suppressed_in),
    ]
    received = _events(w, RightsRequestReceived)
    assert [e.person for e in received] == [rights.person_hash(w.ws, PERSON)]
    for i in range(w.ws.ledger.size()):
        assert PERSON not in str(w.ws.ledger.entry(i).event.to_payload())


def test_the_clock_runs_and_reminds_once_each_and_an_extension_moves_it(world: World) -> None:
    w = world.at(day(10))
    r = rights.receive(w.ws, w.greenwich, w.a.id, "access", PERSON, received_on=date(2025, 3, 8))
    assert r.due_on == date(2025, 4, 8)  # 8 March 2025 was a Saturday: counted from it
    assert r.days_left(date(2025, 3, 10)) == 29
    assert rights.sweep(w.ws, day(31)) == []  # more than a week to go
    soon = rights.sweep(w.ws, day(1, 4))
    assert [(x.reminder, x.parties) for x in soon] == [("due-soon", ("ods:X26",))]
    assert rights.sweep(w.ws, day(2, 4)) == []  # never twice
    late = rights.sweep(w.ws, day(9, 4))
    assert [(x.reminder, x.parties) for x in late] == [("overdue", ("ods:X26", "gss:E09000011"))]
    with w.ws.engine.connect() as conn:
        subjects = [
            (n.party, n.subject)
            for n in conn.execute(select(notifications).order_by(notifications.c.id))
            if n.subject.startswith("Rights")
        ]
    assert subjects == [
        ("ods:X26", f"Rights request {r.request_id}: a subject access request (Art 15), due "
         "2025-04-08"),
        ("ods:X26", f"Rights request {r.request_id} is due soon: due 2025-04-08"),
        ("ods:X26", f"Rights request {r.request_id} is overdue: due 2025-04-08"),
        ("gss:E09000011", f"Rights request {r.request_id} is overdue: due 2025-04-08"),
    ]  # fmt: skip
    with pytest.raises(InputError):  # too late to extend
        rights.decide(w.ws, w.at(day(9, 4)).lead, r.request_id, "extend")

    r2 = rights.receive(
        w.ws, w.greenwich, w.a.id, "access", NEIGHBOUR, received_on=date(2025, 4, 9)
    )
    extended = rights.decide(w.ws, w.lead, r2.request_id, "extend")
    assert (extended.due_on, extended.extended, extended.state) == (date(2025, 7, 9), True, "open")
    with pytest.raises(InputError):
        rights.decide(w.ws, w.lead, r2.request_id, "extend")  # once only
    answered = rights.decide(w.ws, w.lead, r2.request_id, "answer")
    assert answered.state == "answered"
    assert rights.sweep(w.ws, day(1, 8)) == []  # answered requests are not chased
    reminded = [e for e in _events(w, RightsRequestStep) if e.step == "reminded"]
    assert [(e.party, e.actor) for e in reminded] == [
        ("ods:X26", "accord"),
        ("ods:X26", "accord"),
        ("gss:E09000011", "accord"),
    ]


def test_requests_are_seen_only_by_the_handlers_of_the_two_parties(world: World) -> None:
    w = world.at(day(4))
    r = rights.receive(w.ws, w.greenwich, w.a.id, "erasure", PERSON)
    assert [x.request_id for x in rights.list_requests(w.ws, w.lead)] == [r.request_id]
    assert [x.request_id for x in rights.list_requests(w.ws, w.greenwich)] == [r.request_id]
    assert rights.list_requests(w.ws, w.stranger) == []
    assert rights.list_requests(w.ws, w.greenwich_iao) == []
    for who in (w.stranger, w.greenwich_iao):
        with pytest.raises(NotFound):
            rights.get(w.ws, who, r.request_id)
    with pytest.raises(NotPermitted):  # not a handler
        rights.receive(w.ws, w.greenwich_iao, w.a.id, "objection", PERSON)
    with pytest.raises(NotFound):  # not a party to the agreement
        rights.receive(w.ws, w.greenwich, w.b.id, "objection", PERSON)
    with pytest.raises(InputError):
        rights.decide(w.ws, w.lead, r.request_id, "answer")  # erasure: uphold or refuse
    assert rights.decide(w.ws, w.lead, r.request_id, "refuse").state == "refused"
    assert rights.suppressed_people(w.ws, w.a.id) == []


def test_the_index_is_purged_with_the_deliveries_it_describes(world: World) -> None:
    from accord.service import lifecycle, retention

    w = world.at(day(4))
    _run_both(w)
    retention.cease(w.ws, w.b.id, party="gss:E08000016")  # Barnsley keeps nothing of B
    lifecycle.sweep(w.ws, day(5))
    left = sorted((h.agreement_id, h.recipient) for h in rights.lookup(w.ws, w.lead, PERSON))
    assert left == [(w.b.id, "gss:E08000019"), (w.a.id, "gss:E09000011")]
    purged = w.ws.deliveries_dir / "urn_accord_agreement_adult-support" / "gss_E08000016"
    assert not list(purged.rglob("persons.*"))
    by_hash = rights.hits(w.ws, [w.a.id, w.b.id], rights.person_hash(w.ws, PERSON))
    assert sorted((h.agreement_id, h.recipient) for h in by_hash) == left
