"""People's rights: requests on the statutory clock, suppressions, and the per-person lookup.

A request (subject access, objection under Art 21, rectification, erasure where it applies,
restriction) is recorded by a handler of the party that received it, about one agreement. The
agreement's rights clause names the lead party that answers it: the request is routed there
(a notification to its handlers) and is due one calendar month from receipt, counted as the ICO
counts (:mod:`accord.law.time_limits`); the lead may extend it once by two further months for a
complex request. ``accord sweep`` reminds the lead a week before the due date and both parties
once it is overdue.

When the lead upholds an objection, restriction or erasure, the person is suppressed in every
agreement whose deliveries included them (the per-person index) and in the agreement the
request named: from the next run every flow of those agreements removes them before routing
(:mod:`accord.engine.persons`). A later recorded decision (``lift``) reverses it.

The person appears only as a keyed hash under the instance's person-index key: in the store, in
every ledger event, in every notification. Only a handler (the ``dpo`` role) of a party may
receive, decide or look a person up, and sees only requests their party received or leads, and
deliveries of agreements their party is a party to. Every lookup is a ledger event, refused
ones too; a refusal never depends on whether the person is known.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from accord.engine import persons
from accord.engine.delivery import MANIFEST
from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.law.time_limits import EXTENDED, due_date
from accord.ledger.events import PersonLookedUp, RightsRequestReceived, RightsRequestStep
from accord.model.versions import StoredVersion
from accord.refdata import validate_nhs_number
from accord.service import access
from accord.service import agreements as agreement_service
from accord.service._ledger import iso, record
from accord.service._notices import notify_once
from accord.service.users import Role, User
from accord.store.rights import (
    rights_reminders,
    rights_requests,
    rights_suppressions,
)
from accord.workspace import Workspace

KINDS = ("access", "objection", "rectification", "erasure", "restriction")
SUPPRESSING = frozenset({"objection", "restriction", "erasure"})
DECISIONS = ("extend", "uphold", "refuse", "answer", "lift")
HANDLER = Role.dpo
"""The role that handles people's rights for its party (the data protection officer)."""
SOON = timedelta(days=7)
SYSTEM = "accord"

KIND_WORDS = {
    "access": "a subject access request (Art 15)",
    "objection": "an objection (Art 21)",
    "rectification": "a request to correct data (Art 16)",
    "erasure": "a request to erase data (Art 17)",
    "restriction": "a request to restrict processing (Art 18)",
}


@dataclass(frozen=True)
class Request:
    request_id: str
    agreement_id: str
    kind: str
    person: str
    received_by: str
    lead_party: str
    received_on: date
    due_on: date
    extended: bool
    state: str
    recorded_by: str
    note: str | None
    decided_at: str | None
    decided_by: str | None
    suppressed_in: tuple[str, ...] = ()

    def days_left(self, today: date) -> int:
        """Calendar days until the due date (negative once overdue)."""
        return (self.due_on - today).days

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "agreement_id": self.agreement_id,
            "kind": self.kind,
            "person": self.person,
            "received_by": self.received_by,
            "lead_party": self.lead_party,
            "received_on": self.received_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_left": self.days_left(today),
            "extended": self.extended,
            "state": self.state,
            "recorded_by": self.recorded_by,
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
            "suppressed_in": list(self.suppressed_in),
        }


@dataclass(frozen=True)
class Hit:
    """One delivery that included the person."""

    agreement_id: str
    agreement_version: str
    flow_id: str
    recipient: str
    run_id: str
    created: str
    fields: tuple[str, ...]

    @property
    def delivery_id(self) -> str:
        return f"{self.run_id}/{self.flow_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "flow_id": self.flow_id,
            "recipient": self.recipient,
            "delivery_id": self.delivery_id,
            "created": self.created,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class Reminder:
    request_id: str
    reminder: str  # due-soon | overdue
    parties: tuple[str, ...]


# -- the person ----------------------------------------------------------------------------------


