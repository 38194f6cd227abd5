"""Deadlines that survive restarts: due escalations are computed from stored state.

Nothing is held in memory. The sweep (:func:`accord.service.dispute_journal.sweep`) asks the
store which open disputes of the :data:`LADDER` states have a deadline at or before ``now``
and applies the machine's :class:`~accord.disputes.machine.Expire` to each, repeating while a
dispute is still overdue (a workspace that was down for a day catches up tier by tier, each
miss recorded as a :class:`Swept`). A step is stored only if the dispute's revision is
unchanged, so two sweeps running at once, or a sweep run twice, record each escalation exactly
once.

Call it from a timer (``accord dispute sweep``, or the server's background task) with the
workspace clock; it is safe to call as often as you like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.disputes.model import DisputeState

LADDER = (DisputeState.tier1.value, DisputeState.tier2.value, DisputeState.tier3.value)


@dataclass(frozen=True)
class DueEscalation:
    dispute_id: str
    tier: int
    deadline: datetime


@dataclass(frozen=True)
class Swept:
    """One step a sweep stored: the dispute, the tier whose deadline was missed, the new state."""

    dispute_id: str
    missed_tier: int
    state: DisputeState
