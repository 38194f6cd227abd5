"""Boundary and organisation changes: a recipient that ceases to exist inside an agreement's life.

The packaged geography knows the 2023 reorganisation and the 2025 recodes
(:mod:`accord.refdata.succession`). For each live agreement, :func:`sweep` looks ahead
``lead`` days (default 30) for a recipient that ceases on a date after the version was made; for
each such date it **proposes the amendment** once:

- a new draft version (made through :func:`accord.service.agreements.amend`) in which the ceased
  body's flows end on that date and a flow to each successor starts on it, with the successors
  added as recipient parties (their contacts copied from the body they replace until they are
  corrected);
- moved to review, and every approval the playbook requires of it
  (:func:`accord.playbook.required_approvals`: the successors' SIRO and DPO among them) is asked
  for by a notification, as is the discloser's SIRO and DPO;
- one ``boundary-amendment-proposed`` ledger event, committed with the record of the proposal.

Until that version is active the engine never sends a resident to the body that no longer exists:
from the cessation date its flow is held (:attr:`accord.engine.plan.Plan.held`), and the residents
are exceptions with the reason ``recipient_not_in_existence:<flow>``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from accord.ledger.events import BoundaryAmendmentProposed
from accord.model import Agreement, Flow, Party
from accord.model.enums import Status
from accord.playbook import required_approvals
from accord.refdata.succession import Succession, ceased_on, successors
from accord.service import agreements
from accord.service._ledger import iso, record
from accord.service._notices import notify_once
from accord.service.agreements import StoredVersion
from accord.service.lifecycle import Swept
from accord.store.retention import boundary_amendments
from accord.workspace import Workspace

__all__ = ["LEAD", "amendment_for", "ceasing", "propose", "sweep"]

LEAD = timedelta(days=30)


def ceasing(v: StoredVersion, now: datetime, lead: timedelta = LEAD) -> dict[date, list[str]]:
    """Recipients of ``v`` that cease after ``v`` was made and by ``now + lead``, by date."""
    start = v.created_at.date() + timedelta(days=1)
    horizon = (now + lead).date() + timedelta(days=1)
    found: dict[date, list[str]] = {}
    for party in v.agreement.recipients:
        when = ceased_on(party.org_id, start, horizon)
        if when is not None and any(
            f.recipient == party.org_id and (f.end is None or f.end.date() > when)
            for f in v.agreement.flows
        ):
            found.setdefault(when, []).append(party.org_id)
    return found


def _bump(version: str) -> str:
    major, minor, *_ = (int(x) for x in version.split("."))
    return f"{major}.{minor + 1}.0"


def _flow_id(old: Flow, s: Succession) -> str:
    old_code, new_code = s.old_code.lower(), s.new_code.lower()
    if old_code in old.id:
        return old.id.replace(old_code, new_code)
    return f"{old.id}.{new_code}"[:81]


def amendment_for(
    agreement: Agreement, ceased: list[str], on: date, *, version: str
) -> tuple[Agreement, dict[str, tuple[str, ...]]]:
    """The amended document: the ceased bodies' flows end ``on``, successors' flows start ``on``."""
    start = datetime.combine(on, time.min, tzinfo=UTC)
    parties = list(agreement.parties)
    known = {p.org_id for p in parties}
    flows: list[Flow] = []
    added: list[Flow] = []
    taken: dict[str, tuple[str, ...]] = {}
    for flow in agreement.flows:
        if flow.recipient not in ceased or (flow.end is not None and flow.end <= start):
            flows.append(flow)
            continue
        hops = successors(flow.recipient, on=on)
        taken[flow.recipient] = tuple(s.new_org_id for s in hops)
        flows.append(flow.model_copy(update={"end": start}))
        old_party = agreement.party(flow.recipient)
        for s in hops:
            if s.new_org_id not in known:
                parties.append(_successor_party(old_party, s))
                known.add(s.new_org_id)
            if any(f.recipient == s.new_org_id for f in (*agreement.flows, *added)):
                continue
            begins = max(start, flow.start) if flow.start else start
            added.append(
                flow.model_copy(
                    update={"id": _flow_id(flow, s), "recipient": s.new_org_id, "start": begins}
                )
            )
    doc = agreement.model_copy(
        update={
            "version": version,
            "parties": parties,
            "flows": flows + added,
            "status": Status.draft,
            "approvals": [],
        }
    )
    return Agreement.model_validate(doc.model_dump()), taken


def _successor_party(old: Party, s: Succession) -> Party:
    return old.model_copy(update={"org_id": s.new_org_id, "name": s.new_name})


def _proposed(ws: Workspace, agreement_id: str, party: str, on: date) -> bool:
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(boundary_amendments.c.id).where(
                boundary_amendments.c.agreement_id == agreement_id,
                boundary_amendments.c.party == party,
                boundary_amendments.c.effective_date == on,
            )
        ).first()
    return row is not None


def propose(
    ws: Workspace, v: StoredVersion, ceased: list[str], on: date, now: datetime
) -> StoredVersion:
    """Make, route and record the amendment for the recipients of ``v`` that cease ``on``."""
    latest = agreements.get(ws, v.agreement_id)
    doc, taken = amendment_for(v.agreement, ceased, on, version=_bump(latest.version))
    new = agreements.amend(ws, doc, actor="accord")
    new = agreements.transition(
        ws,
        v.agreement_id,
        Status.in_review,
        seq=new.seq,
        reason=f"boundary change on {on.isoformat()}: {', '.join(ceased)} ceased",
        actor="accord",
    )
    events = []
    with ws.engine.begin() as conn:
        for party in ceased:
            conn.execute(
                boundary_amendments.insert().values(
                    agreement_id=v.agreement_id,
                    party=party,
                    effective_date=on,
                    from_seq=v.seq,
                    new_seq=new.seq,
                    successors=",".join(taken.get(party, ())),
                    at=now,
                )
            )
            events.append(
                BoundaryAmendmentProposed(
                    agreement_id=new.agreement_id,
                    agreement_version=new.version,
                    agreement_hash=new.hash,
                    at=iso(now),
                    ceased=party,
                    successors=taken.get(party, ()),
                    effective_date=on.isoformat(),
                    replaces_version=v.version,
                )
            )
        deadline = datetime.combine(on, time.min, tzinfo=UTC)
        subject = f"Approval needed: boundary change amendment v{new.version}"
        message = (
            f"{', '.join(ceased)} cease(s) to exist on {on.isoformat()}. Version {new.version} "
            "moves their flows to the successor bodies from that date. Until it is active, "
            "residents of those areas are held as exceptions and delivered to no one."
        )
        for need in required_approvals(new.agreement):
            notify_once(
                conn,
                agreement_id=new.agreement_id,
                agreement_version=new.version,
                agreement_hash=new.hash,
                party=need.party_org_id,
                role=need.role.value,
                subject=subject,
                message=message,
                now=now,
                deadline=deadline,
            )
        record(ws, *events, conn=conn)
    return new


def sweep(ws: Workspace, now: datetime, lead: timedelta = LEAD) -> list[Swept]:
    """Propose the amendment once for each recipient of an active agreement about to cease."""
    done: list[Swept] = []
    for latest in agreements.list_all(ws):
        for v in agreements.versions(ws, latest.agreement_id):
            if v.status is not Status.active:
                continue
            for on, parties in sorted(ceasing(v, now, lead).items()):
                fresh = [p for p in parties if not _proposed(ws, v.agreement_id, p, on)]
                if not fresh:
                    continue
                new = propose(ws, v, fresh, on, now)
                done.append(Swept(v.agreement_id, new.seq, "amendment-proposed", ",".join(fresh)))
    return done