def person_hash(ws: Workspace, nhs_number: str) -> str:
    """The person's keyed hash; an NHS number that is not valid is refused before anything."""
    try:
        number = validate_nhs_number(nhs_number)
    except InputError:
        raise InputError(
            "not a valid NHS number", [Problem("nhs_number", "ten digits, valid check digit")]
        ) from None
    return persons.person_hash(ws.person_index_key(), number)


def _version(ws: Workspace, user: User, agreement_id: str) -> StoredVersion:
    """The agreement's version in force, if the user is a handler of one of its parties."""
    user.require_role(HANDLER)
    access.visible_version(ws, user, agreement_id)  # "not found" unless a party's
    return agreement_service.version_in_force(ws, agreement_id)


# -- requests -------------------------------------------------------------------------------------


def receive(
    ws: Workspace,
    user: User,
    agreement_id: str,
    kind: str,
    nhs_number: str,
    *,
    received_on: date | None = None,
    note: str | None = None,
) -> Request:
    """Record a request the user's party received; route it to the lead party; start the clock."""
    if kind not in KINDS:
        raise InputError("unknown kind of request", [Problem("kind", "one of " + ", ".join(KINDS))])
    now = ws.clock.now()
    received = received_on or now.date()
    if received > now.date():
        raise InputError(
            "a request cannot be received in the future",
            [Problem("received", f"after {now.date().isoformat()}")],
        )
    v = _version(ws, user, agreement_id)
    request_id = _receive(
        ws, v, person_hash(ws, nhs_number), kind, user.party_org_id, user.email, received, note
    )
    return get(ws, user, request_id)


def _receive(
    ws: Workspace,
    v: StoredVersion,
    person: str,
    kind: str,
    received_by: str,
    recorded_by: str,
    received: date,
    note: str | None,
) -> str:
    """Store a request, route it to the lead party, record both steps; its id."""
    now = ws.clock.now()
    lead = v.agreement.rights.lead_party
    due = due_date(received)
    request_id = "rr-" + secrets.token_hex(6)
    base = _base(v, now)
    events: list[Any] = [
        RightsRequestReceived(
            **base,
            request_id=request_id,
            kind=kind,
            person=person,
            received_by=received_by,
            lead_party=lead,
            received_on=received.isoformat(),
            due_on=due.isoformat(),
            recorded_by=recorded_by,
        )
    ]
    with ws.engine.begin() as conn:
        conn.execute(
            insert(rights_requests).values(
                request_id=request_id,
                agreement_id=v.agreement_id,
                agreement_version=v.version,
                agreement_hash=v.hash,
                kind=kind,
                person=person,
                received_by=received_by,
                lead_party=lead,
                received_on=received.isoformat(),
                due_on=due.isoformat(),
                extended=False,
                state="open",
                recorded_by=recorded_by,
                note=note,
                created_at=iso(now),
            )
        )
        if lead != received_by:
            events.append(
                RightsRequestStep(
                    **base,
                    request_id=request_id,
                    step="routed",
                    party=lead,
                    actor=recorded_by,
                    due_on=due.isoformat(),
                )
            )
        _notify(
            conn,
            v,
            lead,
            f"Rights request {request_id}: {KIND_WORDS[kind]}, due {due.isoformat()}",
            f"{received_by} received {KIND_WORDS[kind]} under {v.agreement.title} on "
            f"{received.isoformat()}. Your party leads on people's rights for this agreement "
            f"and must answer by {due.isoformat()}.",
            now,
            due,
        )
        record(ws, *events, conn=conn)
    return request_id


@dataclass(frozen=True)
class _Version:
    """The agreement version a request was received under (what its events and notices name)."""

    agreement_id: str
    version: str
    hash: str


def _base(v: StoredVersion | _Version, now: datetime) -> dict[str, Any]:
    return {
        "agreement_id": v.agreement_id,
        "agreement_version": v.version,
        "agreement_hash": v.hash,
        "at": iso(now),
    }


