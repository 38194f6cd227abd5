"""Party assurance over time, independent of any agreement, and the SIRO's exceptions.

A party's Data Security and Protection Toolkit status and its certificates (ISO/IEC 27001,
Cyber Essentials) are recorded as they are published (:func:`record_assurance`), each a ledger
event. On any day the party's assurance is the latest record in effect, read through
:func:`accord.model.assurance.effective_status` (an improvement plan or a certificate can lapse;
the sweep records each lapse once as an event too).

:func:`effective_agreement` puts a party's status on a day into the agreement, so the law check
(``dspt.recipient-below-min``) judges each agreement by the assurance in force that day, and
:func:`certificate_findings` adds the certificates an agreement requires. When a recipient falls
below what an agreement requires, only the flows of personal data to that recipient pause.

The discloser's SIRO may record an :class:`~accord.model.assurance.AssuranceException` for one
recipient of one agreement (:func:`record_exception`): signed with the discloser's party key,
with the compensating controls in words, from a start day to an end day, after which it ends by
itself. While it is in force the recipient's flows run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.law import Finding, Severity, default_registry
from accord.ledger.events import (
    AssuranceChanged,
    AssuranceExceptionEnded,
    AssuranceExceptionRecorded,
)
from accord.model import Agreement
from accord.model.assurance import (
    SATISFIES,
    AssuranceException,
    AssuranceRecord,
    AssuranceScheme,
    effective_status,
    plan_ends,
)
from accord.model.enums import DsptStatus
from accord.service import agreements
from accord.service._ledger import iso, record
from accord.service._parts import parse_part
from accord.service.users import Role, User
from accord.store.lifecycle import assurance_exceptions, party_assurance
from accord.workspace import Workspace

CERTIFICATE_MISSING = "assurance.certificate-missing"
DSPT_BELOW = "dspt.recipient-below-min"
CODES = frozenset({DSPT_BELOW, CERTIFICATE_MISSING, "dspt.stale"})


@dataclass(frozen=True)
class StoredAssurance:
    id: int
    record: AssuranceRecord
    recorded_at: datetime
    recorded_by: str
    lapsed_at: datetime | None

    @property
    def plan_ends(self) -> date | None:
        """The improvement plan's last day: the record's, or the toolkit's last day for plans
        under the record's framework if earlier (the law's ``data/dspt.yaml``)."""
        return plan_ends(self.record, plan_last_day(self.record))

    def status_on(self, on: date) -> str:
        return effective_status(self.record, on, plan_last_day=plan_last_day(self.record))

    def as_dict(self, on: date) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.record.model_dump(mode="json"),
            "status_on": {"date": on.isoformat(), "status": self.status_on(on)},
            "improvement_plan_ends": self.plan_ends.isoformat() if self.plan_ends else None,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
        }


@dataclass(frozen=True)
class StoredException:
    id: str
    exception: AssuranceException
    recorded_at: datetime
    recorded_by: str
    signature: str
    ended_at: datetime | None

    def in_force(self, on: date) -> bool:
        return self.exception.in_force(on)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.exception.model_dump(mode="json"),
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "signature": self.signature,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }


# -- assurance records ------------------------------------------------------------------------


def plan_last_day(record: AssuranceRecord) -> date | None:
    """The toolkit's last day for an improvement plan under ``record``'s framework, if any."""
    if record.scheme is not AssuranceScheme.dspt or record.framework is None:
        return None
    rule = default_registry().dspt(record.status)
    return rule.plan_last_day.get(record.framework.value)


def _stored(row: Any) -> StoredAssurance:
    return StoredAssurance(
        row.id,
        AssuranceRecord.model_validate_json(row.document),
        row.recorded_at,
        row.recorded_by,
        row.lapsed_at,
    )


def _changed(r: AssuranceRecord, status: str, change: str, actor: str, at: str) -> AssuranceChanged:
    return AssuranceChanged(
        at=at,
        party=r.party,
        scheme=r.scheme.value,
        status=status,
        change=change,
        effective_from=r.effective_from.isoformat(),
        valid_until=r.valid_until.isoformat() if r.valid_until else None,
        recorded_by=actor,
    )


def record_assurance(
    ws: Workspace, data: AssuranceRecord | dict[str, Any], *, actor: str
) -> StoredAssurance:
    """Record a published status or certificate; its ledger event commits with it."""
    rec = parse_part(AssuranceRecord, data, "assurance record")
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        new_id = conn.execute(
            party_assurance.insert().values(
                party=rec.party,
                scheme=rec.scheme.value,
                status=rec.status,
                effective_from=rec.effective_from,
                recorded_at=now,
                recorded_by=actor,
                lapsed_at=None,
                document=json.dumps(rec.model_dump(mode="json"), sort_keys=True),
            )
        ).inserted_primary_key
        record(ws, _changed(rec, rec.status, "recorded", actor, iso(now)), conn=conn)
    assert new_id is not None
    return StoredAssurance(int(new_id[0]), rec, now, actor, None)


RECORDERS = frozenset({Role.siro, Role.dpo, Role.iao})


def record_own_assurance(
    ws: Workspace, user: User, data: AssuranceRecord | dict[str, Any]
) -> StoredAssurance:
    """Record a status or certificate of ``user``'s own party, as its SIRO, DPO or IAO."""
    party = data.party if isinstance(data, AssuranceRecord) else str(data.get("party", ""))
    if party.strip() != user.party_org_id or not (user.roles & RECORDERS):
        raise NotPermitted(
            "a party's assurance is recorded by its own SIRO, DPO or IAO",
            [Problem("party", f"{user.email} cannot record assurance for {party}")],
        )
    rec = parse_part(AssuranceRecord, data, "assurance record")
    return record_assurance(ws, rec, actor=user.email)


