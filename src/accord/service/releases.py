"""Release review: an aggregate table reaches its recipient only after two independent approvals.

A run writes an aggregate flow's table like any delivery and records its ``delivery-made``
event, but the table is *held*: its recipient does not see it (not in its deliveries, its Delta
Sharing shares or their files) until it is released. :func:`hold_in` stores the held table in
the run's own transaction, naming who requested the run.

Who may review (:func:`check_reviewer`): a person of a *discloser* party of the agreement version
the table was made under, holding one of :data:`REVIEWER_ROLES` (the information asset owner,
the data protection officer or the Caldicott guardian: the discloser's people accountable for
what leaves its data, domain/rules.md §c.1), never the person who requested the run and never
the same person twice. Two approvals release the table (one ``release-reviewed`` event each, and
one ``table-released`` event with the second); one rejection withholds it for good
(``release-reviewed`` and ``table-withheld``). Each review commits in one transaction with its
events, and moves the release with one compare-and-set ``UPDATE`` on its state and approval
count, so two racing approvals never both count: exactly one of them releases it.

Deny by default: a delivery of an aggregate flow is held unless its release says ``released``,
even if no release was ever stored for it (:func:`recipient_may_see`).

Differencing (:func:`differencing`): a table is checked against every table of the same flow
(the same source and recipient) released before it, and against another recipient's where both
count by the same area and share one (a county and its districts); where the two together give
a withheld value away by subtraction (:func:`accord.disclosure.differencing.findings`) the
reviewers see the finding, naming the earlier table, and an approval is refused: the table is
withheld, and a re-run with coarser bands or wider areas is what can be released. The table
cannot be suppressed further here, since its manifest's hash is already in the ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from accord.disclosure.differencing import Finding, Released, findings
from accord.engine.delivery import Layout
from accord.engine.result import RunResult
from accord.engine.run import RUN_RECORD
from accord.errors import IllegalTransition, InputError, NotFound, NotPermitted, Problem
from accord.ledger.events import DeliveryMade, Event, ReleaseReviewed, TableReleased, TableWithheld
from accord.model import Agreement, Flow, PostcodeTo
from accord.service import agreements as agreement_service
from accord.service import push
from accord.service._ledger import iso, record
from accord.service.agreements import StoredVersion
from accord.service.users import Role, User
from accord.store.releases import release_reviews, releases
from accord.store.users import users as users_table
from accord.workspace import Workspace

REVIEWER_ROLES = (Role.iao, Role.dpo, Role.caldicott_guardian)
APPROVALS_NEEDED = 2
PENDING, RELEASED, WITHHELD = "pending", "released", "withheld"
DECISIONS = ("approve", "reject")

__all__ = [
    "APPROVALS_NEEDED",
    "REVIEWER_ROLES",
    "Release",
    "ReleaseTable",
    "Review",
    "check_reviewer",
    "differencing",
    "hold_in",
    "list_releases",
    "recipient_may_see",
    "released_ids",
    "review",
    "show",
    "unreleased_ids",
    "show_for",
    "visible_releases",
]


@dataclass(frozen=True)
class Review:
    reviewer: str  # email
    decision: str
    note: str | None
    at: str


@dataclass(frozen=True)
class Release:
    """A held (or since released or withheld) aggregate table."""

    delivery_id: str
    agreement_id: str
    agreement_version: str
    agreement_hash: str
    run_id: str
    flow_id: str
    recipient: str
    profile: str
    manifest_sha256: str
    requested_by: str  # email
    state: str
    approvals: int
    created_at: str
    decided_at: str | None
    reviews: tuple[Review, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "flow_id": self.flow_id,
            "recipient": self.recipient,
            "profile": self.profile,
            "manifest_sha256": self.manifest_sha256,
            "requested_by": self.requested_by,
            "state": self.state,
            "approvals": self.approvals,
            "approvals_needed": APPROVALS_NEEDED,
            "created_at": self.created_at,
            "decided_at": self.decided_at,
            "reviews": [r.__dict__ for r in self.reviews],
        }


@dataclass(frozen=True)
class ReleaseTable:
    """What a reviewer sees: the release, its table and its suppression report."""

    release: Release
    columns: list[str]
    rows: list[dict[str, Any]]
    disclosure: dict[str, Any] = field(default_factory=dict)
    differencing: tuple[Finding, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.release.as_dict(),
            "columns": self.columns,
            "rows": self.rows,
            "disclosure": self.disclosure,
            "differencing": [
                {
                    "table": f.table,
                    "cell": list(f.cell),
                    "earlier": list(f.earlier),
                    "why": f.line(),
                }
                for f in self.differencing
            ],
        }


# -- holding, in the run's transaction --------------------------------------------------------


def aggregate_flows(agreement: Agreement) -> set[str]:
    return {f.id for f in agreement.flows if f.aggregate is not None}


def hold_in(
    conn: Connection, result: RunResult, agreement: Agreement, requested_by: User, now: datetime
) -> int:
    """Store every aggregate delivery of ``result`` as held (those already stored are kept)."""
    held = 0
    for d in result.deliveries:
        if d.flow_id not in aggregate_flows(agreement):
            continue
        delivery_id = f"{result.run_id}/{d.flow_id}"
        if conn.execute(
            select(releases.c.state).where(releases.c.delivery_id == delivery_id)
        ).first():
            continue
        disclosure = json.loads(d.manifest_path.read_bytes()).get("disclosure") or {}
        conn.execute(
            insert(releases).values(
                delivery_id=delivery_id,
                agreement_id=result.agreement_id,
                agreement_version=result.agreement_version,
                agreement_hash=result.agreement_hash,
                run_id=result.run_id,
                flow_id=d.flow_id,
                recipient=d.recipient,
                profile=str(disclosure.get("profile", "")),
                manifest_sha256=d.manifest_sha256,
                requested_by=requested_by.id,
                state=PENDING,
                approvals=0,
                created_at=iso(now),
                decided_at=None,
            )
        )
        held += 1
    return held


# -- what a recipient may see ---------------------------------------------------------------


def released_ids(ws: Workspace, agreement_id: str) -> set[str]:
    """The delivery ids of the agreement's aggregate tables that have been released."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(releases.c.delivery_id).where(
                releases.c.agreement_id == agreement_id, releases.c.state == RELEASED
            )
        ).all()
    return {r.delivery_id for r in rows}


