"""`accord ledger export`, `accord ledger prove` and `accord verify`, called in process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.ledger.events import DeliveryMade
from accord.ledger.merkle import verify_inclusion
from accord.workspace import Workspace

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    clock = FixedClock(NOW)
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        ws.ledger.append_many(
            [
                DeliveryMade(
                    agreement_id="a",
                    agreement_version="1.0.0",
                    agreement_hash="ab" * 32,
                    at="2026-03-16T09:00:00Z",
                    delivery_id=f"d-{i}",
                    recipient="gss:E06000001",
                    manifest_sha256="cd" * 32,
                    row_count=i,
                )  # fmt: skip
                for i in range(9)
            ],
            NOW,
        )
    return tmp_path / "ws"


def test_export_then_verify_prints_a_one_line_verdict(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"ACCORD_HOME": str(home)}
    assert main(["ledger", "export", str(tmp_path / "out")], env, clock=FixedClock(NOW)) == 0
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out")], {}) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("OK: 9 events verified")


def test_verify_fails_with_exit_6_naming_the_index(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["ledger", "export", str(tmp_path / "out")], {"ACCORD_HOME": str(home)})
    entries = (tmp_path / "out" / "entries.jsonl").read_text().splitlines(keepends=True)
    entries[4] = entries[4].replace('"row_count":4', '"row_count":5')
    (tmp_path / "out" / "entries.jsonl").write_text("".join(entries))
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out")], {}) == 6
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("FAILED: ledger fails verification at index 4")


def test_prove_prints_an_inclusion_proof_as_json(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open(home) as ws:
        event_id = ws.ledger.entry(6).event_id
    assert main(["ledger", "prove", event_id], {"ACCORD_HOME": str(home)}) == 0
    proof = json.loads(capsys.readouterr().out)
    assert (proof["index"], proof["tree_size"]) == (6, 9)
    root = verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]), 6, 9, [bytes.fromhex(p) for p in proof["proof"]],
        bytes.fromhex(proof["root_hash"]),
    )  # fmt: skip
    assert "\n9\n" in proof["checkpoint"] and root.hex() == proof["root_hash"]


def test_prove_an_unknown_event_exits_3(home: Path) -> None:
    assert main(["ledger", "prove", "ev-nope"], {"ACCORD_HOME": str(home)}) == 3
