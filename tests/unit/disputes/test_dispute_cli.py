"""`accord dispute ...` in process, on a simulated clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml, example_agreement

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
AID = "urn:accord:agreement:example-shielding"
FLOW = "spl-e09000011"
LA = ["--party", "gss:E09000011", "--role", "dpo", "--name", "Greenwich DPO"]
ARBITER = ["--party", "gov-org:department-of-health-and-social-care", "--role", "arbiter"]


@pytest.fixture
def env(tmp_path: Path) -> tuple[dict[str, str], FixedClock]:
    clock = FixedClock(T0)
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=clock) == 0
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    assert main(["agreement", "create", str(f)], e, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        # No simulated people sign here: the operator's override (recorded as UNSAFE) stands in.
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", AID, state, *extra], e, clock=clock) == 0
    return e, clock


def _id(out: str) -> str:
    return out.split("Dispute ", 1)[1].split(":", 1)[0]


def test_raise_show_list_decide(env, capsys, tmp_path) -> None:
    e, clock = env
    argv = ["dispute", "raise", "--agreement", AID, "--flow", FLOW, "--ground", "excessive_data"]
    argv += ["--statement", "Phone numbers are not needed", "--drop", "phone", "--field", "phone"]
    assert main(argv + LA, e, clock=clock) == 0
    out = capsys.readouterr().out
    dispute_id = _id(out)
    assert "tier1" in out and "phone" not in out.split("flow:")[1]  # tier 0 dropped it
    assert main(["dispute", "list", "--open", "--json"], e, clock=clock) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["state"]) for d in listed] == [(dispute_id, "tier1")]

    clock.advance(timedelta(hours=5))
    assert main(["dispute", "sweep"], e, clock=clock) == 0
    assert "tier 2 missed" in capsys.readouterr().out
    decide = ["dispute", "decide", dispute_id, "--choose", "ods:X26", "--reasons", "Needed"]
    assert main(decide + ARBITER + ["--name", "Arbiter"], e, clock=clock) == 0
    assert "pendulum: the final offer of ods:X26" in capsys.readouterr().out
    # The discloser made no offer, so it stood on the old terms: phone is back.
    assert main(["agreement", "show", AID, "--json"], e, clock=clock) == 0
    assert '"phone"' in capsys.readouterr().out
    assert main(["dispute", "show", dispute_id], e, clock=clock) == 0
    shown = capsys.readouterr().out
    assert "final offer of gss:E09000011" in shown and "Reasons: Needed" in shown
    assert main(["dispute", "show", dispute_id, "--json"], e, clock=clock) == 0
    steps = [s["name"] for s in json.loads(capsys.readouterr().out)["steps"]]
    assert steps[0] == "dispute-raised" and steps[-1] == "dispute-decided"


def test_errors_exit_with_the_dispute_code(env, capsys) -> None:
    e, clock = env
    argv = ["dispute", "raise", "--agreement", AID, "--flow", FLOW, "--ground", "other"]
    argv += ["--statement", "More please", "--add", "not_declared"]
    assert main(argv + LA, e, clock=clock) == 7  # DisputeError: undeclared field
    assert "not_declared" in capsys.readouterr().err
    assert main(["dispute", "show", "dsp-nope-0000"], e, clock=clock) == 3
    bad_role = ["--party", "gss:E09000011", "--role", "mayor", "--name", "x"]
    assert main(argv[:-2] + bad_role, e, clock=clock) == 2