def unreleased_ids(ws: Workspace, agreement_id: str) -> set[str]:
    """The delivery ids of the agreement's aggregate tables held or withheld (never received)."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(releases.c.delivery_id).where(
                releases.c.agreement_id == agreement_id, releases.c.state != RELEASED
            )
        ).all()
    return {r.delivery_id for r in rows}


def recipient_may_see(
    ws: Workspace, version: StoredVersion, made: list[DeliveryMade]
) -> list[DeliveryMade]:
    """``made`` without the held tables: an aggregate flow's delivery only once released."""
    held_flows = aggregate_flows(version.agreement)
    if not held_flows:
        return made
    released = released_ids(ws, version.agreement_id)
    return [
        e
        for e in made
        if e.delivery_id.rsplit("/", 1)[-1] not in held_flows or e.delivery_id in released
    ]


# -- reading --------------------------------------------------------------------------------


def _reviews(conn: Connection, delivery_id: str) -> tuple[Review, ...]:
    rows = conn.execute(
        select(release_reviews)
        .where(release_reviews.c.delivery_id == delivery_id)
        .order_by(release_reviews.c.at, release_reviews.c.reviewer)
    ).mappings()
    return tuple(
        Review(_email(conn, r["reviewer"]), r["decision"], r["note"], r["at"]) for r in rows
    )


def _email(conn: Connection, user_id: int) -> str:
    found = conn.execute(select(users_table.c.email).where(users_table.c.id == user_id)).first()
    return found.email if found else f"user {user_id}"


def _release(conn: Connection, row: RowMapping) -> Release:
    return Release(
        delivery_id=row["delivery_id"],
        agreement_id=row["agreement_id"],
        agreement_version=row["agreement_version"],
        agreement_hash=row["agreement_hash"],
        run_id=row["run_id"],
        flow_id=row["flow_id"],
        recipient=row["recipient"],
        profile=row["profile"],
        manifest_sha256=row["manifest_sha256"],
        requested_by=_email(conn, row["requested_by"]),
        state=row["state"],
        approvals=row["approvals"],
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        reviews=_reviews(conn, row["delivery_id"]),
    )


def list_releases(ws: Workspace, *, state: str | None = PENDING) -> list[Release]:
    """Releases in ``state`` (every state when None), oldest first."""
    query = select(releases).order_by(releases.c.created_at, releases.c.delivery_id)
    if state is not None:
        query = query.where(releases.c.state == state)
    with ws.engine.connect() as conn:
        return [_release(conn, r) for r in conn.execute(query).mappings().all()]


def get(ws: Workspace, delivery_id: str) -> Release:
    with ws.engine.connect() as conn:
        row = conn.execute(select(releases).where(releases.c.delivery_id == delivery_id)).first()
        if row is None:
            raise NotFound(f"no held table {delivery_id}", [Problem("delivery", "check the id")])
        return _release(conn, row._mapping)


