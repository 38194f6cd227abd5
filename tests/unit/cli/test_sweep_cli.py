"""`accord sweep`: domain text prints as written, and a bad ``--warn-days`` is a clear exit 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.errors import InputError
from accord.model import example_document, parse_agreement
from accord.service import agreements
from accord.workspace import Workspace

GREENWICH = "gss:E09000011"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    doc = example_document()
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    for party in doc["parties"]:
        if party["org_id"] == GREENWICH:
            party["name"] = "Greenwich [LA]"
    a = parse_agreement(doc)
    home = tmp_path / "ws"
    with Workspace.init(home, clock=FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
    e = {"ACCORD_HOME": str(home)}
    record = ["assurance", "record", GREENWICH, "--status", "approaching_standards"]
    record += ["--framework", "caf_aligned", "--from", "2025-06-30", "--plan-until", "2026-04-30"]
    assert main([*record, "--at", "2026-03-16"], e) == 0
    return e


def test_bracketed_domain_text_survives_the_sweep_table(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["sweep", "--at", "2026-04-16", "--warn-days", "14"], env) == 0
    out = capsys.readouterr().out
    assert "flow-suspended" in out, out
    assert "[LA]'s DSPT" in out, out  # Rich markup would have swallowed "[LA]"


@pytest.mark.parametrize("bad", ["x,7", "-3", "30,,7", "0", "7.5", "", "\u0663"])
def test_a_bad_warn_days_exits_2_naming_the_option(
    env: dict[str, str], bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["sweep", "--at", "2026-04-16", "--warn-days", bad], env) == 2
    captured = capsys.readouterr()
    assert "--warn-days" in captured.err and "Traceback" not in captured.err
    assert "Signed tree head" not in captured.out  # refused before anything was done


def test_warn_days_are_whole_positive_days() -> None:
    from accord.cli.sweep import parse_warn_days

    assert parse_warn_days("30, 14,7") == (30, 14, 7)
    with pytest.raises(InputError):
        parse_warn_days("14,-1")