def history(ws: Workspace, party: str | None = None) -> list[StoredAssurance]:
    """Every record (of ``party``, or of every party), oldest first."""
    query = select(party_assurance).order_by(party_assurance.c.id)
    if party is not None:
        query = query.where(party_assurance.c.party == party)
    with ws.engine.connect() as conn:
        return [_stored(r) for r in conn.execute(query).all()]


def current(ws: Workspace, party: str, on: date) -> dict[AssuranceScheme, StoredAssurance]:
    """The record in effect on ``on`` for each scheme the party has published under."""
    return _current_of(history(ws, party), on)


def _current_of(records: list[StoredAssurance], on: date) -> dict[AssuranceScheme, StoredAssurance]:
    out: dict[AssuranceScheme, StoredAssurance] = {}
    for s in records:  # oldest first: a later record of the same day wins
        if s.record.effective_from > on:
            continue
        held = out.get(s.record.scheme)
        if held is None or s.record.effective_from >= held.record.effective_from:
            out[s.record.scheme] = s
    return out


def parties(ws: Workspace, on: date) -> dict[str, dict[AssuranceScheme, StoredAssurance]]:
    """Every party with a record, and its records in effect on ``on``."""
    by_party: dict[str, list[StoredAssurance]] = {}
    for s in history(ws):
        by_party.setdefault(s.record.party, []).append(s)
    return {p: _current_of(rs, on) for p, rs in sorted(by_party.items())}


def record_lapses(ws: Workspace, on: date) -> list[StoredAssurance]:
    """Record, once, each record in effect whose status has lapsed by ``on``: a ledger event."""
    now = ws.clock.now()
    lapsed: list[StoredAssurance] = []
    for held in parties(ws, on).values():
        for s in held.values():
            status = s.status_on(on)
            if s.lapsed_at is not None or status == s.record.status:
                continue
            with ws.engine.begin() as conn:
                done = conn.execute(
                    update(party_assurance)
                    .where(party_assurance.c.id == s.id, party_assurance.c.lapsed_at.is_(None))
                    .values(lapsed_at=now)
                ).rowcount
                if done:
                    record(ws, _changed(s.record, status, "lapsed", "accord", iso(now)), conn=conn)
                    lapsed.append(s)
    return lapsed


