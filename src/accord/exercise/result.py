"""What an exercise measured: the record the after-action report is rendered from.

Every number here comes from the run itself (stage timers, run results, the ledger); the report
only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Stage:
    """One stage of the playbook as the exercise ran it.

    ``target`` is the playbook's emergency deadline for the stage, as an offset from the
    declaration (T0); ``done_after`` is when the stage finished, on the same scale.
    """

    key: str
    title: str
    machine_seconds: float
    simulated_start: datetime
    simulated_end: datetime
    declared_at: datetime
    target: timedelta | None = None

    @property
    def simulated(self) -> timedelta:
        return self.simulated_end - self.simulated_start

    @property
    def done_after(self) -> timedelta:
        return self.simulated_end - self.declared_at

    @property
    def met_target(self) -> bool | None:
        return None if self.target is None else self.done_after <= self.target


@dataclass(frozen=True)
class FindingRow:
    severity: str
    code: str
    field: str
    message: str
    citation: str


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    step: str
    detail: str


@dataclass(frozen=True)
class SimulatedUser:
    email: str
    password: str
    party: str
    party_name: str
    roles: tuple[str, ...]


@dataclass
class ExerciseResult:
    scenario: str
    incident_id: str
    agreement_id: str
    rows: int
    seed: int
    declared_at: datetime
    stages: list[Stage] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    approvals: list[TimelineRow] = field(default_factory=list)
    recipients_total: int = 0
    recipients_served: int = 0
    rows_per_recipient: dict[str, int] = field(default_factory=dict)
    population: int = 0
    exception_rows: int = 0
    # A row failing several checks counts once in exception_rows and once under each reason.
    exceptions_by_reason: dict[str, int] = field(default_factory=dict)
    opted_out: int = 0
    opt_out_rationale: str = ""
    opt_out_applied: bool = False
    not_entitled: int = 0
    delivered_rows: int = 0
    anomalies: list[str] = field(default_factory=list)
    dispute_timeline: list[TimelineRow] = field(default_factory=list)
    dispute_outcome: str = ""
    delta_additions: int = 0
    delta_removals: int = 0
    delta_machine_seconds: float = 0.0
    register_rows: int = 0
    # How the one council sent its delivery fared: by MESH, or the outbox (exercise.push_stage).
    push_summary: str = ""
    # Day 2: one council's DSPT lapses (accord.exercise.lifecycle_stage).
    assurance_lapse: str = ""
    assurance_paused: list[str] = field(default_factory=list)
    assurance_delivered_to: int = 0
    ledger_size: int = 0
    ledger_root: str = ""
    ledger_verdict: str = ""
    users: list[SimulatedUser] = field(default_factory=list)
    seconds_to_first_delivery: float = 0.0
    total_machine_seconds: float = 0.0

    @property
    def exceptions(self) -> int:
        return self.exception_rows
