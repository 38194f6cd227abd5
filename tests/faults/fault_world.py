"""The workspace the crash tests kill processes in, the operations they kill, and the checks.

One template workspace holds three copies of the example agreement: one active (to run), one
in review (to approve, five approvers), one approved (to activate); a postcode directory and
a synthetic population to run over. Every test copies it, so each kill starts from the same
bytes, keys and pseudonym secret, and its outcome can be compared with an uninterrupted copy.

Each operation is written as an operator retries it: it does what is not yet done (an approval
already recorded is not given again). So "retry after the crash" and "run it once" are the same
call, and the tests compare their results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from accord.clock import FixedClock
from accord.engine import persons
from accord.engine.delivery import LATEST, MANIFEST
from accord.ledger.events import (
    AgreementApproved,
    AgreementStateChanged,
    DeliveryMade,
    IncidentDeclared,
    RunRecorded,
)
from accord.ledger.verify import verify_export
from accord.model import Agreement, example_agreement
from accord.model.enums import Status
from accord.service import agreements, approvals, runs
from accord.service._ledger import iso, record
from accord.service.users import NewUser, add_users, user_by_email
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

_BASE = example_agreement()
assert _BASE.incident is not None
AT = _BASE.incident.declared_at
RUN_ID = _BASE.id
APPROVE_ID = f"{_BASE.id}-approve"
ACTIVATE_ID = f"{_BASE.id}-activate"
SOURCE = "people.parquet"
APPENDED = 3  # events the ledger-append operation appends in one batch

APPROVERS = [
    ("siro@greenwich.example", "gss:E09000011", "siro"),
    ("siro@middlesbrough.example", "gss:E06000002", "siro"),
    ("cg@nhs.example", "ods:X26", "caldicott_guardian"),
    ("legal@nhs.example", "ods:X26", "legal"),
    ("siro@nhs.example", "ods:X26", "siro"),
]


def _copy(agreement_id: str) -> Agreement:
    return _BASE.model_copy(update={"id": agreement_id})


def build(root: Path, *, database_url: str | None = None) -> None:
    """Make the template workspace at ``root``."""
    with Workspace.init(root, database_url=database_url, clock=FixedClock(AT)) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        write_population(root / SOURCE, rows=1_000, seed=3, postcode_directory=directory)
        for agreement_id, steps in (
            (RUN_ID, ("in_review", "approved", "active")),
            (APPROVE_ID, ("in_review",)),
            (ACTIVATE_ID, ("in_review", "approved")),
        ):
            agreements.create(ws, _copy(agreement_id), actor="tests")
            for target in steps:
                agreements.transition(ws, agreement_id, target, actor="tests")
        people = [NewUser(e, e.split("@")[0], party, (role,)) for e, party, role in APPROVERS]
        add_users(ws, people, "correct horse battery staple")
        for _, party, _ in APPROVERS:
            ws.keystore.ensure_party(party)


@contextmanager
def open_world(root: Path, *, database_url: str | None = None) -> Iterator[Workspace]:
    with Workspace.open(root, database_url=database_url, clock=FixedClock(AT)) as ws:
        yield ws


# -- the operations ------------------------------------------------------------------------


def do_run(ws: Workspace) -> None:
    runs.run(ws, RUN_ID, source=ws.root / SOURCE, geography=runs.load_geography(ws))


def do_approve(ws: Workspace, *, leave: int = 0) -> None:
    """Give every approval not yet given (but the last ``leave`` of them)."""
    given = {(r.party, r.role.value) for r in approvals.recorded(ws, APPROVE_ID)}
    for email, party, role in APPROVERS[: len(APPROVERS) - leave]:
        if (party, role) not in given:
            approvals.approve(ws, APPROVE_ID, user_by_email(ws, email), "approve", role=role)


def do_activate(ws: Workspace) -> None:
    if agreements.get(ws, ACTIVATE_ID).status is not Status.active:
        agreements.transition(ws, ACTIVATE_ID, Status.active, actor="ops")


def appended_events() -> list[IncidentDeclared]:
    return [
        IncidentDeclared(
            at=iso(AT), incident_id=f"inc-crash-{i}", title="crash test", declared_by="tests"
        )
        for i in range(APPENDED)
    ]


def do_append(ws: Workspace) -> None:
    done = [e for e in _all_entries(ws) if isinstance(e, IncidentDeclared)]
    if not done:
        record(ws, *appended_events())
    ws.ledger.tree_head(AT)


OPERATIONS: dict[str, Callable[[Workspace], None]] = {
    "run": do_run,
    "approve": do_approve,
    "activate": do_activate,
    "append": do_append,
}


# -- what must hold after a crash ------------------------------------------------------------


def _all_entries(ws: Workspace) -> list[object]:
    return [ws.ledger.entry(i).event for i in range(ws.ledger.size())]


def run_record(ws: Workspace) -> list[dict[str, object]]:
    """The run's ledger events but its run records: each opt-out decision and delivery, in
    order. A retry must leave exactly what one uninterrupted run leaves: none lost, none twice.
    (A retry of a recorded run adds a ``run-recorded`` event marked as a re-run.)"""
    return [
        e.event.to_payload()
        for e in ws.ledger.entries_for_agreement(RUN_ID)
        if not isinstance(e.event, RunRecorded)
    ]


def leaf_hashes(ws: Workspace) -> list[str]:
    return [ws.ledger.entry(i).leaf_hash.hex() for i in range(ws.ledger.size())]


def ledger_verifies(ws: Workspace, out: Path) -> int:
    """Export the ledger (signing a head over all of it) and verify the export; its size."""
    ws.ledger.export(out, now=AT)
    return verify_export(out, trusted_instance_key=ws.keystore.instance_verifier().to_string()).size


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def complete(folder: Path) -> dict[str, object]:
    """Check a delivery folder is whole: its manifest and every file it lists, by hash."""
    data = (folder / MANIFEST).read_bytes()
    manifest = json.loads(data)
    # The per-person index beside it is the discloser's: never listed, never offered.
    files = {p.name for p in folder.iterdir()} - {persons.INDEX, persons.KEY_RECORD}
    assert files == {MANIFEST, *manifest["files"]}, f"{folder}: {sorted(files)}"
    for name, digest in manifest["files"].items():
        assert _sha256(folder / name) == digest, f"{folder / name} is not what its manifest says"
    return {"manifest_sha256": hashlib.sha256(data).hexdigest(), "rows": manifest["rows"]}


@dataclass(frozen=True)
class Seen:
    """What the recipients can see: recorded deliveries and the folders published to them."""

    recorded: dict[str, tuple[str, int]]  # delivery id -> (manifest sha256, rows)
    published: dict[str, dict[str, object]]  # folder, relative to deliveries/ -> summary


def recipients_see(ws: Workspace) -> Seen:
    """Every delivery a recipient can reach, each checked whole; raise on a partial one.

    Recipients reach a delivery two ways: through the ledger's ``delivery-made`` events (the
    API and the Delta Sharing server list only those) and as a folder under ``deliveries/``
    (a filesystem outbox). Each recorded one must be a published, whole folder with the
    recorded manifest; each published folder must be whole; each ``latest`` pointer must name
    a published folder. Staging (``.staging/``) is never a recipient's.
    """
    made = [e for e in _all_entries(ws) if isinstance(e, DeliveryMade)]
    ids = [m.delivery_id for m in made]
    assert len(ids) == len(set(ids)), f"a delivery recorded twice: {ids}"
    published: dict[str, dict[str, object]] = {}
    base = ws.deliveries_dir
    for flow_dir in sorted(p for p in base.glob("*/*/*") if p.is_dir()):
        for run_dir in sorted(p for p in flow_dir.iterdir() if p.is_dir()):
            published[str(run_dir.relative_to(base))] = complete(run_dir)
        if (flow_dir / LATEST).is_file():
            pointed = flow_dir / (flow_dir / LATEST).read_text(encoding="utf-8").strip()
            assert pointed.is_dir(), f"{flow_dir}/latest names a folder that is not there"
    by_run = {Path(k).name + "/" + Path(k).parent.name: v for k, v in published.items()}
    recorded: dict[str, tuple[str, int]] = {}
    for m in made:
        summary = by_run.get(m.delivery_id)
        assert summary is not None, f"{m.delivery_id} is recorded but not delivered"
        assert summary["manifest_sha256"] == m.manifest_sha256
        assert summary["rows"] == m.row_count
        recorded[m.delivery_id] = (m.manifest_sha256, m.row_count)
    return Seen(recorded, published)


def approvals_agree(ws: Workspace) -> None:
    """Stored approvals and states match the ledger's events one for one."""
    stored = approvals.recorded(ws, APPROVE_ID)
    entries = _all_entries(ws)
    events = [e for e in entries if isinstance(e, AgreementApproved)]
    events = [e for e in events if e.agreement_id == APPROVE_ID]
    assert sorted(r.signature for r in stored) == sorted(e.signature for e in events)
    for agreement_id in (APPROVE_ID, ACTIVATE_ID):
        moves = [
            (e.from_state, e.to_state)
            for e in _all_entries(ws)
            if isinstance(e, AgreementStateChanged) and e.agreement_id == agreement_id
        ]
        changes = agreements.status_changes(ws, agreement_id)
        assert [(c.from_status.value, c.to_status.value) for c in changes if c.from_status] == moves
        assert agreements.get(ws, agreement_id).status.value == moves[-1][1]
