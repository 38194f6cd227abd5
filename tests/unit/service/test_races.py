"""Racing clients, on both stores: of two racing moves of one version exactly one succeeds and
only its ledger event is written; concurrent approvals each get a truthful answer and move a
version to approved once; concurrent creates of one id get the ordinary "already exists" error.

Each race is run with real concurrent callers (threads on one workspace, each with its own
connection from the pool), released together by a barrier, several times over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest

from accord.errors import AccordError, IllegalTransition, InputError, NotPermitted
from accord.ledger.events import AgreementApproved, AgreementStateChanged
from accord.model import Agreement, example_agreement
from accord.model.enums import Status
from accord.service import agreements as agreement_service
from accord.service import approvals as approval_service
from accord.service.users import NewUser, User, add_users
from accord.workspace import Workspace

TRIES = 8
T = TypeVar("T")
move = agreement_service.transition


def _race(calls: list[Callable[[], T]]) -> list[T | AccordError]:
    """Run ``calls`` at once (a barrier releases them together); each result or its error.

    Anything that is not an :class:`AccordError` (a UniqueViolation, a crash) fails the test.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except AccordError as exc:
            results[i] = exc
        except BaseException as exc:  # noqa: BLE001 - reported below as the failure it is
            results[i] = ("crash", exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    crashes = [r for r in results if isinstance(r, tuple)]
    assert not crashes, f"a caller crashed: {crashes[0][1]!r}"
    return results


def _agreement(n: int) -> Agreement:
    base = example_agreement()
    return base.model_copy(update={"id": f"{base.id}-race-{n}"})


def _live(ws: Workspace, n: int) -> str:
    a = agreement_service.create(ws, _agreement(n), actor="tests")
    for state in (Status.in_review, Status.approved, Status.active):
        agreement_service.transition(ws, a.agreement_id, state, actor="tests")
    return a.agreement_id


def _state_events(ws: Workspace, agreement_id: str) -> list[AgreementStateChanged]:
    return [
        e.event
        for e in ws.ledger.entries_for_agreement(agreement_id)
        if isinstance(e.event, AgreementStateChanged)
    ]


def _chain(ws: Workspace, agreement_id: str, since: int) -> list[tuple[str, str]]:
    """The state events after the first ``since``, checked to be one unbroken chain that ends
    at the stored status, and to agree with the store's own history."""
    events = [(e.from_state, e.to_state) for e in _state_events(ws, agreement_id)]
    moves = events[since:]
    for (_, to), (frm, _) in zip(moves, moves[1:], strict=False):
        assert frm == to, f"the ledger moves from {frm} after moving to {to}: {events}"
    changes = agreement_service.status_changes(ws, agreement_id)
    stored = [(c.from_status.value, c.to_status.value) for c in changes if c.from_status]
    assert stored == events
    assert agreement_service.get(ws, agreement_id).status.value == events[-1][1]
    return moves


def test_racing_moves_of_a_live_agreement_never_overwrite_one_another(
    workspace: Workspace,
) -> None:
    """terminated from one SIRO, suspended from another, at once (the case of issue 22.1)."""
    outcomes = {"one refused": 0, "both, one after the other": 0}
    for n in range(TRIES):
        agreement_id = _live(workspace, n)
        results = _race(
            [
                partial(move, workspace, agreement_id, Status.terminated, actor="siro-a"),
                partial(move, workspace, agreement_id, Status.suspended, actor="siro-b"),
            ]
        )
        won = [r for r in results if isinstance(r, agreement_service.StoredVersion)]
        lost = [r for r in results if isinstance(r, AccordError)]
        assert all(isinstance(r, IllegalTransition) for r in lost), lost
        moves = _chain(workspace, agreement_id, since=3)  # to in_review, approved, active
        # One ledger event per success, from active; terminated is final.
        assert len(moves) == len(won) >= 1 and moves[0][0] == "active"
        outcomes["one refused" if lost else "both, one after the other"] += 1
        # Nothing moves on from terminated, in the race or after it.
        assert all(frm != "terminated" for frm, _ in moves)
        if agreement_service.get(workspace, agreement_id).status is Status.terminated:
            for revive in (Status.active, Status.suspended):
                with pytest.raises(IllegalTransition):
                    agreement_service.transition(workspace, agreement_id, revive)
    assert sum(outcomes.values()) == TRIES


def test_of_two_racing_identical_moves_exactly_one_succeeds(workspace: Workspace) -> None:
    for n in range(TRIES):
        agreement_id = _live(workspace, 50 + n)
        target = Status.terminated if n % 2 else Status.suspended
        results = _race(
            [partial(move, workspace, agreement_id, target, actor=f"siro-{i}") for i in range(2)]
        )
        won = [r for r in results if isinstance(r, agreement_service.StoredVersion)]
        lost = [r for r in results if isinstance(r, AccordError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], IllegalTransition)
        assert _chain(workspace, agreement_id, since=3) == [("active", target.value)]


def test_racing_submissions_of_one_draft_move_it_once(workspace: Workspace) -> None:
    callers = 4
    for n in range(TRIES // 2):
        a = agreement_service.create(workspace, _agreement(100 + n), actor="tests")
        results = _race(
            [
                partial(move, workspace, a.agreement_id, Status.in_review, actor="tests")
                for _ in range(callers)
            ]
        )
        won = [r for r in results if isinstance(r, agreement_service.StoredVersion)]
        assert len(won) == 1, results
        assert all(isinstance(r, IllegalTransition) for r in results if r not in won)
        moves = [(e.from_state, e.to_state) for e in _state_events(workspace, a.agreement_id)]
        assert moves == [("draft", "in_review")]


# -- approvals ---------------------------------------------------------------------------------

APPROVERS = [
    ("siro@greenwich.example", "gss:E09000011", "siro"),
    ("siro@middlesbrough.example", "gss:E06000002", "siro"),
    ("cg@nhs.example", "ods:X26", "caldicott_guardian"),
    ("legal@nhs.example", "ods:X26", "legal"),
    ("siro@nhs.example", "ods:X26", "siro"),
]


def _approvers(ws: Workspace) -> dict[str, User]:
    people = [NewUser(e, e.split("@")[0], party, (role,)) for e, party, role in APPROVERS]
    users = add_users(ws, people, "correct horse battery staple")
    for _, party, _ in APPROVERS:
        ws.keystore.ensure_party(party)  # first use of a key is not what these tests race
    return {u.email: u for u in users}


def _approve(ws: Workspace, agreement_id: str, user: User, role: str) -> Callable[[], Any]:
    return partial(approval_service.approve, ws, agreement_id, user, "approve", role=role)


def test_racing_approvals_are_each_answered_truthfully_and_approve_once(
    workspace: Workspace,
) -> None:
    users = _approvers(workspace)
    for n in range(TRIES // 2):
        a = agreement_service.create(workspace, _agreement(200 + n), actor="tests")
        agreement_service.transition(workspace, a.agreement_id, Status.in_review, actor="tests")
        # Every required approver at once, the last two of them twice.
        calls = [_approve(workspace, a.agreement_id, users[e], role) for e, _, role in APPROVERS]
        calls += [
            _approve(workspace, a.agreement_id, users[e], role) for e, _, role in APPROVERS[-2:]
        ]
        results = _race(calls)
        answered = [r for r in results if isinstance(r, approval_service.ApprovalRecord)]
        refused = [r for r in results if isinstance(r, AccordError)]
        assert all(isinstance(r, NotPermitted) for r in refused), refused
        stored = approval_service.recorded(workspace, a.agreement_id, 1)
        # A caller told "approved" has its approval stored; a caller refused has none.
        assert sorted(r.signature for r in answered) == sorted(r.signature for r in stored)
        approved_events = [
            e.event
            for e in workspace.ledger.entries_for_agreement(a.agreement_id)
            if isinstance(e.event, AgreementApproved)
        ]
        assert len(approved_events) == len(stored)
        moves = [(e.from_state, e.to_state) for e in _state_events(workspace, a.agreement_id)]
        assert moves.count(("in_review", "approved")) == 1
        assert agreement_service.get(workspace, a.agreement_id).status is Status.approved
        assert {(r.party, r.role.value) for r in stored} == {(p, r) for _, p, r in APPROVERS}


def test_an_approval_after_the_version_left_review_records_nothing(workspace: Workspace) -> None:
    users = _approvers(workspace)
    a = agreement_service.create(workspace, _agreement(300), actor="tests")
    agreement_service.transition(workspace, a.agreement_id, Status.in_review, actor="tests")
    for email, _, role in APPROVERS:
        approval_service.approve(workspace, a.agreement_id, users[email], "approve", role=role)
    assert agreement_service.get(workspace, a.agreement_id).status is Status.approved
    size = workspace.ledger.size()
    with pytest.raises(NotPermitted):
        _approve(workspace, a.agreement_id, users["siro@nhs.example"], "siro")()
    assert workspace.ledger.size() == size
    assert len(approval_service.recorded(workspace, a.agreement_id)) == len(APPROVERS)


# -- creates -----------------------------------------------------------------------------------


def test_racing_creates_of_one_id_get_already_exists(workspace: Workspace) -> None:
    for n in range(TRIES // 2):
        agreement = _agreement(400 + n)
        results = _race(
            [partial(agreement_service.create, workspace, agreement, actor="tests")] * 3
        )
        won = [r for r in results if isinstance(r, agreement_service.StoredVersion)]
        lost = [r for r in results if isinstance(r, AccordError)]
        assert len(won) == 1, results
        assert len(lost) == 2
        for exc in lost:
            assert isinstance(exc, InputError) and exc.exit_code == 2
            assert "already exists" in exc.message
        assert len(workspace.ledger.entries_for_agreement(agreement.id)) == 1


def test_racing_amends_of_one_version_store_one(workspace: Workspace) -> None:
    for n in range(TRIES // 2):
        first = agreement_service.create(workspace, _agreement(500 + n), actor="tests")
        drafts = [
            first.agreement.model_copy(update={"version": "1.1.0", "title": f"amend {i}"})
            for i in range(3)
        ]
        results = _race(
            [partial(agreement_service.amend, workspace, d, actor="tests") for d in drafts]
        )
        won = [r for r in results if isinstance(r, agreement_service.StoredVersion)]
        lost = [r for r in results if isinstance(r, AccordError)]
        assert len(won) == 1 and len(lost) == 2, results
        assert all(isinstance(e, InputError) and e.exit_code == 2 for e in lost)
        stored = agreement_service.versions(workspace, first.agreement_id)
        assert [v.seq for v in stored] == [1, 2] and stored[1].hash == won[0].hash
