"""`accord run` after `accord agreement amend`: the active version keeps delivering (issue 12.1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml, example_agreement

T0 = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
AID = "urn:accord:agreement:example-shielding"


def test_a_drafted_amendment_leaves_the_active_version_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FixedClock(T0)
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=clock) == 0
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(dump_yaml(example_agreement()))
    v2.write_text(dump_yaml(example_agreement().model_copy(update={"version": "1.1.0"})))
    assert main(["agreement", "create", str(v1)], e, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", AID, state, *extra], e, clock=clock) == 0
    pop = tmp_path / "pop.parquet"
    synth = ["synth", "population", str(pop), "--rows", "300", "--postcodes", "300", "--quiet"]
    assert main([*synth, "--no-opt-outs"], e, clock=clock) == 0
    run = ["run", AID, "--source", str(pop), "--postcodes", str(tmp_path / "pop.postcodes.parquet")]
    assert main(["agreement", "amend", str(v2)], e, clock=clock) == 0
    capsys.readouterr()
    assert main([*run, "--at", "2026-03-16T11:00:00Z"], e, clock=clock) == 0
    assert f"of {AID} v1.0.0" in capsys.readouterr().out
    assert main(["agreement", "transition", AID, "in_review"], e, clock=clock) == 0
    assert (
        main(
            ["agreement", "transition", AID, "approved", "--unsafe-skip-approvals"], e, clock=clock
        )
        == 0
    )
    assert main(["agreement", "transition", AID, "active"], e, clock=clock) == 0
    capsys.readouterr()
    assert main([*run, "--at", "2026-03-16T12:00:00Z"], e, clock=clock) == 0
    assert f"of {AID} v1.1.0" in capsys.readouterr().out
