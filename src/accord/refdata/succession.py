"""Public bodies that ceased on a date, and the bodies that took over their residents.

The packaged geography knows two sets of changes (see ``data/geography/README.md``): the
2023-04-01 reorganisation (17 districts and 3 counties abolished, 4 unitaries created) and the
2025-04-01 recodes of Barnsley and Sheffield. A recipient named by a GSS code (``gss:E08000016``)
that one of these changes ended no longer exists from the change's effective date; its residents
belong to the successor from that day.

:func:`successors` follows a chain of changes (none chain today, but a body created in one change
may end in a later one) and returns every successor in force on ``on``. A code that no change
ended returns ``()``: the body still exists (or was never a GSS body accord knows of).

>>> from datetime import date
>>> [s.new_code for s in successors("gss:E08000016", on=date(2025, 4, 1))]
['E08000038']
>>> successors("gss:E08000016", on=date(2025, 3, 31))
()
>>> ceased_on("gss:E07000026", date(2022, 6, 1), date(2024, 1, 1))
datetime.date(2023, 4, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from accord.refdata import _packaged

__all__ = ["Succession", "ceased_on", "successions", "successors"]


@dataclass(frozen=True)
class Succession:
    """From ``effective_date`` the body ``old_code`` is gone and ``new_code`` covers its area."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    effective_date: date

    @property
    def new_org_id(self) -> str:
        return f"gss:{self.new_code}"


@cache
def successions() -> tuple[Succession, ...]:
    """Every packaged change, oldest first."""
    rows = [*_packaged.boundary_changes_2023(), *_packaged.lad_code_changes_2025()]
    return tuple(
        sorted(
            (
                Succession(r.old_code, r.old_name, r.new_code, r.new_name, r.effective_date)
                for r in rows
            ),
            key=lambda s: (s.effective_date, s.old_code),
        )
    )


def _code(org_id: str) -> str | None:
    scheme, sep, code = org_id.partition(":")
    return code if sep and scheme == "gss" else None


def successors(org_id: str, *, on: date) -> tuple[Succession, ...]:
    """The changes that carry ``org_id``'s area to the bodies in force on ``on`` (last hop each)."""
    code = _code(org_id)
    if code is None:
        return ()
    out: list[Succession] = []
    frontier = [code]
    seen: set[str] = set()
    while frontier:
        current = frontier.pop(0)
        if current in seen:
            continue
        seen.add(current)
        hops = [s for s in successions() if s.old_code == current and s.effective_date <= on]
        if not hops and current != code:
            continue
        for hop in hops:
            later = [s for s in successions() if s.old_code == hop.new_code]
            if any(s.effective_date <= on for s in later):
                frontier.append(hop.new_code)
            else:
                out.append(hop)
    return tuple(dict.fromkeys(out))


def ceased_on(org_id: str, start: date, end: date | None) -> date | None:
    """The date in ``[start, end)`` on which ``org_id`` ceased to exist, or None."""
    code = _code(org_id)
    if code is None:
        return None
    for s in successions():
        if (
            s.old_code == code
            and start <= s.effective_date
            and (end is None or s.effective_date < end)
        ):
            return s.effective_date
    return None
