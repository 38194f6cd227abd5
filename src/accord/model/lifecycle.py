"""The lifecycle state machine of an agreement version.

::

    draft -> in_review -> approved -> active <-> suspended -> expired / terminated
                 |                       \\-> superseded (by a newer active version)
                 \\-> draft (returned for changes)

Illegal transitions raise :class:`~accord.errors.IllegalTransition` naming the current state and
the allowed ones. Emergency agreements expire at their incident's ``review_by`` unless ratified;
the time is passed in, never read from the wall.
"""

from __future__ import annotations

from datetime import datetime

from accord.errors import IllegalTransition, Problem
from accord.model.agreement import Agreement
from accord.model.enums import Mode, Status

S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.draft: frozenset({S.in_review, S.terminated}),
    S.in_review: frozenset({S.approved, S.draft, S.terminated}),
    S.approved: frozenset({S.active, S.superseded, S.terminated}),
    S.active: frozenset({S.suspended, S.expired, S.terminated, S.superseded}),
    S.suspended: frozenset({S.active, S.expired, S.terminated, S.superseded}),
    S.expired: frozenset(),
    S.terminated: frozenset(),
    S.superseded: frozenset(),
}
LIVE = frozenset({S.active, S.suspended})


def allowed(current: Status) -> frozenset[Status]:
    return TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> Status:
    """Return ``target`` when ``current -> target`` is allowed; raise otherwise."""
    if target not in TRANSITIONS[current]:
        options = ", ".join(sorted(TRANSITIONS[current])) or "none (this state is final)"
        raise IllegalTransition(
            f"cannot move an agreement from {current} to {target}",
            [Problem("status", f"it is {current}; allowed next states: {options}")],
        )
    return target


def expiry_due(agreement: Agreement, status: Status, now: datetime, *, ratified: bool) -> bool:
    """True when an unratified emergency agreement has reached its incident's review date."""
    return (
        agreement.mode is Mode.emergency
        and agreement.incident is not None
        and status in LIVE
        and not ratified
        and now >= agreement.incident.review_by
    )