def _notify(
    conn: Connection,
    v: StoredVersion | _Version,
    party: str,
    subject: str,
    message: str,
    now: datetime,
    due: date,
) -> None:
    notify_once(
        conn,
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        party=party,
        role=HANDLER.value,
        subject=subject,
        message=message,
        now=now,
        deadline=datetime.combine(due, datetime.min.time(), tzinfo=now.tzinfo),
    )


def _row(conn: Connection, row: Any) -> Request:
    suppressed = conn.execute(
        select(rights_suppressions.c.agreement_id)
        .where(
            rights_suppressions.c.request_id == row.request_id,
            rights_suppressions.c.lifted_at.is_(None),
        )
        .order_by(rights_suppressions.c.agreement_id)
    ).scalars()
    return Request(
        request_id=row.request_id,
        agreement_id=row.agreement_id,
        kind=row.kind,
        person=row.person,
        received_by=row.received_by,
        lead_party=row.lead_party,
        received_on=date.fromisoformat(row.received_on),
        due_on=date.fromisoformat(row.due_on),
        extended=bool(row.extended),
        state=row.state,
        recorded_by=row.recorded_by,
        note=row.note,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        suppressed_in=tuple(suppressed),
    )


def _hidden(request_id: str) -> NotFound:
    return NotFound(f"no rights request {request_id} that you can see", [Problem("id", "")])


def get(ws: Workspace, user: User, request_id: str) -> Request:
    """A request the user's party received or leads, for a handler; else "not found"."""
    if not user.holds(HANDLER):
        raise _hidden(request_id)
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(rights_requests).where(rights_requests.c.request_id == request_id)
        ).first()
        if row is None or user.party_org_id not in (row.received_by, row.lead_party):
            raise _hidden(request_id)
        return _row(conn, row)


def list_requests(ws: Workspace, user: User, *, state: str | None = None) -> list[Request]:
    """The requests the user's party received or leads (a handler's), soonest due first."""
    if not user.holds(HANDLER):
        return []
    party = user.party_org_id
    query = select(rights_requests).where(
        (rights_requests.c.received_by == party) | (rights_requests.c.lead_party == party)
    )
    if state is not None:
        query = query.where(rights_requests.c.state == state)
    with ws.engine.connect() as conn:
        rows = conn.execute(
            query.order_by(rights_requests.c.due_on, rights_requests.c.request_id)
        ).all()
        return [_row(conn, r) for r in rows]


def decide(
    ws: Workspace, user: User, request_id: str, decision: str, *, note: str | None = None
) -> Request:
    """The lead party's decision: ``extend`` (complex: two further months, once), ``uphold``
    (an objection, restriction or erasure: suppress the person), ``refuse``, ``answer`` (access
    given, data corrected), or ``lift`` (reverse an upheld suppression)."""
    if decision not in DECISIONS:
        raise InputError("unknown decision", [Problem("decision", ", ".join(DECISIONS))])
    r = get(ws, user, request_id)
    if user.party_org_id != r.lead_party:
        raise NotPermitted(
            "only the lead party named by the agreement's rights clause decides a request",
            [Problem("party", f"the lead is {r.lead_party}")],
        )
    now = ws.clock.now()
    v = agreement_service.version_in_force(ws, r.agreement_id)
    _check_decision(r, decision, now.date())
    values: dict[str, Any] = {"decided_at": iso(now), "decided_by": user.email}
    step: dict[str, Any] = {"step": {"extend": "extended", "uphold": "upheld"}.get(decision)}
    suppressed: tuple[str, ...] = ()
    if decision == "extend":
        due = due_date(r.received_on, EXTENDED)
        values = {"due_on": due.isoformat(), "extended": True}
        step["due_on"] = due.isoformat()
    elif decision == "uphold":
        suppressed = _included(ws, r)
        values["state"] = "upheld"
    elif decision == "refuse":
        values["state"], step["step"] = "refused", "refused"
    elif decision == "answer":
        values["state"], step["step"] = "answered", "answered"
    else:
        values["state"], step["step"] = "lifted", "lifted"
    if note is not None:
        values["note"] = note
    with ws.engine.begin() as conn:
        conn.execute(
            update(rights_requests)
            .where(rights_requests.c.request_id == request_id)
            .values(**values)
        )
        for agreement_id in suppressed:
            conn.execute(
                insert(rights_suppressions).values(
                    request_id=request_id,
                    agreement_id=agreement_id,
                    person=r.person,
                    since=iso(now),
                )
            )
        if decision == "lift":
            lifted = tuple(r.suppressed_in)
            conn.execute(
                update(rights_suppressions)
                .where(
                    rights_suppressions.c.request_id == request_id,
                    rights_suppressions.c.lifted_at.is_(None),
                )
                .values(lifted_at=iso(now))
            )
            suppressed = lifted
        record(
            ws,
            RightsRequestStep(
                **_base(v, now),
                request_id=request_id,
                party=user.party_org_id,
                actor=user.email,
                suppressed_in=suppressed,
                **step,
            ),
            conn=conn,
        )
    return get(ws, user, request_id)


