"""`accord exit ...` over a workspace: a recipient withdraws one flow, bad dates exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import example_document, parse_agreement
from accord.service import agreements, retention
from accord.workspace import Workspace


def test_withdraw_then_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    env = {"ACCORD_HOME": str(tmp_path / "home")}
    a = parse_agreement(example_document())
    aid = a.id
    with Workspace.init(tmp_path / "home", clock=clock) as ws:
        agreements.create(ws, a)
        for state in ("in_review", "approved", "active"):
            agreements.transition(ws, aid, state)
    argv = ["exit", "withdraw", aid, "spl-e09000011", "--party", "gss:E09000011"]
    assert main([*argv, "--until", "2026-03-01", "--purpose", "care"], env, clock=clock) == 2
    assert main([*argv, "--at", "2026-03-17"], env, clock=clock) == 0
    assert main(["exit", "show", aid], env, clock=clock) == 0
    assert "deletion due" in capsys.readouterr().out
    with Workspace.open(tmp_path / "home", clock=clock) as ws:
        (step,) = retention.history(ws, aid)
    assert (step.party, step.flow_id, step.at.date().isoformat()) == (
        "gss:E09000011",
        "spl-e09000011",
        "2026-03-17",
    )