def show(ws: Workspace, delivery_id: str) -> ReleaseTable:
    """The release with its table (counts, never rows), the manifest's suppression report and
    the differencing findings against the tables released before it.

    The manifest is checked against the SHA-256 the ledger recorded for the delivery first.
    """
    view = _read(ws, get(ws, delivery_id))
    return ReleaseTable(
        view.release, view.columns, view.rows, view.disclosure, tuple(differencing(ws, view))
    )


def differencing(ws: Workspace, view: ReleaseTable) -> list[Finding]:
    """What ``view``'s table gives away beside the released tables it could be subtracted
    from (module docstring), a finding per withheld value, naming the earlier tables: those of
    its own flow, and another flow's of the same agreement where both count by the same area
    field and share an area (a county's table and its districts')."""
    rel = view.release
    mine = _released(ws, view)
    areas = _areas(ws, rel)
    earlier = []
    for r in list_releases(ws, state=RELEASED):
        if r.agreement_id != rel.agreement_id or r.delivery_id == rel.delivery_id:
            continue
        if r.flow_id == rel.flow_id:
            earlier.append(_released(ws, _read(ws, r)))
            continue
        shared = areas & _areas(ws, r)
        if not shared:
            continue
        other = _released(ws, _read(ws, r))
        if set(other.fields) == set(mine.fields) and any(
            mine.categories()[f] & other.categories()[f] for f in shared
        ):
            earlier.append(other)
    return findings(mine, earlier)


def _flow(ws: Workspace, rel: Release) -> Flow:
    (flow,) = [f for f in _version(ws, rel).agreement.flows if f.id == rel.flow_id]
    return flow


def _areas(ws: Workspace, rel: Release) -> set[str]:
    """The fields the release's table counts by that are areas (a postcode made an area)."""
    flow = _flow(ws, rel)
    group_by = set(flow.aggregate.group_by) if flow.aggregate else set()
    return {t.field for t in flow.transforms if isinstance(t, PostcodeTo)} & group_by


def _released(ws: Workspace, view: ReleaseTable) -> Released:
    flow = _flow(ws, view.release)
    fields = list(flow.aggregate.group_by) if flow.aggregate else []
    return Released.from_rows(view.release.delivery_id, fields, view.rows)


def _read(ws: Workspace, rel: Release) -> ReleaseTable:
    layout = Layout(ws.root, rel.agreement_id)
    record_path = layout.run_dir(rel.run_id) / RUN_RECORD
    result = RunResult.from_record(json.loads(record_path.read_bytes()), layout.root, rerun=False)
    d = result.delivery(rel.flow_id)
    data = d.manifest_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != rel.manifest_sha256:
        raise NotPermitted(
            "the table's manifest does not match what the run recorded; it cannot be reviewed",
            [Problem("manifest", rel.delivery_id)],
        )
    manifest = json.loads(data)
    table = _read_table(d.directory, manifest["format"])
    return ReleaseTable(
        rel, table.column_names, table.to_pylist(), manifest.get("disclosure") or {}
    )


def _read_table(directory: Path, fmt: str) -> Any:
    path = directory / f"extract.{fmt}"
    return pq.read_table(path) if fmt == "parquet" else pa_csv.read_csv(path)


# -- reviewing ------------------------------------------------------------------------------


def _version(ws: Workspace, rel: Release) -> StoredVersion:
    for v in agreement_service.versions(ws, rel.agreement_id):
        if v.hash == rel.agreement_hash:
            return v
    raise NotFound(f"no agreement version {rel.agreement_hash[:16]} for {rel.delivery_id}")


def check_reviewer(ws: Workspace, rel: Release, reviewer: User, requested_by: int) -> None:
    """Raise :class:`NotPermitted` unless ``reviewer`` may review ``rel`` (module docstring)."""
    if reviewer.is_recipient_service or reviewer.disabled:
        raise NotPermitted("this account cannot review a release")
    if reviewer.id == requested_by:
        raise NotPermitted(
            "the person who requested a table cannot review it",
            [Problem("reviewer", f"{reviewer.email} requested this run")],
        )
    reviewer.require_role(*REVIEWER_ROLES)
    disclosers = {p.org_id for p in _version(ws, rel).agreement.disclosers}
    if reviewer.party_org_id not in disclosers:
        raise NotPermitted(
            "only a discloser's people review its aggregate tables",
            [Problem("party", "disclosers: " + ", ".join(sorted(disclosers)))],
        )
    if any(r.reviewer == reviewer.email for r in rel.reviews):
        raise NotPermitted(
            "you have already reviewed this table; a second reviewer must be someone else",
            [Problem("reviewer", reviewer.email)],
        )


