"""What falls due on a clock tick: emergency expiry, DPIA deadlines, and who must be told.

:func:`sweep` looks at every live agreement version and applies, idempotently:

- an unratified emergency agreement at its incident's ``review_by`` is **expired**;
- at the due-by date of a provisional (screening-only) DPIA it is **suspended** (scenario S13);
- each notification the playbook asks for (``accord.playbook.due_actions``: the SIROs, before and
  at the due date) is stored once, and every recipient is told when its flow stops.

Everything comes from stored state and the injected clock, so a restart loses nothing and a
second sweep at the same time does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from accord.model import expiry_due
from accord.model.enums import Status
from accord.playbook import Notify, Suspend, due_actions
from accord.service import agreements
from accord.service.agreements import StoredVersion
from accord.store.disputes import notifications
from accord.workspace import Workspace

LIVE = (Status.active, Status.suspended)


@dataclass(frozen=True)
class Swept:
    agreement_id: str
    seq: int
    action: str  # "expired", "suspended" or "notified"
    detail: str


def _notify(
    ws: Workspace,
    v: StoredVersion,
    party: str,
    role: str,
    subject: str,
    message: str,
    deadline: datetime | None,
    now: datetime,
) -> bool:
    """Store a notification unless the same one is already stored; True when new."""
    with ws.engine.begin() as conn:
        exists = conn.execute(
            select(notifications.c.id).where(
                notifications.c.agreement_hash == v.hash,
                notifications.c.party == party,
                notifications.c.role == role,
                notifications.c.subject == subject,
            )
        ).first()
        if exists:
            return False
        conn.execute(
            notifications.insert().values(
                dispute_id=None,
                step_seq=None,
                agreement_id=v.agreement_id,
                agreement_version=v.version,
                agreement_hash=v.hash,
                party=party,
                role=role,
                address=None,
                subject=subject,
                message=message,
                deadline=deadline,
                created_at=now,
            )
        )
    return True


def _stop(ws: Workspace, v: StoredVersion, target: Status, reason: str, now: datetime) -> Swept:
    agreements.transition(ws, v.agreement_id, target, seq=v.seq, reason=reason, actor="accord")
    for party in v.agreement.recipients:
        _notify(
            ws,
            v,
            party.org_id,
            "siro",
            f"Flows {target.value}: {v.agreement.title}",
            f"accord has {target.value} the agreement; no further deliveries. {reason}",
            None,
            now,
        )
    return Swept(v.agreement_id, v.seq, target.value, reason)


def sweep(ws: Workspace, now: datetime | None = None) -> list[Swept]:
    """Apply everything due at ``now`` (default: the workspace clock)."""
    now = now or ws.clock.now()
    done: list[Swept] = []
    for latest in agreements.list_all(ws):
        for v in agreements.versions(ws, latest.agreement_id):
            if v.status not in LIVE:
                continue
            if expiry_due(v.agreement, v.status, now, ratified=v.ratified):
                reason = "the incident's review date passed without ratification"
                done.append(_stop(ws, v, Status.expired, reason, now))
                continue
            for action in due_actions(v.agreement, v.status, now):
                if isinstance(action, Suspend):
                    done.append(_stop(ws, v, Status.suspended, action.reason, now))
                elif isinstance(action, Notify):
                    subject = action.message.split(";")[0].split(":")[0][:120]
                    if _notify(
                        ws,
                        v,
                        action.party,
                        action.role.value,
                        subject,
                        action.message,
                        action.deadline,
                        now,
                    ):
                        done.append(Swept(v.agreement_id, v.seq, "notified", action.party))
    return done
