"""The CLI called in process through ``main(argv, environ)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml, example_agreement, example_document
from accord.service import agreements
from accord.workspace import Workspace


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e) == 0
    return e


@pytest.fixture
def agreement_file(tmp_path: Path) -> Path:
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    return f


def test_validate_ok(agreement_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", "validate", str(agreement_file)], {}) == 0
    assert "Valid" in capsys.readouterr().out


def test_validate_prints_each_problem_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = example_document()
    d["relationship"] = "friends"
    d["mode"] = "sometimes"
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    assert main(["agreement", "validate", str(f)], {}) == 2
    err = capsys.readouterr().err
    assert "mode:" in err and "relationship:" in err
    assert "Traceback" not in err


def test_create_show_transition_history(
    env: dict[str, str], agreement_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = example_agreement().id
    assert main(["agreement", "create", str(agreement_file)], env) == 0
    assert main(["agreement", "transition", aid, "in_review"], env) == 0
    capsys.readouterr()
    assert main(["agreement", "show", aid, "--json"], env) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["document"]["status"] == "in_review" and shown["seq"] == 1
    assert main(["agreement", "history", aid], env) == 0
    assert "in_review" in capsys.readouterr().out


def test_illegal_transition_exit_code_and_message(
    env: dict[str, str], agreement_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = example_agreement().id
    main(["agreement", "create", str(agreement_file)], env)
    assert main(["agreement", "transition", aid, "active"], env) == 4
    err = capsys.readouterr().err
    assert "cannot move an agreement from draft to active" in err
    assert "Traceback" not in err


def test_unknown_id(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", "show", "nope"], env) == 3
    assert "no agreement with id nope" in capsys.readouterr().err


def test_commands_need_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", "list"], {"ACCORD_HOME": str(tmp_path / "none")}) == 8
    assert "accord init" in capsys.readouterr().err


def test_init_twice_keeps_everything(env: dict[str, str], agreement_file: Path) -> None:
    main(["agreement", "create", str(agreement_file)], env)
    secret = (Path(env["ACCORD_HOME"]) / "keys" / "pseudonym.secret").read_bytes()
    assert main(["init"], env) == 0
    assert (Path(env["ACCORD_HOME"]) / "keys" / "pseudonym.secret").read_bytes() == secret
    assert main(["agreement", "show", example_agreement().id], env) == 0


def test_approving_needs_the_signed_approvals(
    env: dict[str, str], agreement_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = example_agreement().id
    main(["agreement", "create", str(agreement_file)], env)
    main(["agreement", "transition", aid, "in_review"], env)
    capsys.readouterr()
    assert main(["agreement", "transition", aid, "approved"], env) == 4
    err = capsys.readouterr().err
    assert "required approval(s) are not recorded" in err and "siro" in err


def test_an_unsafe_override_is_recorded_in_the_ledger(
    env: dict[str, str], agreement_file: Path
) -> None:
    aid = example_agreement().id
    main(["agreement", "create", str(agreement_file)], env)
    main(["agreement", "transition", aid, "in_review"], env)
    flag = "--unsafe-skip-approvals"
    assert main(["agreement", "transition", aid, "approved", flag], env) == 0
    with Workspace.open(Path(env["ACCORD_HOME"])) as ws:
        last = ws.ledger.entries_for_agreement(aid)[-1].event
    assert last.to_state == "approved"  # type: ignore[attr-defined]
    assert last.reason.startswith("UNSAFE operator override")  # type: ignore[attr-defined]


def test_role_holders_approve_from_the_command_line(
    env: dict[str, str],
    agreement_file: Path,
    tmp_path: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from accord.service import approvals, users

    aid = example_agreement().id
    main(["agreement", "create", str(agreement_file)], env)
    main(["agreement", "transition", aid, "in_review"], env)
    secret = tmp_path / "pw"
    secret.write_text("correct horse battery\n")
    with Workspace.open(Path(env["ACCORD_HOME"])) as ws:
        needed = [r for r in approvals.required(agreements.get(ws, aid)) if r.kind == "approve"]
        people = [
            users.NewUser(f"{r.role.value}-{i}@example.org", f"P{i}", r.party_org_id, (r.role,))
            for i, r in enumerate(needed)
        ]
        users.add_users(ws, people, "correct horse battery")
    wrong = tmp_path / "bad"
    wrong.write_text("nope nope nope")
    args = ["agreement", "approve", aid, "--user", people[0].email]
    assert main([*args, "--password-file", str(wrong)], env, clock=clock) == 4
    for p in people:  # on the incident's day, before the DPIA falls due
        args = ["agreement", "approve", aid, "--user", p.email, "--password-file", str(secret)]
        assert main(args, env, clock=clock) == 0, capsys.readouterr().err
    assert "the version is now approved" in capsys.readouterr().out
    with Workspace.open(Path(env["ACCORD_HOME"])) as ws:
        signed = [e.event.name for e in ws.ledger.entries_for_agreement(aid)]
    assert signed.count("agreement-approved") == len(people)


def _active_with_a_draft_amendment(env: dict[str, str], clock: FixedClock) -> str:
    a = example_agreement()
    with Workspace.open(Path(env["ACCORD_HOME"]), clock=clock) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        agreements.amend(ws, a.model_copy(update={"version": "1.1.0"}))
    return a.id


@pytest.mark.parametrize("target", ["suspended", "terminated"])
def test_suspending_or_ending_without_a_version_acts_on_the_version_in_force(
    env: dict[str, str], clock: FixedClock, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12.1: the latest version is a draft amendment; the command acts on v1, in force."""
    aid = _active_with_a_draft_amendment(env, clock)
    argv = ["agreement", "transition", aid, target, "--reason", "incident over"]
    assert main(argv, env, clock=clock) == 0, capsys.readouterr().err
    assert f"v1 (1.0.0) is now {target}" in capsys.readouterr().out
    with Workspace.open(Path(env["ACCORD_HOME"])) as ws:
        assert [v.status.value for v in agreements.versions(ws, aid)] == [target, "draft"]


def test_a_draft_amendment_is_withdrawn_by_naming_its_version(
    env: dict[str, str], clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = _active_with_a_draft_amendment(env, clock)
    argv = ["agreement", "transition", aid, "terminated", "--version", "2", "--reason", "withdrawn"]
    assert main(argv, env, clock=clock) == 0, capsys.readouterr().err
    # a suspended version resumes with "active", and review still acts on the latest version
    assert main(["agreement", "transition", aid, "suspended"], env, clock=clock) == 0
    assert main(["agreement", "transition", aid, "active"], env, clock=clock) == 0
    with Workspace.open(Path(env["ACCORD_HOME"])) as ws:
        assert [v.status.value for v in agreements.versions(ws, aid)] == ["active", "terminated"]
        agreements.amend(ws, example_agreement().model_copy(update={"version": "1.2.0"}))
    assert main(["agreement", "transition", aid, "in_review"], env, clock=clock) == 0
    assert "v3 (1.2.0) is now in_review" in capsys.readouterr().out