def effective_agreement(ws: Workspace, agreement: Agreement, on: date) -> Agreement:
    """``agreement`` with each party's DSPT status and publication date as recorded for ``on``.

    A party with no DSPT record keeps what the agreement says of it.
    """
    updated = []
    changed = False
    recorded = parties(ws, on)  # one read for every party
    for party in agreement.parties:
        held = recorded.get(party.org_id, {}).get(AssuranceScheme.dspt)
        if held is None:
            updated.append(party)
            continue
        changed = True
        updated.append(
            party.model_copy(
                update={
                    "dspt_status": DsptStatus(held.status_on(on)),
                    "dspt_published": held.record.effective_from,
                }
            )
        )
    return agreement.model_copy(update={"parties": updated}) if changed else agreement


def certificate_findings(ws: Workspace, agreement: Agreement, on: date) -> list[Finding]:
    """A blocking finding for each recipient of personal data lacking a required certificate."""
    required = agreement.security.certifications_required
    if not required:
        return []
    out: list[Finding] = []
    personal = {f.recipient for f in agreement.flows if not agreement.anonymous(f)}
    recorded = parties(ws, on)
    for i, party in enumerate(agreement.parties):
        if party.org_id not in personal:
            continue
        held = recorded.get(party.org_id, {})
        for cert in required:
            if not any(s in held and held[s].status_on(on) == "certified" for s in SATISFIES[cert]):
                out.append(
                    Finding(
                        CERTIFICATE_MISSING,
                        Severity.blocking,
                        f"parties.{i}.assurance.{cert.value}",
                        f"{party.name} holds no {cert.value.replace('_', ' ')} certificate in "
                        f"force on {on.isoformat()}; the agreement requires one.",
                        "the agreement's security clause",
                        _CERT_URL[cert.value],
                    )
                )
    return out


_CERT_URL = {
    "iso27001": "https://www.iso.org/standard/27001",
    "cyber_essentials": "https://www.ncsc.gov.uk/cyberessentials/overview",
    "cyber_essentials_plus": "https://www.ncsc.gov.uk/cyberessentials/overview",
}


# -- exceptions --------------------------------------------------------------------------------


def _exception_row(row: Any) -> StoredException:
    return StoredException(
        row.id,
        AssuranceException.model_validate_json(row.document),
        row.recorded_at,
        row.recorded_by,
        row.signature,
        row.ended_at,
    )


def exceptions(ws: Workspace, agreement_id: str | None = None) -> list[StoredException]:
    query = select(assurance_exceptions).order_by(
        assurance_exceptions.c.recorded_at, assurance_exceptions.c.id
    )
    if agreement_id is not None:
        query = query.where(assurance_exceptions.c.agreement_id == agreement_id)
    with ws.engine.connect() as conn:
        return [_exception_row(r) for r in conn.execute(query).all()]


def excepted(ws: Workspace, agreement_id: str, on: date) -> dict[str, StoredException]:
    """The recipients of ``agreement_id`` with an exception in force on ``on``."""
    return {e.exception.recipient: e for e in exceptions(ws, agreement_id) if e.in_force(on)}


