"""`accord push`: list the queue, withdraw by hand (the recipient told), retry only what failed,
list deliveries without a receipt at a date, and keep the MESH mailbox settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from push_builders import MESH_FLOW, pushing_agreement

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml
from accord.service import push, runs
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def _pushed(tmp_path: Path) -> tuple[dict[str, str], FixedClock]:
    env = {"ACCORD_HOME": str(tmp_path / "ws")}
    clock = FixedClock(T0)
    assert main(["init"], env, clock=clock) == 0
    f = tmp_path / "a.yaml"
    a = pushing_agreement()
    f.write_text(dump_yaml(a))
    assert main(["agreement", "create", str(f)], env, clock=clock) == 0
    for state in ("in_review", "approved", "active"):
        extra = ["--unsafe-skip-approvals"] if state == "approved" else []
        assert main(["agreement", "transition", a.id, state, *extra], env, clock=clock) == 0
    with Workspace.open(tmp_path / "ws", clock=clock) as ws:
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=3)
        source = tmp_path / "people.parquet"
        write_population(source, rows=500, seed=3, postcode_directory=directory)
        runs.run(ws, a.id, source=source, geography=runs.load_geography(ws))
    return env, clock


def _queued(tmp_path: Path) -> push.Push:
    with Workspace.open(tmp_path / "ws") as ws:
        return next(p for p in push.listing(ws) if p.flow_id == MESH_FLOW)


def test_list_withdraw_retry_and_unreceived(tmp_path, capsys) -> None:
    env, clock = _pushed(tmp_path)
    capsys.readouterr()
    assert main(["push", "list"], env, clock=clock) == 0
    listed = capsys.readouterr().out
    assert "outbox" in listed and "queued" in listed and "no MESH mailbox" in listed
    p = _queued(tmp_path)
    assert main(["push", "retry", "no/such"], env, clock=clock) == 3
    assert main(["push", "send", "--at", "2026-03-16T09:30:00Z"], env, clock=clock) == 0
    assert "next try" in capsys.readouterr().out
    argv = ["push", "withdraw", p.delivery_id, "--reason", "wrong mailbox", "--by", "dpo"]
    assert main(argv, env, clock=clock) == 0
    assert "withdrawn" in capsys.readouterr().out
    assert main(["push", "retry", p.delivery_id], env, clock=clock) == 4
    assert main(["push", "list", "--state", "withdrawn"], env, clock=clock) == 0
    assert p.delivery_id.split("/")[0] in capsys.readouterr().out
    assert main(["push", "unreceived", "--days", "3", "--at", "2026-03-18"], env) == 0
    assert "Every delivery has a receipt." in capsys.readouterr().out
    assert main(["push", "unreceived", "--days", "3", "--at", "2026-03-20"], env) == 0
    assert "spl-e06000002" in capsys.readouterr().out  # the outbox delivery; MESH's withdrawn


def test_mesh_setup_keeps_the_settings_in_the_workspace(tmp_path, capsys) -> None:
    env = {"ACCORD_HOME": str(tmp_path / "ws")}
    assert main(["init"], env) == 0
    (tmp_path / "pw").write_text("secret-pw\n")
    (tmp_path / "key").write_text("shared\n")
    argv = ["push", "mesh-setup", "--url", "https://msg.intspineservices.nhs.uk"]
    argv += ["--mailbox", "X26ABC1", "--password-file", str(tmp_path / "pw")]
    argv += ["--shared-key-file", str(tmp_path / "key"), "--cert", "c.pem", "--key", "k.pem"]
    argv += ["--chunk-mib", "20"]
    assert main(argv, env) == 0
    assert "secret-pw" not in capsys.readouterr().out
    kept = json.loads((tmp_path / "ws" / "keys" / "mesh.json").read_text())
    assert kept["password"] == "secret-pw" and kept["max_chunk_size"] == 20 * 1024 * 1024
    assert kept["ca"] is None
    assert main([*argv[:2], "--url", "http://plain", *argv[4:]], env) == 8  # https only
