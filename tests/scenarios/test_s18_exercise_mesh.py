"""Scenario S18 with MESH: the exercise sends one council's delivery by MESH (NHS England's
sandbox, over mutual TLS), plays the council collecting and acknowledging it, and its report
says so; the acknowledgement is in the ledger as that council's receipt of the manifest."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mesh_sandbox import PASSWORD, RECIPIENT

from accord.cli import main
from accord.clock import FixedClock
from accord.exercise import Options, run_exercise, write_report
from accord.exercise.push_stage import PUSHED, MeshExercise
from accord.ledger.events import PushAcknowledged, PushSent
from accord.service import chasing, push
from accord.workspace import Workspace

START = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def test_the_exercise_delivers_a_council_by_mesh_and_says_so(tmp_path, mesh_server) -> None:
    setup = MeshExercise(mesh_server.settings(), RECIPIENT, PASSWORD)
    out = tmp_path / "ex"
    r = run_exercise(Options(out=out, rows=1_000, seed=7, mesh=setup), start=START)
    assert r.push_summary.startswith(
        f"Birmingham's delivery was sent by MESH to mailbox {RECIPIENT}"
    )
    assert "the council collected and acknowledged it" in r.push_summary
    with Workspace.open(out / "workspace") as ws:
        (first, *later) = [p for p in push.listing(ws) if p.recipient == PUSHED]
        assert first.state == "acknowledged" and first.message_id in r.push_summary
        events = [e.event for e in ws.ledger.entries_for_agreement(r.agreement_id)]
        sent = [e for e in events if isinstance(e, PushSent) and e.recipient == PUSHED]
        assert sent[0].message_id == first.message_id
        (ack,) = [e for e in events if isinstance(e, PushAcknowledged)]
        assert ack.manifest_sha256 == first.manifest_sha256
        received = {u.delivery_id for u in chasing.unreceived(ws)}
        assert first.delivery_id not in received
    _html, md = write_report(r, out)
    report = md.read_text()
    assert "Pushed delivery: Birmingham's delivery was sent by MESH" in report


def test_the_cli_reads_the_mesh_file(tmp_path, mesh_server, capsys) -> None:
    f = tmp_path / "mesh.json"
    f.write_text(
        json.dumps({"sender": mesh_server.settings().to_json(), "recipient_mailbox": RECIPIENT})
    )
    argv = ["exercise", "--rows", "1000", "--out", str(tmp_path / "ex"), "--mesh", str(f)]
    assert main(argv, {}, clock=FixedClock(START)) == 0
    said = capsys.readouterr().out
    assert f"sent by MESH to mailbox {RECIPIENT}" in said and "; sent)" in said


def test_a_mesh_file_that_says_too_little_is_refused_naming_what(tmp_path) -> None:
    import pytest

    from accord.errors import ConfigError

    f = tmp_path / "mesh.json"
    for text, said in [
        ("not json", "cannot be read"),
        ('{"recipient_mailbox": "X26ABC2"}', "needs a sender"),
        ('{"sender": {}, "recipient_mailbox": ""}', "the council's mailbox id"),
        ('{"sender": {"url": "https://m"}, "recipient_mailbox": "X"}', "incomplete"),
    ]:
        f.write_text(text)
        with pytest.raises(ConfigError, match=said):
            MeshExercise.load(f)
    assert main(["exercise", "--rows", "1000", "--out", str(tmp_path / "x"), "--mesh",
                 str(tmp_path / "missing.json")], {}) == 8  # fmt: skip
