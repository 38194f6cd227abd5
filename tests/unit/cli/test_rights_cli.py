"""`accord rights receive|show|list|decide|lookup`, thin over the service (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml, example_agreement
from accord.service import runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

PASSWORD = "correct horse battery staple"
AID = "urn:accord:agreement:example-shielding"


@pytest.fixture
def env(tmp_path: Path) -> tuple[dict[str, str], FixedClock, Path]:
    a = example_agreement()
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
    for email, party, roles in (
        ("dpo@nhs.example", "ods:X26", "dpo"),
        ("dpo@greenwich.example", "gss:E09000011", "dpo"),
        ("iao@greenwich.example", "gss:E09000011", "iao"),
    ):
        argv = ["user", "add", email, "--name", email, "--party", party, "--roles", roles]
        assert main([*argv, "--password", PASSWORD], e, clock=clock) == 0
    with Workspace.open(tmp_path / "ws", clock=clock) as ws:
        directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=500, seed=3)
    write_population(tmp_path / "people.parquet", rows=400, seed=3, postcode_directory=directory)
    (tmp_path / "pw").write_text(PASSWORD)
    return e, clock, tmp_path


def test_receive_decide_and_look_up_through_the_cli(env, capsys) -> None:  # type: ignore[no-untyped-def]
    e, clock, folder = env
    pw = ["--password-file", str(folder / "pw")]
    assert main(["run", AID, "--source", str(folder / "people.parquet")], e, clock=clock) == 0
    delivered = next((folder / "ws" / "deliveries").rglob("extract.parquet"))
    number = pq.read_table(delivered)["nhs_number"][0].as_py()
    (folder / "nhs").write_text(number + "\n")
    who = ["--nhs-number-file", str(folder / "nhs")]
    carrying = list((folder / "ws" / "deliveries").rglob("persons.json"))
    capsys.readouterr()
    # The sweep indexes by keyed hash the deliveries that carry the number, once.
    assert carrying and not list((folder / "ws" / "deliveries").rglob("persons.parquet"))
    assert main(["sweep"], e, clock=clock) == 0
    assert f"{len(carrying)} delivery(ies) indexed by keyed hash" in capsys.readouterr().out
    assert all((p.parent / "persons.parquet").is_file() for p in carrying)

    assert main(["rights", "lookup", *who, "--user", "dpo@nhs.example", *pw], e, clock=clock) == 0
    out = capsys.readouterr().out
    assert AID in out and "nhs_number" in out and number not in out

    # Not a handler: refused (exit 4), logged, and nothing said of the person.
    argv = ["rights", "lookup", *who, "--user", "iao@greenwich.example", *pw]
    assert main(argv, e, clock=clock) == 4
    assert number not in capsys.readouterr().err

    argv = ["rights", "receive", AID, "--kind", "objection", "--received", "2026-03-20"]
    argv += ["--at", "2026-03-20T10:00:00Z"]
    assert main([*argv, *who, "--user", "dpo@greenwich.example", *pw], e, clock=clock) == 0
    out = capsys.readouterr().out
    assert "open; received by gss:E09000011 on 2026-03-20, lead ods:X26, due 2026-04-20" in out
    request_id = out.split()[0]
    argv = ["rights", "list", "--user", "dpo@nhs.example", *pw, "--at", "2026-04-21"]
    assert main(argv, e, clock=clock) == 0
    assert "1 day(s) overdue" in capsys.readouterr().out
    argv = ["rights", "decide", request_id, "--decision", "uphold", "--user", "dpo@nhs.example"]
    assert main([*argv, *pw], e, clock=clock) == 0
    assert f"suppressed in: {AID}" in capsys.readouterr().out
    argv = ["rights", "show", request_id, "--user", "dpo@greenwich.example", *pw]
    assert main(argv, e, clock=clock) == 0
    assert "upheld" in capsys.readouterr().out
    assert main(["sweep", "--at", "2026-05-01"], e, clock=clock) == 0
    out = capsys.readouterr().out
    assert "0 rights request reminder(s) given." in out
    assert "0 delivery(ies) indexed by keyed hash" in out
