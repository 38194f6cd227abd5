"""``kill -9`` at chosen points of a run, an approval, an activation and a ledger append (issue 19).

Each case copies one template workspace, starts a real child process doing one operation
(``crash_child.py``) and has it SIGKILL itself at one point (``killpoints.py``): inside the
engine while extracts are written, between one recipient's delivery being renamed into place
and the next, between publishing and recording, inside the ledger transaction before and after
its leaves are written, just before and just after the commit. Then, as a restarted instance:

- the child really died of SIGKILL at that point (the point was reached);
- the ledger exports and the export verifies;
- no recipient can see a partial delivery (every recorded delivery is a whole published folder
  with the recorded manifest; every published folder is whole), and no delivery is recorded
  twice;
- stored approvals and states match their ledger events one for one;
- retrying the operation completes, and gives what one uninterrupted run gives: the same
  deliveries byte for byte, and (for approvals, activation and appends, whose retries record
  exactly what was left out) the very same ledger leaves.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import fault_world as world
import pytest

import accord

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("crash_child.py")
SRC = str(Path(accord.__file__).resolve().parents[1])
COMMIT = "sqlalchemy.engine.base:Connection._commit_impl"
APPEND = "accord.ledger.log:Ledger._append"
INSERT = "sqlalchemy.sql._dml_constructors:insert"
PLAIN_COMMIT = "sqlalchemy.engine.base:Connection.commit"
LOG = "accord.ledger.log:Ledger"
RECORD = "accord.service._ledger:record"

# (operation, the point: when, target, which call, optional scope)
POINTS = [
    # a run: the engine writes extracts in staging, publishes, the service records
    ("run", "before accord.engine.extracts:write_extract 1"),  # the exceptions file
    ("run", "after accord.engine.extracts:write_extract 2"),  # the per-row state
    ("run", "after accord.engine.extracts:write_extract 3"),  # a recipient's extract
    ("run", "before accord.engine.delivery:write_manifest 1"),
    ("run", "after accord.engine.delivery:write_manifest 2"),
    ("run", "before accord.engine.delivery:publish 1"),
    ("run", "after accord.engine.delivery:publish 1"),  # one recipient's folder in place
    ("run", "after accord.engine.delivery:publish 3"),  # all in place, no pointers
    ("run", "after accord.engine.delivery:write_pointer 1"),  # one pointer moved
    ("run", "after accord.engine.delivery:write_pointer 2"),  # before the run record
    ("run", "after accord.engine.run:_publish 1"),  # all on disk, nothing recorded
    ("run", "before accord.engine.delivery:clear 2"),  # staging not yet removed
    ("run", f"before {APPEND} 1"),
    ("run", f"after {APPEND} 1"),  # leaves written, not committed
    ("run", f"before {COMMIT} 1 accord.service.runs:run since={RECORD}"),
    ("run", f"after {COMMIT} 1 accord.service.runs:run since={RECORD}"),  # committed
    # the fifth approval, which also moves the version to approved
    ("approve", "before accord.ledger.keys:KeyStore.sign_event 5"),
    ("approve", f"before {APPEND} 5"),
    ("approve", f"after {APPEND} 5"),
    ("approve", "before accord.service.agreements:transition_in 1"),
    ("approve", f"before {COMMIT} 5 accord.service.approvals:approve"),
    ("approve", f"after {COMMIT} 5 accord.service.approvals:approve"),
    # activation
    ("activate", f"before {APPEND} 1"),
    ("activate", f"after {APPEND} 1"),
    ("activate", f"before {COMMIT} 1 accord.service.agreements:transition"),
    ("activate", f"after {COMMIT} 1 accord.service.agreements:transition"),
    # a ledger append of three events in its own transaction, then a signed head
    ("append", f"before {INSERT} 2 {APPEND}"),  # entries inserted, their nodes not
    ("append", f"before {PLAIN_COMMIT} 1 {LOG}.append_many"),
    ("append", f"after {PLAIN_COMMIT} 1 {LOG}.append_many"),
    ("append", f"before {INSERT} 1 {LOG}.tree_head"),
    ("append", f"after {PLAIN_COMMIT} 1 {LOG}.tree_head"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "template"
    world.build(root)
    return root


@pytest.fixture(scope="module")
def reference(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What each operation gives when nothing interrupts it, on a copy of the template."""
    root = tmp_path_factory.mktemp("crash") / "reference"
    shutil.copytree(template, root)
    with world.open_world(root) as ws:
        results: dict[str, object] = {}
        for op in world.OPERATIONS:
            before = world.leaf_hashes(ws)
            world.OPERATIONS[op](ws)
            results[op] = world.leaf_hashes(ws)[len(before) :]
        results["seen"] = world.recipients_see(ws)
        results["run_record"] = world.run_record(ws)
    return results


def _child(op: str, root: Path, point: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ACCORD_KILL_AT"}
    env["PYTHONPATH"] = SRC
    if point is not None:
        env["ACCORD_KILL_AT"] = point
    return subprocess.run(
        [sys.executable, str(CHILD), op, str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_child_completes_when_no_point_is_set(template: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    done = _child("append", root, None)
    assert done.returncode == 0, done.stderr
    with world.open_world(root) as ws:
        assert ws.ledger.size() > 0


@pytest.mark.parametrize(("op", "point"), POINTS, ids=[f"{o}:{p}" for o, p in POINTS])
def test_a_kill_at_any_point_loses_nothing_and_a_retry_completes(
    op: str, point: str, template: Path, reference: dict[str, object], tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    with world.open_world(root) as ws:
        size_before = ws.ledger.size()
    killed = _child(op, root, point)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])

    with world.open_world(root) as ws:  # the restarted instance
        assert world.ledger_verifies(ws, tmp_path / "after-crash") >= size_before
        seen = world.recipients_see(ws)
        world.approvals_agree(ws)
        # nothing of another operation's happened; of this one's, all of a batch or none
        crashed_leaves = world.leaf_hashes(ws)[size_before:]
        if op != "run":
            expected = reference[op]
            assert isinstance(expected, list)
            assert crashed_leaves == expected[: len(crashed_leaves)]
        if op == "append":
            assert len(crashed_leaves) in (0, world.APPENDED)

        world.OPERATIONS[op](ws)  # the retry

        assert world.ledger_verifies(ws, tmp_path / "after-retry") > size_before
        world.approvals_agree(ws)
        after = world.recipients_see(ws)
        ref_seen = reference["seen"]
        assert isinstance(ref_seen, world.Seen)
        if op == "run":
            assert after.recorded == ref_seen.recorded
            assert after.published == ref_seen.published
            assert seen.recorded.items() <= after.recorded.items()
            assert world.run_record(ws) == reference["run_record"]  # nothing lost or twice
        else:
            assert world.leaf_hashes(ws)[size_before:] == reference[op]
            assert after.recorded == {}
