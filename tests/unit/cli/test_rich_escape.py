"""Bracketed user and domain text prints as written: Rich markup never swallows it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml, example_agreement, example_document, parse_agreement

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AID = "urn:accord:agreement:example-shielding"
LA = ["--party", "gss:E09000011", "--role", "dpo", "--name", "Greenwich DPO"]


@pytest.fixture
def env(tmp_path: Path) -> tuple[dict[str, str], FixedClock]:
    clock = FixedClock(T0)
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=clock) == 0
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    assert main(["agreement", "create", str(f)], e, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", AID, state, *extra], e, clock=clock) == 0
    return e, clock


def test_dispute_raise_and_escalate_print_the_field_list(env, capsys) -> None:
    e, clock = env
    argv = ["dispute", "raise", "--agreement", AID, "--flow", "spl-e09000011"]
    argv += ["--ground", "excessive_data", "--statement", "No phones", "--drop", "phone"]
    capsys.readouterr()
    assert main(argv + LA, e, clock=clock) == 0
    out = capsys.readouterr().out
    flow = out.split("flow: ", 1)[1]
    assert flow.startswith("fields [nhs_number, ") and "phone" not in flow
    assert "transforms [" in flow
    dispute_id = out.split("Dispute ", 1)[1].split(":", 1)[0]
    up = ["dispute", "escalate", dispute_id, *LA, "--reason", "see [annex b]"]
    assert main(up, e, clock=clock) == 0
    assert "flow: fields [nhs_number, " in capsys.readouterr().out


def test_a_title_in_brackets_survives_list_show_and_check(tmp_path: Path, capsys) -> None:
    doc = example_document()
    doc["title"] = "Shielding [phase two] for [bold]everyone[/bold]"
    f = tmp_path / "t.yaml"
    f.write_text(dump_yaml(parse_agreement(doc)))
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    clock = FixedClock(T0)
    assert main(["init"], e, clock=clock) == 0
    assert main(["agreement", "create", str(f)], e, clock=clock) == 0
    capsys.readouterr()
    assert main(["agreement", "show", AID], e, clock=clock) == 0
    assert doc["title"] in capsys.readouterr().out.splitlines()[0]
    main(["check", str(f), "--at", "2026-03-16"], e, clock=clock)
    assert "[phase two]" in capsys.readouterr().out


def test_error_diagnostics_keep_their_brackets(tmp_path: Path, capsys) -> None:
    assert main(["check", "missing.yaml", "--at", "[red]soon"], {}) == 2
    assert "'[red]soon'" in capsys.readouterr().err
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e) == 0
    assert main(["agreement", "show", "[bold]nope[/bold]"], e) == 3
    assert "no agreement with id [bold]nope[/bold]" in capsys.readouterr().err
