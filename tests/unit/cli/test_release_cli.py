"""`accord run --user` holds an aggregate table; `accord release list|show|approve|reject`
review it, as the service decides (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import Agreement, dump_yaml, example_agreement
from accord.service import runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

PASSWORD = "correct horse battery staple"
AID = "urn:accord:agreement:example-shielding"


def _agreement() -> Agreement:
    doc = example_agreement().model_dump(mode="json")
    doc["title"] = "Counts [by band] for [bold]councils[/bold]"
    for f in doc["flows"]:
        f.update(
            identifiability="aggregate",
            projection=["date_of_birth", "postcode"],
            transforms=[{"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"}],
            aggregate={"group_by": ["date_of_birth"], "profile": "opensafely"},
        )
    return Agreement.model_validate(doc)


@pytest.fixture
def env(tmp_path: Path) -> tuple[dict[str, str], FixedClock, Path]:
    a = _agreement()
    assert a.incident is not None
    clock = FixedClock(a.incident.declared_at)
    e = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], e, clock=clock) == 0
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(a))
    assert main(["agreement", "create", str(f)], e, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", AID, state, *extra], e, clock=clock) == 0
    for email, roles in (("req@nhs.example", "requester"), ("dpo@nhs.example", "dpo")):
        argv = ["user", "add", email, "--name", email, "--party", "ods:X26", "--roles", roles]
        assert main([*argv, "--password", PASSWORD], e, clock=clock) == 0
    argv = ["user", "add", "cg@nhs.example", "--name", "Cal", "--party", "ods:X26"]
    assert (
        main([*argv, "--roles", "caldicott_guardian", "--password", PASSWORD], e, clock=clock) == 0
    )
    with Workspace.open(tmp_path / "ws", clock=clock) as ws:
        directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=1_000, seed=7)
    write_population(tmp_path / "people.parquet", rows=800, seed=7, postcode_directory=directory)
    (tmp_path / "pw").write_text(PASSWORD)
    return e, clock, tmp_path


def test_a_run_holds_its_tables_and_two_reviewers_release_one(env, capsys) -> None:
    e, clock, folder = env
    pw = ["--password-file", str(folder / "pw")]
    run = ["run", AID, "--source", str(folder / "people.parquet")]
    assert main(run, e, clock=clock) != 0  # an aggregate run names who asks for it
    assert main([*run, "--user", "req@nhs.example", *pw], e, clock=clock) == 0
    assert "2 aggregate table(s) held" in capsys.readouterr().out
    assert main(["release", "list"], e, clock=clock) == 0
    listed = capsys.readouterr().out
    assert listed.count("requested by req@nhs.example") == 2
    assert listed.count("pending, 0 of 2 approvals") == 2
    run_id = next(p.name for p in (folder / "ws" / "runs").glob("*/*") if p.is_dir())
    table = f"{run_id}/spl-e09000011"
    assert main(["release", "show", table], e, clock=clock) == 0
    shown = capsys.readouterr().out
    assert "Suppression report (opensafely)" in shown and "date_of_birth" in shown
    assert "pending, 0 of 2 approvals" in shown
    # The requester may not review; the DPO and the Caldicott guardian release it.
    assert (
        main(["release", "approve", table, "--user", "req@nhs.example", *pw], e, clock=clock) != 0
    )
    assert (
        main(["release", "approve", table, "--user", "dpo@nhs.example", *pw], e, clock=clock) == 0
    )
    assert (
        main(["release", "approve", table, "--user", "dpo@nhs.example", *pw], e, clock=clock) != 0
    )
    capsys.readouterr()
    argv = ["release", "approve", table, "--user", "cg@nhs.example", *pw, "--note", "[ok]"]
    assert main(argv, e, clock=clock) == 0
    assert "released, 2 of 2 approvals" in capsys.readouterr().out
    other = f"{run_id}/spl-e06000002"
    argv = ["release", "reject", other, "--user", "cg@nhs.example", *pw, "--note", "[too fine]"]
    assert main(argv, e, clock=clock) == 0
    assert "withheld" in capsys.readouterr().out
    assert main(["release", "list"], e, clock=clock) == 0
    assert "waiting for review" in capsys.readouterr().out  # nothing pending
    assert main(["release", "show", other], e, clock=clock) == 0
    assert "[too fine]" in capsys.readouterr().out  # printed as written