def review(
    ws: Workspace, delivery_id: str, reviewer: User, decision: str, note: str | None = None
) -> Release:
    """Record ``reviewer``'s ``approve`` or ``reject``; release or withhold when it decides."""
    if decision not in DECISIONS:
        raise InputError(
            f"{decision!r} is not a review decision", [Problem("decision", "approve or reject")]
        )
    if decision == "reject" and not (note and note.strip()):
        raise InputError("a rejection needs a reason", [Problem("note", "say what is wrong")])
    rel = get(ws, delivery_id)
    if rel.state != PENDING:
        raise IllegalTransition(
            f"table {delivery_id} is already {rel.state}", [Problem("state", rel.state)]
        )
    with ws.engine.connect() as conn:
        requested_by = conn.execute(
            select(releases.c.requested_by).where(releases.c.delivery_id == delivery_id)
        ).scalar_one()
    check_reviewer(ws, rel, reviewer, requested_by)
    if decision == "approve":
        found = differencing(ws, _read(ws, rel))
        if found:
            raise NotPermitted(
                "this table and a table released before it together give a withheld count "
                "away by subtraction; it cannot be released (reject it, and re-run with "
                "coarser bands or wider areas)",
                [Problem("differencing", f.line()) for f in found],
            )
    now = ws.clock.now()
    approvals = rel.approvals + (decision == "approve")
    state = (
        WITHHELD if decision == "reject" else RELEASED if approvals >= APPROVALS_NEEDED else PENDING
    )
    try:
        with ws.engine.begin() as conn:
            conn.execute(
                insert(release_reviews).values(
                    delivery_id=delivery_id,
                    reviewer=reviewer.id,
                    decision=decision,
                    note=note,
                    at=iso(now),
                )
            )
            moved = conn.execute(
                update(releases)
                .where(
                    releases.c.delivery_id == delivery_id,
                    releases.c.state == PENDING,
                    releases.c.approvals == rel.approvals,
                )
                .values(
                    approvals=approvals,
                    state=state,
                    decided_at=None if state == PENDING else iso(now),
                )
            )
            if moved.rowcount != 1:
                raise IllegalTransition(
                    f"table {delivery_id} was reviewed by someone else while this review was "
                    "made; nothing was recorded",
                    [Problem("review", "read it again")],
                )
            record(ws, *_events(rel, reviewer, decision, note, state, now), conn=conn)
            pushed = state != PENDING and push.release_in(conn, delivery_id, state == RELEASED, now)
    except IntegrityError:
        raise NotPermitted(
            "you have already reviewed this table; a second reviewer must be someone else",
            [Problem("reviewer", reviewer.email)],
        ) from None
    if pushed:  # a released table of a flow that pushes goes to its recipient now
        push.send_due(ws, now, delivery_ids=[delivery_id])
    return get(ws, delivery_id)


def _events(
    rel: Release, reviewer: User, decision: str, note: str | None, state: str, now: datetime
) -> list[Event]:
    base: dict[str, Any] = {
        "agreement_id": rel.agreement_id,
        "agreement_version": rel.agreement_version,
        "agreement_hash": rel.agreement_hash,
        "at": iso(now),
        "delivery_id": rel.delivery_id,
        "recipient": rel.recipient,
    }
    events: list[Event] = [
        ReleaseReviewed(
            **base,
            reviewer=reviewer.email,
            reviewer_party=reviewer.party_org_id,
            decision=decision,
            note=note,
        )
    ]
    what = {"flow_id": rel.flow_id, "profile": rel.profile}
    if state == RELEASED:
        reviewers = (*(r.reviewer for r in rel.reviews if r.decision == "approve"), reviewer.email)
        events.append(
            TableReleased(
                **base, **what, manifest_sha256=rel.manifest_sha256, reviewers=tuple(reviewers)
            )
        )
    elif state == WITHHELD:
        events.append(TableWithheld(**base, **what, reviewer=reviewer.email))
    return events


# -- who may see the review queue ------------------------------------------------------------


def _may_see(ws: Workspace, user: User, rel: Release) -> bool:
    """Only a discloser's people (never a recipient's) see a table before it is released."""
    if user.is_recipient_service:
        return False
    return user.party_org_id in {p.org_id for p in _version(ws, rel).agreement.disclosers}


def visible_releases(ws: Workspace, user: User, *, state: str | None = PENDING) -> list[Release]:
    """The releases ``user`` may see: those of agreements their party discloses under."""
    return [r for r in list_releases(ws, state=state) if _may_see(ws, user, r)]


def show_for(ws: Workspace, user: User, delivery_id: str) -> ReleaseTable:
    """:func:`show`, or the same "not found" as for an unknown id if ``user`` may not see it."""
    try:
        rel = get(ws, delivery_id)
    except NotFound:
        rel = None
    if rel is None or not _may_see(ws, user, rel):
        raise NotFound(f"no held table {delivery_id}", [Problem("delivery", "check the id")])
    return show(ws, delivery_id)
