"""accord.disputes: disputes resolved immediately and decisively (domain/rules.md §f).

Owns the dispute model (grounds, offers, decisions), the pure state machine, the ladder of
deciders with its deadlines (emergency hours, routine working days with England and Wales bank
holidays), tier-0 narrowing of a disputed flow, the arbiter's pendulum decision, Civil
Contingencies Act requests and refusals, and what a stored step is as values (the journal's
rows, notifications and ledger events). Storing them, and sweeping missed deadlines, is the
service's (:mod:`accord.service.dispute_journal`, over :mod:`accord.store.dispute_records`).

Imports only ``accord.model``, ``accord.law``, ``accord.ledger`` and ``accord.errors``; never
the store or the workspace. It must never import ``accord.server``, ``accord.cli`` or
``accord.service``: those call in, never the other way.

>>> from datetime import UTC, datetime
>>> from accord.disputes import deadline
>>> from accord.model.enums import Mode
>>> deadline(Mode.emergency, datetime(2026, 3, 16, 9, 0, tzinfo=UTC), 3).isoformat()
'2026-03-17T09:00:00+00:00'
"""

from accord.disputes.ladder import (
    add_working_days,
    bank_holidays,
    deadline,
    deciders,
    designated_arbiter,
    ladder_end,
)
from accord.disputes.machine import (
    Decide,
    Effect,
    Emit,
    Escalate,
    Expire,
    MakeOffer,
    Narrow,
    Notice,
    Step,
    Withdraw,
    apply,
    open_dispute,
)
from accord.disputes.model import (
    Actor,
    ActorRole,
    Decision,
    Dispute,
    DisputeState,
    Ground,
    Offer,
    SubjectKind,
    Variant,
)

__all__ = [
    "Actor",
    "ActorRole",
    "Decide",
    "Decision",
    "Dispute",
    "DisputeState",
    "Effect",
    "Emit",
    "Escalate",
    "Expire",
    "Ground",
    "MakeOffer",
    "Narrow",
    "Notice",
    "Offer",
    "Step",
    "SubjectKind",
    "Variant",
    "Withdraw",
    "add_working_days",
    "apply",
    "bank_holidays",
    "deadline",
    "deciders",
    "designated_arbiter",
    "ladder_end",
    "open_dispute",
]
