"""Legal bases with dates: a notice, an approval or a direction holds from a start to an end.

A :class:`DatedBasis` is one instrument an agreement can rely on: a COPI regulation 3(4) notice,
an s251 support decision on CAG advice, a REC approval, a direction (e.g. under HSCA 2012 s254),
or a statutory gateway with a sunset. An agreement names the records it relies on by id in
``legal_basis.copi_notice_ref``, ``s251_ref`` or ``basis_refs``.

The end of a basis can move: each :class:`Extension` says when it was announced and the new last
day. :meth:`DatedBasis.end_known_on` is the last day as it was known on a given day, so a replay
of the past warns exactly as accord would have warned then. Dates are the last day *in force*:
a basis ending on 30 June holds all of 30 June and has lapsed on 1 July.

>>> from datetime import date
>>> b = DatedBasis(id="n1", kind="notice", title="A notice", start=date(2020, 3, 17),
...     end=date(2020, 9, 30), extensions=[Extension(announced=date(2020, 7, 30),
...     end=date(2021, 3, 31))])
>>> b.end_known_on(date(2020, 7, 1)), b.end_known_on(date(2020, 8, 1))
(datetime.date(2020, 9, 30), datetime.date(2021, 3, 31))
>>> b.in_force(date(2021, 3, 31)), b.in_force(date(2021, 4, 1))
(True, False)
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from accord.model._base import Part


class BasisKind(StrEnum):
    gateway = "gateway"
    notice = "notice"
    approval = "approval"
    direction = "direction"


class Extension(Part):
    # The day the extension was announced; None when no shared source confirms it (then it is
    # taken as known only on the previous last day, the latest it can have been announced).
    announced: date | None = None
    end: date
    source: str | None = None
    source_url: str | None = None
    note: str | None = None


class DatedBasis(Part):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}$")
    kind: BasisKind
    title: str = Field(min_length=1, max_length=300)
    instrument: str | None = None
    # The gateway id in accord.law this record is an instance of (e.g. copi_reg3_4_notice).
    gateway: str | None = None
    issued: date | None = None
    start: date
    # The last day in force as first issued; None for an open-ended basis.
    end: date | None = None
    extensions: list[Extension] = Field(default_factory=list)
    recipients: str | None = None
    source: str | None = None
    source_url: str | None = None
    confirmed: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DatedBasis:
        if self.end is not None and self.end < self.start:
            raise ValueError("end: the basis ends before it starts")
        last = self.end
        for i, ext in enumerate(self.extensions):
            if last is None:
                raise ValueError(f"extensions.{i}: an open-ended basis cannot be extended")
            if ext.end <= last:
                raise ValueError(f"extensions.{i}.end: an extension must move the end later")
            last = ext.end
        return self

    @property
    def final_end(self) -> date | None:
        """The last day in force after every known extension."""
        return self.extensions[-1].end if self.extensions else self.end

    def end_known_on(self, on: date) -> date | None:
        """The last day in force as known on ``on`` (extensions announced by then count)."""
        end = self.end
        for ext in self.extensions:
            known_from = ext.announced or end
            if known_from is not None and known_from <= on:
                end = ext.end
        return end

    def in_force(self, on: date) -> bool:
        end = self.end_known_on(on)
        return self.start <= on and (end is None or on <= end)
