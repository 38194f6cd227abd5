"""What a run reports: per recipient deliveries, run totals, exceptions and anomalies.

The service layer records ledger events from a :class:`RunResult` (``delivery-made`` per
delivery, ``opt-out-decision`` with the list versions and counts); the engine does not write to
the ledger. A result holds counts, hashes and paths only, never row values.

The totals always add up: ``input_rows == exception_rows + opted_out_rows + not_entitled_rows +
delivered_rows`` (each input row is exactly one of these). They count this run's input rows,
whatever the delivery mode: a delta delivery (``delivery_mode == "delta"``) reports in
:attr:`Delivery.rows` the rows the recipient holds once it has applied the delta (the row count
of the extract a full run would deliver), and the delta's size in ``additions``/``removals``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.engine.backends.base import Counts
    from accord.engine.plan import Plan


@dataclass(frozen=True)
class Delivery:
    """One flow's delivery to its recipient in this run."""

    flow_id: str
    recipient: str
    rows: int  # rows the recipient holds after this delivery (for a delta: once applied)
    opted_out_removed: int
    directory: Path
    manifest_path: Path
    manifest_sha256: str
    files: dict[str, str]  # file name -> SHA-256
    since_run: str | None = None
    additions: int | None = None
    removals: int | None = None


@dataclass(frozen=True)
class Anomaly:
    """Volume change for one flow against the previous run (S1 point 10)."""

    flow_id: str
    recipient: str
    previous_rows: int
    rows: int
    change: float | None  # (rows - previous) / previous; None when previous is 0
    flagged: bool


@dataclass(frozen=True)
class RunResult:
    run_id: str
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    created: datetime
    backend: str
    source_sha256: str
    input_rows: int
    exception_rows: int
    exceptions_by_reason: dict[str, int]
    exceptions_path: Path
    opted_out_rows: int
    opt_out_lists: dict[str, str]  # kind -> list version
    not_entitled_rows: int
    delivered_rows: int
    deliveries: tuple[Delivery, ...]
    anomalies: tuple[Anomaly, ...] = ()
    rerun: bool = False
    previous_run: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    delivery_mode: str = "full"  # "delta": additions and removals only (accord.engine.delta)
    delivery_note: str | None = None  # why a requested delta was delivered in full

    def __post_init__(self) -> None:
        parts = self.exception_rows + self.opted_out_rows + self.not_entitled_rows
        if parts + self.delivered_rows != self.input_rows:
            raise AssertionError("run totals do not add up to the input rows")

    @classmethod
    def of_run(
        cls,
        plan: Plan,
        counts: Counts,
        *,
        run_id: str,
        created: datetime,
        backend: str,
        source_sha256: str,
        exceptions_path: Path,
        opt_out_lists: dict[str, str],
        deliveries: tuple[Delivery, ...],
        anomalies: tuple[Anomaly, ...],
        previous_run: str | None,
        **extra: Any,
    ) -> RunResult:
        """The result of a run of ``plan`` whose rows were counted as ``counts``."""
        return cls(
            run_id=run_id,
            agreement_id=plan.agreement_id,
            agreement_version=plan.agreement_version,
            agreement_hash=plan.agreement_hash,
            created=created,
            backend=backend,
            source_sha256=source_sha256,
            input_rows=counts.input_rows,
            exception_rows=counts.exception_rows,
            exceptions_by_reason=counts.exceptions_by_reason,
            exceptions_path=exceptions_path,
            opted_out_rows=counts.opted_out_rows,
            opt_out_lists=opt_out_lists,
            not_entitled_rows=counts.not_entitled_rows,
            delivered_rows=counts.delivered_rows,
            deliveries=deliveries,
            anomalies=anomalies,
            previous_run=previous_run,
            **extra,
        )

    def delivery(self, flow_id: str) -> Delivery:
        for d in self.deliveries:
            if d.flow_id == flow_id:
                return d
        raise KeyError(flow_id)

    @property
    def flagged(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.flagged)

    # -- the run record (paths relative to the output folder) ---------------------------------

    def to_record(self, root: Path) -> dict[str, Any]:
        data = asdict(self)
        data["created"] = self.created.isoformat()
        data["exceptions_path"] = _rel(self.exceptions_path, root)
        data["deliveries"] = []
        for d in self.deliveries:
            row = asdict(d)
            row["directory"] = _rel(d.directory, root)
            row["manifest_path"] = _rel(d.manifest_path, root)
            data["deliveries"].append(row)
        data["anomalies"] = [asdict(a) for a in self.anomalies]
        data.pop("rerun")
        if self.delivery_mode == "full":  # run records of full deliveries are as they always were
            data.pop("delivery_mode")
        if self.delivery_note is None:
            data.pop("delivery_note")
        return data

    @classmethod
    def from_record(cls, data: dict[str, Any], root: Path, *, rerun: bool) -> RunResult:
        data = dict(data)
        data["created"] = datetime.fromisoformat(data["created"])
        data["exceptions_path"] = root / data["exceptions_path"]
        data["deliveries"] = tuple(
            Delivery(
                **{
                    **d,
                    "directory": root / d["directory"],
                    "manifest_path": root / d["manifest_path"],
                }
            )
            for d in data["deliveries"]
        )
        data["anomalies"] = tuple(Anomaly(**a) for a in data["anomalies"])
        return cls(**data, rerun=rerun)


def _rel(path: Path, root: Path) -> str:
    return Path(path).relative_to(root).as_posix()