def record_exception(
    ws: Workspace,
    user: User,
    *,
    agreement_id: str,
    recipient: str,
    controls: str | None,
    starts: date | str | None,
    ends: date | str | None,
) -> StoredException:
    """Record the discloser SIRO's signed, time-limited exception for one recipient.

    Raises :class:`InputError` naming the field (no controls, no end, an end before the start)
    and :class:`NotPermitted` unless ``user`` is the SIRO of a party that discloses under the
    agreement; nothing is recorded then.
    """
    now = ws.clock.now()
    problems = []
    if not (controls or "").strip():
        problems.append(Problem("controls", "describe the compensating controls in words"))
    if ends in (None, ""):
        problems.append(Problem("ends", "give the day the exception ends"))
    if problems:
        raise InputError("the exception is not complete; nothing was recorded", problems)
    exc = parse_part(
        AssuranceException,
        {
            "agreement_id": agreement_id,
            "recipient": recipient,
            "discloser": user.party_org_id,
            "controls": (controls or "").strip(),
            "starts": starts or now.date(),
            "ends": ends,
        },
        "exception",
    )
    version = agreements.get(ws, agreement_id)
    a = version.agreement
    if Role.siro not in user.roles or user.party_org_id not in {p.org_id for p in a.disclosers}:
        raise NotPermitted(
            "only the SIRO of a disclosing party may record an assurance exception",
            [Problem("user", f"{user.email} is not a SIRO of a discloser of {agreement_id}")],
        )
    if exc.recipient not in {p.org_id for p in a.recipients}:
        raise InputError(
            "the exception names no recipient of this agreement; nothing was recorded",
            [Problem("recipient", f"{exc.recipient} does not receive under {agreement_id}")],
        )
    if exc.ends < now.date():
        raise InputError(
            "the exception would already have ended; nothing was recorded",
            [Problem("ends", f"{exc.ends.isoformat()} is before today")],
        )
    digest = hashlib.sha256(
        json.dumps(exc.model_dump(mode="json"), sort_keys=True).encode() + iso(now).encode()
    ).hexdigest()
    exception_id = "ax-" + digest[:16]
    ws.keystore.ensure_party(user.party_org_id)
    event = ws.keystore.sign_event(
        AssuranceExceptionRecorded(
            agreement_id=agreement_id,
            agreement_version=version.version,
            agreement_hash=version.hash,
            at=iso(now),
            exception_id=exception_id,
            party=user.party_org_id,
            recipient=exc.recipient,
            starts=exc.starts.isoformat(),
            ends=exc.ends.isoformat(),
            controls=exc.controls,
            signature="",
        )
    )
    with ws.engine.begin() as conn:
        conn.execute(
            assurance_exceptions.insert().values(
                id=exception_id,
                agreement_id=agreement_id,
                recipient=exc.recipient,
                discloser=exc.discloser,
                starts=exc.starts,
                ends=exc.ends,
                recorded_at=now,
                recorded_by=user.email,
                signature=event.signature,
                ended_at=None,
                document=json.dumps(exc.model_dump(mode="json"), sort_keys=True),
            )
        )
        record(ws, event, conn=conn)
    return StoredException(exception_id, exc, now, user.email, event.signature, None)


def end_lapsed_exceptions(ws: Workspace, on: date) -> list[StoredException]:
    """Mark, once, each exception whose last day has passed: it ends by itself (a ledger event)."""
    now = ws.clock.now()
    ended: list[StoredException] = []
    for e in exceptions(ws):
        if e.ended_at is not None or on <= e.exception.ends:
            continue
        try:
            version = agreements.get(ws, e.exception.agreement_id)
        except NotFound:  # pragma: no cover - exceptions only exist for stored agreements
            continue
        with ws.engine.begin() as conn:
            done = conn.execute(
                update(assurance_exceptions)
                .where(assurance_exceptions.c.id == e.id, assurance_exceptions.c.ended_at.is_(None))
                .values(ended_at=now)
            ).rowcount
            if done:
                record(
                    ws,
                    AssuranceExceptionEnded(
                        agreement_id=version.agreement_id,
                        agreement_version=version.version,
                        agreement_hash=version.hash,
                        at=iso(now),
                        exception_id=e.id,
                        recipient=e.exception.recipient,
                        ends=e.exception.ends.isoformat(),
                    ),
                    conn=conn,
                )
                ended.append(e)
    return ended
