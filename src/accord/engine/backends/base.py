"""The backend interface: run a :class:`~accord.engine.plan.Plan`, hand extracts to a sink.

A backend never reads an agreement. It gets a plan, the run's inputs (the checked source, the
postcode table for the effective date, the opt-out lists, the pseudonym keys) and a sink that
stages what it produces. It refuses a plan it cannot enforce with :class:`UnsupportedClause`
from :meth:`Backend.check`, before any row is read.

Every backend must give the same rows, in the same order (source row number), with the same
Arrow types (:func:`extract_schema`), as the in-memory reference.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from accord.engine.plan import FlowPlan, Plan
from accord.engine.sources import Source
from accord.errors import Problem, UnsupportedClause

if TYPE_CHECKING:
    from accord.engine.delta import Delta

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "year": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}
EXCEPTIONS_SCHEMA = pa.schema([("row_number", pa.int64()), ("reason", pa.string())])


def extract_schema(fp: FlowPlan) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in fp.outputs()])


@dataclass(frozen=True)
class RunInputs:
    """What a run reads besides the plan. ``keys`` maps a plan key id to key bytes.

    ``rows`` (a table with a ``__row`` column) restricts the run to those source rows; only
    the incremental path sets it, for the DuckDB backend (the reference backend refuses it).
    """

    source: Source
    postcodes: pa.Table | None = None
    opt_outs: dict[str, pa.Table] = field(default_factory=dict)
    keys: dict[str, bytes] = field(default_factory=dict, repr=False)
    rows: pa.Table | None = None


class ExtractSink(Protocol):
    """Where a backend puts what it produces; the delivery layer stages and publishes it."""

    def write_extract(self, flow_id: str, batches: pa.RecordBatchReader) -> None: ...

    def write_exceptions(self, batches: pa.RecordBatchReader) -> None: ...


@dataclass(frozen=True)
class FlowCounts:
    rows: int
    opted_out: int


@dataclass(frozen=True)
class Counts:
    """Per input row exactly one of: exception, opted out, not entitled, delivered."""

    input_rows: int
    exception_rows: int
    exceptions_by_reason: dict[str, int]
    opted_out_rows: int
    not_entitled_rows: int
    delivered_rows: int
    flows: dict[str, FlowCounts]

    def __post_init__(self) -> None:
        total = (
            self.exception_rows + self.opted_out_rows + self.not_entitled_rows + self.delivered_rows
        )
        if (
            total != self.input_rows
            or min(
                self.exception_rows,
                self.opted_out_rows,
                self.not_entitled_rows,
                self.delivered_rows,
            )
            < 0
        ):
            raise AssertionError("row accounting does not add up to the input rows")


@dataclass(frozen=True)
class Prior:
    """What a run may build on: each flow's previous delivery (``bases``), the folder of the
    agreement's runs, and what besides a row decides its outcome (the opt-out lists' and the
    postcode table's fingerprints, a keyed fingerprint of the secret). ``build`` is False when
    the caller asked for a run in full; ``extracts`` is False for a delta-only delivery."""

    bases: dict[str, Path]
    runs: Path
    opt_outs: dict[str, str]
    postcodes: str | None
    secret: str
    build: bool = True
    extracts: bool = True


@dataclass
class Outcome:
    """A run's counts and, when the engine computed them on its incremental path, each flow's
    delta against its base (:mod:`accord.engine.delta`); ``base_state`` is the earlier run's
    state this run's state delta applies to (no extracts were written)."""

    counts: Counts
    deltas: dict[str, Delta] | None = None
    fresh_rows: int | None = None
    base_state: Path | None = None


class Incremental(Protocol):
    """What an engine that keeps per-row state offers (:mod:`accord.engine.incremental`): a run
    that builds on the state of the previous run and reads only new or changed rows, or runs
    in full when it cannot; either way it leaves its own state for the next run."""

    def run(self, plan: Plan, inputs: RunInputs, sink: ExtractSink, prior: Prior) -> Outcome:
        """Stage the extracts (unless ``prior.extracts`` is False and the deltas are given)."""


class Backend(ABC):
    """An engine. Its capabilities are attributes, so the driver never asks for its type:
    ``incremental`` is None unless the engine can build a run on the previous run's state."""

    name: str = "base"

    @property
    def incremental(self) -> Incremental | None:
        return None

    def check(self, plan: Plan) -> None:
        """Raise :class:`UnsupportedClause` for any node this backend cannot enforce."""
        for fp in plan.flows:
            for t in fp.transforms:
                if type(t).__name__ not in self.supported_transforms:
                    raise UnsupportedClause(
                        f"the {self.name} backend cannot enforce a transform",
                        [Problem(f"flows.{fp.flow_id}", type(t).__name__)],
                    )

    supported_transforms: frozenset[str] = frozenset(
        {"Pseudonymise", "AgeBand", "PostcodeArea", "DropField"}
    )

    def run(self, plan: Plan, inputs: RunInputs, sink: ExtractSink, prior: Prior) -> Outcome:
        """The run the driver asks for: incremental inside the engine when it can be."""
        stateful = self.incremental
        if stateful is not None:
            return stateful.run(plan, inputs, sink, prior)
        return Outcome(self.execute(plan, inputs, sink))

    @abstractmethod
    def execute(self, plan: Plan, inputs: RunInputs, sink: ExtractSink) -> Counts:
        """Run the plan; stage one extract per flow and the exceptions; return the counts."""