def _check_decision(r: Request, decision: str, today: date) -> None:
    def refuse(why: str) -> None:
        raise InputError(f"cannot {decision} this request", [Problem("decision", why)])

    if decision == "lift":
        if r.state != "upheld":
            refuse("only an upheld suppression is lifted")
        return
    if r.state != "open":
        refuse(f"the request is already {r.state}")
    if decision == "extend" and r.extended:
        refuse("a request is extended once, by two months")
    if decision == "extend" and today > r.due_on:
        refuse("the time limit has passed; extend before it ends")
    if decision == "uphold" and r.kind not in SUPPRESSING:
        refuse("answer a subject access or rectification request (nothing to suppress)")
    if decision == "answer" and r.kind in SUPPRESSING:
        refuse("uphold or refuse an objection, restriction or erasure")


def _included(ws: Workspace, r: Request) -> tuple[str, ...]:
    """Every agreement whose deliveries included the person, and the one the request names."""
    ids = [v.agreement_id for v in agreement_service.list_all(ws)]
    found = {
        _hit_agreement(folder)
        for folder in persons.find(ws.deliveries_dir, ids, r.person, key=ws.person_index_key())
    }
    return tuple(sorted(found | {r.agreement_id}))


def _hit_agreement(folder: Any) -> str:
    return str(json.loads((folder / MANIFEST).read_bytes())["agreement"]["id"])


def suppressed_people(ws: Workspace, agreement_id: str) -> list[str]:
    """The keyed hashes every run of the agreement removes (upheld and not lifted)."""
    with ws.engine.connect() as conn:
        return sorted(
            set(
                conn.execute(
                    select(rights_suppressions.c.person).where(
                        rights_suppressions.c.agreement_id == agreement_id,
                        rights_suppressions.c.lifted_at.is_(None),
                    )
                ).scalars()
            )
        )


# -- lookup ---------------------------------------------------------------------------------------


def lookup(ws: Workspace, user: User, nhs_number: str) -> list[Hit]:
    """Which deliveries of the user's party's agreements included the person; a ledger event.

    Only a handler of a party to an agreement may look up; anyone else is refused, and the
    refusal is recorded too. The answer never covers an agreement the user's party is not a
    party to.
    """
    person = person_hash(ws, nhs_number)
    now = ws.clock.now()
    agreements = (
        [v.agreement_id for v in access.visible_agreements(ws, user)]
        if user.holds(HANDLER) and not user.is_recipient_service
        else []
    )
    outcome = "answered" if agreements else "refused"
    record(
        ws,
        PersonLookedUp(
            agreement_id=None,
            agreement_version=None,
            agreement_hash=None,
            at=iso(now),
            person=person,
            by=user.email,
            party=user.party_org_id,
            outcome=outcome,
        ),
    )
    if not agreements:
        raise NotPermitted(
            "looking a person up needs the handler role of a party to an agreement",
            [Problem("role", f"needs {HANDLER.value} at a party to the agreement")],
        )
    return hits(ws, agreements, person, nhs_number=nhs_number)


