"""A person's own view: which agreements and recipients received their data, why, and a way to
object.

A person proves who they are with their NHS number and a verification code the instance issued
for that number (:func:`issue_code`; for the exercise and tests a handler issues it, after
checking identity as their organisation does for a subject access request). A live service
would instead accept an identity from NHS login or GOV.UK One Login; the code stands in for
that step and nothing else. A code is kept as its SHA-256 only, with the person's keyed hash,
and expires after :data:`CODE_LIFETIME`.

A wrong code and an NHS number accord has never seen get the same answer, so the view never
confirms that someone's data was shared to anyone who cannot prove to be them. The view covers
every agreement, because it is the person's own data; it names the parties and the purposes in
plain English from the agreement, and the fields each recipient received. An objection raised
here becomes a request received by the agreement's lead party, on the same clock as any other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from accord.errors import NotAuthenticated, NotFound, Problem
from accord.service import agreements as agreement_service
from accord.service import rights
from accord.service._ledger import iso
from accord.service.users import User
from accord.store.rights import rights_codes, rights_requests
from accord.workspace import Workspace

CODE_LIFETIME = timedelta(hours=24)
REAL_OPTIONS = ("NHS login", "GOV.UK One Login")
"""What a live service uses instead of an instance-issued code (named in the docs)."""


def issue_code(ws: Workspace, user: User, nhs_number: str) -> str:
    """A handler issues a one-day code for the person (identity checked by their own process)."""
    user.require_role(rights.HANDLER)
    person = rights.person_hash(ws, nhs_number)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        conn.execute(
            insert(rights_codes).values(
                code_sha256=_digest(code),
                person=person,
                issued_at=iso(now),
                expires_at=iso(now + CODE_LIFETIME),
            )
        )
    return code


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _refused() -> NotAuthenticated:
    return NotAuthenticated(
        "we could not confirm who you are",
        [Problem("code", "check your NHS number and the code you were given")],
    )


def verify(ws: Workspace, nhs_number: str, code: str) -> str:
    """The person's keyed hash, when the code was issued for this NHS number and is in date;
    the same refusal otherwise, whatever was wrong."""
    try:
        person = rights.person_hash(ws, nhs_number)
    except Exception:
        raise _refused() from None
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(rights_codes).where(rights_codes.c.code_sha256 == _digest(code))
        ).first()
    now = iso(ws.clock.now())
    if row is None or not hmac.compare_digest(row.person, person) or row.expires_at <= now:
        raise _refused()
    return person


@dataclass(frozen=True)
class Shared:
    """One agreement that included the person, in plain English."""

    agreement_id: str
    title: str
    summary: str
    purposes: tuple[str, ...]
    discloser: str
    recipients: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, last delivered, fields)
    lead: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "title": self.title,
            "summary": self.summary,
            "purposes": list(self.purposes),
            "discloser": self.discloser,
            "recipients": [
                {"name": n, "last_delivered": d, "fields": list(f)} for n, d, f in self.recipients
            ],
            "lead": self.lead,
        }


def shared_with(ws: Workspace, person: str) -> list[Shared]:
    """Every agreement whose deliveries included the person, with who received what."""
    latest = {v.agreement_id: v for v in agreement_service.list_all(ws)}
    found = rights.hits(ws, list(latest), person)
    out = []
    for agreement_id in sorted({h.agreement_id for h in found}):
        a = latest[agreement_id].agreement
        names = {p.org_id: p.name for p in a.parties}
        per: dict[str, tuple[str, tuple[str, ...]]] = {}
        for h in found:
            if h.agreement_id == agreement_id:
                fields = tuple(f.replace("_", " ") for f in h.fields)
                per[h.recipient] = (h.created[:10], fields)
        out.append(
            Shared(
                agreement_id=agreement_id,
                title=a.title,
                summary=a.summary_plain_english,
                purposes=tuple(p.description for p in a.purposes),
                discloser=", ".join(p.name for p in a.disclosers),
                recipients=tuple((names.get(r, r), d, f) for r, (d, f) in sorted(per.items())),
                lead=names.get(a.rights.lead_party, a.rights.lead_party),
            )
        )
    return out


def my_requests(ws: Workspace, person: str) -> list[dict[str, Any]]:
    """The person's own requests: what, under which agreement, received when, due when, state."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(rights_requests)
            .where(rights_requests.c.person == person)
            .order_by(rights_requests.c.received_on)
        ).all()
    return [
        {
            "kind": rights.KIND_WORDS[r.kind],
            "agreement_id": r.agreement_id,
            "received_on": r.received_on,
            "due_on": r.due_on,
            "state": r.state,
        }
        for r in rows
    ]


def object_to(ws: Workspace, person: str, agreement_id: str) -> str:
    """The person objects (Art 21) to an agreement that included them: a request received by
    its lead party; the request id."""
    shared = {s.agreement_id for s in shared_with(ws, person)}
    if agreement_id not in shared:
        raise NotFound("no agreement of yours with that id", [Problem("agreement", "")])
    v = agreement_service.version_in_force(ws, agreement_id)
    now: datetime = ws.clock.now()
    return rights._receive(
        ws,
        v,
        person,
        "objection",
        v.agreement.rights.lead_party,
        "the person, through their own view",
        now.date(),
        None,
    )
