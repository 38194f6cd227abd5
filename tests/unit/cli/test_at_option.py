"""`--at`: one parser, one meaning, on every command whose outcome depends on the date."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer

from accord.cli import app, main
from accord.cli._context import AT_HELP, parse_at
from accord.clock import FixedClock
from accord.errors import InputError
from accord.model import dump_yaml, example_agreement

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AID = "urn:accord:agreement:example-shielding"
LA = ["--party", "gss:E09000011", "--role", "dpo", "--name", "Greenwich DPO"]

DATED = [
    ("run",),
    ("check",),
    ("exercise",),
    ("sweep",),
    ("template", "new"),
    ("agreement", "create"),
    ("agreement", "amend"),
    ("agreement", "transition"),
    ("agreement", "approve"),
    ("dispute", "raise"),
    ("dispute", "offer"),
    ("dispute", "escalate"),
    ("dispute", "decide"),
    ("dispute", "withdraw"),
    ("dispute", "sweep"),
    ("ledger", "export"),
    ("ledger", "sign-head"),
    ("ledger", "prove"),
    ("sharing", "profile"),
    ("user", "add"),
    ("user", "token"),
    ("user", "revoke"),
    ("push", "list"),
    ("push", "send"),
    ("push", "retry"),
    ("push", "withdraw"),
    ("push", "unreceived"),
    ("rights", "receive"),
    ("rights", "show"),
    ("rights", "list"),
    ("rights", "decide"),
    ("rights", "lookup"),
]


def test_a_date_is_the_start_of_that_day_utc() -> None:
    assert parse_at("2026-03-16") == datetime(2026, 3, 16, tzinfo=UTC)


def test_a_timestamp_keeps_its_instant_and_is_read_in_utc() -> None:
    assert parse_at("2026-03-16T09:30:00+01:00") == datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
    assert parse_at("2026-03-16T09:30Z") == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    assert parse_at("2026-03-16T09:30:00Z").utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2026-03-16T09:30:00", "16/03/2026", "tomorrow", "2026-13-01"])
def test_anything_else_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_at(text)
    assert caught.value.exit_code == 2 and "--at" in caught.value.diagnostics()


def _command(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", DATED, ids=" ".join)
def test_every_dated_command_takes_the_same_at(path: tuple[str, ...]) -> None:
    options = {o: p for p in _command(path).params for o in p.opts}
    assert "--at" in options, f"accord {' '.join(path)} has no --at"
    assert options["--at"].help == AT_HELP


def test_a_bad_at_exits_2_before_anything_happens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    assert main(["check", str(f), "--at", "2026-03-16T09:00"], {}) == 2
    assert "--at" in capsys.readouterr().err


def test_check_evaluates_on_the_at_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    main(["check", str(f), "--at", "2026-03-16T23:30:00-05:00"], {}, clock=FixedClock(T0))
    assert "on 2026-03-17:" in capsys.readouterr().out  # 23:30 in New York is the 17th in UTC


def test_a_dispute_raised_at_a_past_moment_runs_its_clock_from_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FixedClock(T0 + timedelta(days=10))
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=clock) == 0
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    assert main(["agreement", "create", str(f)], e, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", AID, state, *extra], e, clock=clock) == 0
    argv = ["dispute", "raise", "--agreement", AID, "--flow", "spl-e09000011"]
    argv += ["--ground", "excessive_data", "--statement", "No phones", "--drop", "phone"]
    assert main([*argv, *LA, "--at", "2026-03-16T09:00:00Z"], e, clock=clock) == 0
    capsys.readouterr()
    assert main(["dispute", "list", "--json"], e, clock=clock) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"].startswith("dsp-20260316-")
    deadline = datetime.fromisoformat(listed["deadline"])
    assert T0 < deadline < T0 + timedelta(days=7)
    # Swept at --at one minute after raising, no tier has missed its deadline; swept on the
    # wall clock (ten days on), one has.
    assert main(["dispute", "sweep", "--at", "2026-03-16T09:01:00Z"], e, clock=clock) == 0
    assert "No deadline is due." in capsys.readouterr().out
    assert main(["dispute", "sweep"], e, clock=clock) == 0
    assert "missed its deadline" in capsys.readouterr().out


def test_no_day_is_suggested_for_an_agreement_that_blocks_on_its_own_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from accord.model import load_agreement

    root = Path(__file__).resolve().parents[3]
    a = load_agreement(root / "examples" / "s1_shielded_patient_list.yaml")
    f = tmp_path / "broken.yaml"
    f.write_text(dump_yaml(a.model_copy(update={"art28_contract_ref": None})))
    later = FixedClock(T0 + timedelta(days=400))
    assert main(["check", str(f)], {}, clock=later) == 1
    assert "--at" not in capsys.readouterr().out
    assert (
        main(["check", str(root / "examples" / "s1_shielded_patient_list.yaml")], {}, clock=later)
        == 1
    )
    assert "--at 2026-03-16" in capsys.readouterr().out


def test_tokens_profiles_and_heads_are_dated_at_at_not_the_wall_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12.4: token expiry, the profile's token and a signed head's timestamp follow --at."""
    from accord.ledger.checkpoint import format_timestamp

    wall = FixedClock(T0 + timedelta(days=400))
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=wall) == 0
    at = ["--at", "2026-03-16T09:00:00Z"]
    person = ["user", "add", "svc@greenwich.example", "--name", "Pipeline"]
    person += ["--party", "gss:E09000011", "--roles", "recipient_service"]
    assert main([*person, "--password", "correct horse battery", *at], e, clock=wall) == 0
    argv = ["user", "token", "svc@greenwich.example", "--name", "etl", "--days", "7", *at]
    assert main(argv, e, clock=wall) == 0
    out = capsys.readouterr().out
    assert "expires 2026-03-23T09:00:00+00:00" in out, out
    token_id = out.split("Token ", 1)[1].split()[0]
    assert main(["user", "revoke", token_id, *at], e, clock=wall) == 0
    share = tmp_path / "p.share"
    argv = ["sharing", "profile", "svc@greenwich.example", "--out", str(share), "--days", "2"]
    assert main([*argv, *at], e, clock=wall) == 0
    assert json.loads(share.read_text())["expirationTime"].startswith("2026-03-18T09:00:00")
    exported = tmp_path / "export"
    assert main(["ledger", "export", str(exported), *at], e, clock=wall) == 0
    (head,) = [
        json.loads(line) for line in (exported / "tree-heads.jsonl").read_text().splitlines()
    ]
    assert format_timestamp(T0) in json.dumps(head)
    assert main(["user", "token", "svc@greenwich.example", "--name", "x", "--at", "soon"], e) == 2
    assert "--at" in capsys.readouterr().err