def hits(
    ws: Workspace, agreement_ids: list[str], person: str, *, nhs_number: str | None = None
) -> list[Hit]:
    """The deliveries of ``agreement_ids`` that included ``person`` (no access check: callers
    decide who may ask). With ``nhs_number`` (the number ``person`` is the hash of), a delivery
    whose extract carries it is searched by it; without, it is first indexed by keyed hash
    (:func:`accord.engine.persons.find`)."""
    out = []
    found = persons.find(
        ws.deliveries_dir,
        agreement_ids,
        person,
        key=ws.person_index_key(),
        nhs_number=nhs_number,
    )
    for folder in found:
        m = json.loads((folder / MANIFEST).read_bytes())
        out.append(
            Hit(
                agreement_id=m["agreement"]["id"],
                agreement_version=m["agreement"]["version"],
                flow_id=m["flow"],
                recipient=m["recipient"],
                run_id=m["run_id"],
                created=m["created"],
                fields=tuple(c["name"] for c in m["columns"]),
            )
        )
    return sorted(out, key=lambda h: (h.created, h.agreement_id, h.flow_id))


def index_deliveries(ws: Workspace) -> int:
    """Index by keyed hash every delivery that carries the NHS number and is not indexed yet
    (:func:`accord.engine.persons.index_pending`): the sweep's step after runs, so that deciding
    a request or a person's own view, which look up by keyed hash alone, find every delivery
    already indexed. Returns how many deliveries it indexed."""
    if not ws.deliveries_dir.is_dir():
        return 0
    return persons.index_pending(ws.deliveries_dir, ws.person_index_key())


# -- the clock ------------------------------------------------------------------------------------


def sweep(ws: Workspace, now: datetime | None = None) -> list[Reminder]:
    """Remind the lead a week before an open request is due, and both parties once overdue;
    each reminder once, each a notification and a ledger event."""
    now = now or ws.clock.now()
    today = now.date()
    done: list[Reminder] = []
    with ws.engine.begin() as conn:
        given = {
            (r.request_id, r.reminder)
            for r in conn.execute(
                select(rights_reminders.c.request_id, rights_reminders.c.reminder)
            )
        }
        rows = conn.execute(select(rights_requests).where(rights_requests.c.state == "open")).all()
        events: list[Any] = []
        for row in rows:
            due = date.fromisoformat(row.due_on)
            if today > due:
                kind, parties = "overdue", tuple(dict.fromkeys((row.lead_party, row.received_by)))
            elif today >= due - SOON:
                kind, parties = "due-soon", (row.lead_party,)
            else:
                continue
            if (row.request_id, kind) in given:
                continue
            v = _Version(row.agreement_id, row.agreement_version, row.agreement_hash)
            conn.execute(
                insert(rights_reminders).values(
                    request_id=row.request_id, reminder=kind, at=iso(now)
                )
            )
            words = "is overdue" if kind == "overdue" else "is due soon"
            for party in parties:
                _notify(
                    conn,
                    v,
                    party,
                    f"Rights request {row.request_id} {words}: due {row.due_on}",
                    f"{KIND_WORDS[row.kind].capitalize()} received by {row.received_by} on "
                    f"{row.received_on} must be answered by {row.due_on}.",
                    now,
                    due,
                )
                events.append(
                    RightsRequestStep(
                        **_base(v, now),
                        request_id=row.request_id,
                        step="reminded",
                        party=party,
                        actor=SYSTEM,
                        due_on=row.due_on,
                    )
                )
            done.append(Reminder(row.request_id, kind, parties))
        if events:
            record(ws, *events, conn=conn)
    return done


__all__ = [
    "DECISIONS",
    "HANDLER",
    "KINDS",
    "Hit",
    "Reminder",
    "Request",
    "decide",
    "get",
    "hits",
    "list_requests",
    "lookup",
    "person_hash",
    "receive",
    "suppressed_people",
    "sweep",
]
