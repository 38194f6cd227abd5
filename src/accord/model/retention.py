"""Exit and retention: what each recipient may still hold once sharing with it ends.

Stopping new flows is not the end of an agreement (rules.md §c.2 stage 13, the Shielded Patient
List distribution page): each recipient may keep what it received for a named purpose (ongoing
direct care, a statutory inquiry) until a review date, and then deletes it and certifies that it
has. Per recipient, and per flow when a recipient withdraws from one flow only, the states are::

    sharing --cease--> retained (for P until D) --D--> deletion_due --certified--> deleted
    sharing --cease, nothing retained-------------> deletion_due

:func:`check_move` refuses any other step; :func:`check_period` refuses a retention that ends
before it starts. Both raise :class:`accord.errors.InputError` naming the field.

>>> check_move(RetentionState.sharing, RetentionState.retained)
>>> check_move(RetentionState.deleted, RetentionState.sharing)
Traceback (most recent call last):
...
accord.errors.InputError: a recipient cannot move from deleted to sharing
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from accord.errors import InputError, Problem

__all__ = ["RetentionState", "check_move", "check_period"]


class RetentionState(StrEnum):
    sharing = "sharing"
    retained = "retained"
    deletion_due = "deletion_due"
    deleted = "deleted"


_MOVES = {
    RetentionState.sharing: {RetentionState.retained, RetentionState.deletion_due},
    RetentionState.retained: {RetentionState.deletion_due, RetentionState.retained},
    RetentionState.deletion_due: {RetentionState.deleted},
    RetentionState.deleted: set(),
}


def check_move(current: RetentionState, target: RetentionState) -> None:
    """Raise unless ``current -> target`` is a step of the exit lifecycle."""
    if target not in _MOVES[current]:
        raise InputError(
            f"a recipient cannot move from {current.value} to {target.value}",
            [Problem("state", f"from {current.value}: {_allowed(current)}")],
        )


def _allowed(current: RetentionState) -> str:
    nexts = sorted(s.value for s in _MOVES[current])
    return "allowed " + ", ".join(nexts) if nexts else "final"


def check_period(start: date, until: date | None, *, purpose: str | None) -> None:
    """A retention names its purpose and ends after it starts (``until`` None: no retention)."""
    if until is None:
        if purpose:
            raise InputError(
                "a retention purpose needs a review date",
                [Problem("until", "give the date the retained copies are reviewed")],
            )
        return
    if until <= start:
        raise InputError(
            "the retention ends before it starts",
            [Problem("until", f"must be after {start.isoformat()}")],
        )
    if not purpose or not purpose.strip():
        raise InputError(
            "a retention needs a named purpose",
            [Problem("purpose", "say why the copies are kept, e.g. ongoing direct care")],
        )
    if len(purpose) > 300:
        raise InputError("the retention purpose is too long", [Problem("purpose", "300 at most")])
