"""A party's security assurance over time, independent of any agreement (domain/rules.md §c.3).

An :class:`AssuranceRecord` is one published result: a Data Security and Protection Toolkit
(DSPT) status, or an ISO/IEC 27001 or Cyber Essentials certificate, with the dates it holds
for. Records are never edited: a new publication is a new record, and :func:`effective_status`
says what a record means on a given day (a DSPT improvement plan or a certificate can lapse).

An :class:`AssuranceException` is the discloser SIRO's time-limited decision to let identifiable
flows to one recipient run although it is below the agreement's minimum, with the compensating
controls in words. It ends by itself after ``ends``.

>>> from datetime import date
>>> r = AssuranceRecord(party="gss:E09000011", scheme="dspt", status="approaching_standards",
...     framework="caf_aligned", effective_from=date(2025, 6, 30),
...     improvement_plan_until=date(2026, 6, 30))
>>> effective_status(r, date(2026, 6, 30)), effective_status(r, date(2026, 7, 1))
('approaching_standards', 'not_met')

An improvement plan also ends on the toolkit's last day for plans under its framework, when the
caller passes it (``plan_last_day``: the law's ``data/dspt.yaml``, 30 June 2026 for the
CAF-aligned toolkit), whatever day the record gives:

>>> late = r.model_copy(update={"improvement_plan_until": date(2026, 9, 30)})
>>> effective_status(late, date(2026, 7, 1), plan_last_day=date(2026, 6, 30))
'not_met'
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from accord.model._base import Part
from accord.model.enums import DSPT_PLANNED, Certification, DsptStatus
from accord.model.ids import OrgId


class AssuranceScheme(StrEnum):
    dspt = "dspt"
    iso27001 = "iso27001"
    cyber_essentials = "cyber_essentials"
    cyber_essentials_plus = "cyber_essentials_plus"


class DsptFramework(StrEnum):
    """Which DSPT assessment the status was published under."""

    # The 10 National Data Guardian standards (every organisation before Sept 2024).
    ndg_standards = "ndg_standards"
    # Aligned with the NCSC Cyber Assessment Framework (47 outcomes) for trusts, CSUs, ALBs and
    # ICBs since Sept 2024 (dsptoolkit.nhs.uk News/154).
    caf_aligned = "caf_aligned"


class CertificateStatus(StrEnum):
    certified = "certified"
    withdrawn = "withdrawn"


CERTIFICATES = frozenset(
    {
        AssuranceScheme.iso27001,
        AssuranceScheme.cyber_essentials,
        AssuranceScheme.cyber_essentials_plus,
    }
)
# Which certificates meet an agreement's requirement (Cyber Essentials Plus includes the Cyber
# Essentials controls, so it meets both).
SATISFIES: dict[Certification, frozenset[AssuranceScheme]] = {
    Certification.cyber_essentials: frozenset(
        {AssuranceScheme.cyber_essentials, AssuranceScheme.cyber_essentials_plus}
    ),
    Certification.cyber_essentials_plus: frozenset({AssuranceScheme.cyber_essentials_plus}),
    Certification.iso27001: frozenset({AssuranceScheme.iso27001}),
}
LAPSED = "lapsed"


class AssuranceRecord(Part):
    party: OrgId
    scheme: AssuranceScheme
    # A DsptStatus value for the DSPT; a CertificateStatus value for a certificate.
    status: str
    framework: DsptFramework | None = None
    effective_from: date
    # DSPT: when a new publication is due (at least annually); certificates: their expiry.
    valid_until: date | None = None
    # An "approaching standards" publication rests on an improvement plan ending on this day.
    improvement_plan_until: date | None = None
    reference: str | None = Field(default=None, max_length=200)
    source_url: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> AssuranceRecord:
        if self.scheme is AssuranceScheme.dspt:
            allowed = {s.value for s in DsptStatus}
            if self.status not in allowed:
                raise ValueError(f"status: a DSPT status is one of {', '.join(sorted(allowed))}")
            planned = DsptStatus(self.status) in DSPT_PLANNED
            if planned and self.improvement_plan_until is None:
                raise ValueError(
                    f"improvement_plan_until: {self.status} rests on an improvement plan; give "
                    "the day it ends"
                )
            if not planned and self.improvement_plan_until is not None:
                names = " or ".join(sorted(s.value for s in DSPT_PLANNED))
                raise ValueError(f"improvement_plan_until: only a {names} status has one")
        else:
            allowed = {s.value for s in CertificateStatus}
            if self.status not in allowed:
                raise ValueError(f"status: a certificate is {' or '.join(sorted(allowed))}")
            if self.framework is not None or self.improvement_plan_until is not None:
                raise ValueError("framework: only a DSPT record has a framework or plan")
        for name in ("valid_until", "improvement_plan_until"):
            end = getattr(self, name)
            if end is not None and end < self.effective_from:
                raise ValueError(f"{name}: ends before effective_from")
        return self


def plan_ends(record: AssuranceRecord, plan_last_day: date | None = None) -> date | None:
    """The last day of ``record``'s improvement plan: its own, or ``plan_last_day`` if earlier."""
    end = record.improvement_plan_until
    if end is None or plan_last_day is None:
        return end
    return min(end, plan_last_day)


def effective_status(
    record: AssuranceRecord, on: date, *, plan_last_day: date | None = None
) -> str:
    """What ``record`` says on ``on``: its status, or what it lapsed to.

    A lapsed improvement plan (past its own last day, or ``plan_last_day``, the toolkit's last
    day for plans under the record's framework) leaves a DSPT status of ``not_met``; a DSPT
    publication not renewed by ``valid_until`` leaves ``not_published``; a certificate past its
    expiry is ``lapsed``.
    """
    if record.scheme is AssuranceScheme.dspt:
        plan = plan_ends(record, plan_last_day)
        if plan is not None and on > plan:
            return DsptStatus.not_met.value
        if record.valid_until is not None and on > record.valid_until:
            return DsptStatus.not_published.value
        return record.status
    if record.valid_until is not None and on > record.valid_until:
        return LAPSED
    return record.status


def next_date(
    record: AssuranceRecord, on: date, *, plan_last_day: date | None = None
) -> tuple[str, date] | None:
    """The next day on or after ``on`` that this record changes meaning, and what ends then."""
    ends = [
        (what, end)
        for what, end in (
            ("improvement plan", plan_ends(record, plan_last_day)),
            (
                "publication" if record.scheme is AssuranceScheme.dspt else "certificate",
                record.valid_until,
            ),
        )
        if end is not None and end >= on
    ]
    return min(ends, key=lambda e: e[1]) if ends else None


class AssuranceException(Part):
    """The discloser SIRO's signed, time-limited exception for one recipient of one agreement."""

    agreement_id: str = Field(min_length=1)
    recipient: OrgId
    discloser: OrgId
    controls: str = Field(min_length=1, max_length=4000)
    starts: date
    ends: date

    @model_validator(mode="after")
    def _dated(self) -> AssuranceException:
        if not self.controls.strip():
            raise ValueError("controls: describe the compensating controls in words")
        if self.ends < self.starts:
            raise ValueError("ends: the exception ends before it starts")
        return self

    def in_force(self, on: date) -> bool:
        return self.starts <= on <= self.ends
