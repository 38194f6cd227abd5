"""Running an agreement's flows: the engine enforces, the service records.

Each run appends, in one batch, an ``opt-out-decision`` per flow (which list version applied, or
the signed clause that exempted it), a ``delivery-made`` per delivery and a ``run-recorded``
event. A re-run of the same inputs delivers nothing new and records only a ``run-recorded``
event marked as a re-run.

A run enforces the agreement's *active* version (``agreements.version_in_force``, the one rule
every consumer uses): an amendment being drafted, reviewed or approved does not stop it; the new
version takes over when it becomes active (one ``version-superseded`` event).

A flow that pushes (``push: mesh`` or ``push: outbox``) has its deliveries queued in the same
transaction as their events, and sent once it commits (:mod:`accord.service.push`).
"""

from __future__ import annotations

from pathlib import Path

from accord.engine import Backend, RunResult, run_agreement
from accord.engine.run import Progress
from accord.errors import InputError, NotPermitted, Problem
from accord.ledger.events import DeliveryMade, Event, OptOutDecision, RunRecorded
from accord.refdata import Geography
from accord.service import lifecycle, push, releases, retention, rights
from accord.service._ledger import iso, record
from accord.service.agreements import version_in_force
from accord.service.users import User
from accord.workspace import Workspace

POSTCODE_DIRECTORY = "postcodes.parquet"

__all__ = ["load_geography", "postcode_directory", "run", "run_events", "version_in_force"]


def postcode_directory(ws: Workspace) -> Path:
    """Where the workspace keeps its postcode directory (NSPL layout)."""
    return ws.refdata_dir / POSTCODE_DIRECTORY


def load_geography(ws: Workspace, directory: Path | None = None) -> Geography:
    path = directory or postcode_directory(ws)
    if not path.exists():
        raise InputError(
            "no postcode directory to route records with",
            [Problem("postcodes", f"put an NSPL-layout file at {path} or pass --postcodes")],
        )
    return Geography.load(path)


def run(
    ws: Workspace,
    agreement_id: str,
    *,
    source: Path,
    geography: Geography,
    opt_out_lists: dict[str, Path] | None = None,
    flows: list[str] | None = None,
    previous: str | None = None,
    delivery: str | None = None,
    backend: str | Backend = "duckdb",
    progress: Progress | None = None,
    requested_by: User | None = None,
) -> RunResult:
    """Run the agreement's active version over ``source`` and record what was delivered.

    An aggregate flow's table is held for release review (:mod:`accord.service.releases`),
    in the same transaction as the run's events; such a run must name ``requested_by``, the
    person asking for it, who may then not review it.
    """
    version = version_in_force(ws, agreement_id)
    now = ws.clock.now()
    flows = lifecycle.runnable_flows(ws, version, now, flows)
    counted = releases.aggregate_flows(version.agreement) & set(
        flows if flows is not None else {f.id for f in version.agreement.flows}
    )
    if counted and requested_by is None:
        raise NotPermitted(
            "an aggregate table is reviewed before release, so its run must name who asked for it",
            [Problem("requested_by", "name the person requesting the run (accord run --user)")],
        )
    sharing = retention.sharing_flows(ws, version, now.date())  # ceased or withdrawn: no more
    if sharing is not None:
        flows = sharing if flows is None else [f for f in flows if f in sharing]
        if not flows:
            raise NotPermitted(
                "every flow chosen has ended by exit", [Problem("flows", "none still sharing")]
            )
    result = run_agreement(
        version.agreement,
        status=version.status,
        stored_hash=version.hash,
        source=source,
        out_dir=ws.root,  # the engine writes deliveries/ and the discloser-only runs/ here
        secret=ws.pseudonym_secret(),
        person_key=ws.person_index_key(),  # every delivery carries its per-person index
        rights=rights.suppressed_people(ws, agreement_id),
        geography=geography,
        now=now,
        opt_out_lists=opt_out_lists,
        backend=backend,
        flows=flows,
        previous=previous,
        delivery=delivery,
        progress=progress,
    )
    recorded = result.rerun and _deliveries_recorded(ws, result)
    with ws.engine.begin() as conn:
        if requested_by is not None:
            releases.hold_in(conn, result, version.agreement, requested_by, now)
        record(ws, *run_events(result, iso(now), deliveries_recorded=recorded), conn=conn)
        queued = push.queue_in(ws, conn, result, version.agreement, now)
    if queued:
        push.send_due(ws, now, delivery_ids=queued)  # what fails stays queued, tried again
    return result


def _deliveries_recorded(ws: Workspace, result: RunResult) -> bool:
    """Whether this run's deliveries are already in the ledger.

    A re-run of recorded inputs only adds a re-run record; but if the first run was cut off after
    publishing its deliveries and before recording them, the re-run records them now.
    """
    return any(
        isinstance(e.event, DeliveryMade) and e.event.run_id == result.run_id
        for e in ws.ledger.entries_for_agreement(result.agreement_id)
    )


def run_events(result: RunResult, at: str, *, deliveries_recorded: bool = False) -> list[Event]:
    """The ledger events of one run: counts and hashes only, never row values.

    A re-run adds only a ``run-recorded`` event, unless its deliveries were never recorded.
    """
    base = {
        "agreement_id": result.agreement_id,
        "agreement_version": result.agreement_version,
        "agreement_hash": result.agreement_hash,
        "at": at,
    }
    events: list[Event] = []
    if not (result.rerun and deliveries_recorded):
        for d in result.deliveries:
            if result.opt_out_lists:
                for kind, list_version in sorted(result.opt_out_lists.items()):
                    events.append(
                        OptOutDecision(
                            **base,
                            recipient=d.recipient,
                            opt_out_source=kind,
                            list_version=list_version,
                            decision="applied",
                            reason="the agreement's opt-out decision applies this list",
                            removed_count=d.opted_out_removed,
                        )
                    )
            else:
                events.append(
                    OptOutDecision(
                        **base,
                        recipient=d.recipient,
                        opt_out_source="none",
                        list_version="n/a",
                        decision="not_applied",
                        reason="the signed agreement's opt-out decision applies no list",
                        removed_count=0,
                    )
                )
            events.append(
                DeliveryMade(
                    **base,
                    delivery_id=f"{result.run_id}/{d.flow_id}",
                    recipient=d.recipient,
                    manifest_sha256=d.manifest_sha256,
                    row_count=d.rows,
                    run_id=result.run_id,
                )
            )
    events.append(
        RunRecorded(
            **base,
            run_id=result.run_id + ("+rerun" if result.rerun else ""),
            backend=result.backend,
            inputs_sha256=result.source_sha256,
            delivery_count=0 if result.rerun and deliveries_recorded else len(result.deliveries),
            row_count=result.input_rows,
            exception_count=result.exception_rows,
        )
    )
    return events
