"""Scenario S18: the whole emergency exercise on synthetic data, at 5,000 people.

Runs ``accord exercise`` in process (fixed clock) once for the module and checks the after-action
report's numbers against the workspace the exercise left behind: the deliveries on disk, the
ledger (verified again here, independently), the dispute and the register.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.exercise import Options, run_exercise
from accord.exercise.result import ExerciseResult
from accord.ledger.verify import verify_export
from accord.service import agreements, runs
from accord.service import disputes as dispute_service
from accord.workspace import Workspace

START = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def exercise(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExerciseResult, Path]:
    out = tmp_path_factory.mktemp("exercise") / "ex"
    return run_exercise(Options(out=out, rows=5_000, seed=7), start=START), out


def test_every_record_is_accounted_for(exercise: tuple[ExerciseResult, Path]) -> None:
    r, _ = exercise
    assert r.population == 5_000
    assert r.delivered_rows == r.population - r.exceptions - r.opted_out - r.not_entitled
    # The letters processor takes every valid row, so nobody valid is left unrouted.
    assert r.not_entitled == 0
    assert r.exceptions > 0 and set(r.exceptions_by_reason) <= {
        reason for reason in r.exceptions_by_reason if ":" in reason
    }
    # COPI regulation 3: the national data opt-out does not apply, and the report says why.
    assert not r.opt_out_applied and r.opted_out == 0
    assert "COPI" in r.opt_out_rationale or "regulation 3" in r.opt_out_rationale


def test_every_upper_tier_authority_is_a_recipient(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    assert r.recipients_total == 153
    assert len(r.rows_per_recipient) == 153
    assert r.recipients_served == sum(1 for n in r.rows_per_recipient.values() if n)
    assert r.recipients_served >= 140  # 5,000 people spread over every region
    with Workspace.open(out / "workspace") as ws:
        latest = agreements.get(ws, r.agreement_id, 1)
        delivered_on_disk = 0
        for flow in latest.agreement.flows:
            if not flow.recipient.startswith("gss:"):
                continue
            folder = next((ws.deliveries_dir).rglob(f"{flow.id}/latest"), None)
            assert folder is not None, flow.id
        for manifest in (ws.deliveries_dir).rglob("manifest.json"):
            data = json.loads(manifest.read_text())
            if data["recipient"].startswith("gss:") and "additions" not in json.dumps(data):
                extract = manifest.parent / "extract.parquet"
                assert pq.read_metadata(extract).num_rows == data["rows"]
                delivered_on_disk += data["rows"]
    assert delivered_on_disk == sum(r.rows_per_recipient.values())


def test_the_dispute_was_decided_within_a_day(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    with Workspace.open(out / "workspace") as ws:
        (only,) = dispute_service.list_disputes(ws)
        record = dispute_service.show(ws, only.id)
    decision = record.dispute.decision
    assert decision is not None and decision.chosen_party == "ods:X26"
    assert (decision.decided_at - record.dispute.raised_at).total_seconds() <= 24 * 3600
    steps = [t.step for t in r.dispute_timeline]
    assert steps[0] == "raised" or "raise" in steps[0]
    assert "decided" in r.dispute_outcome


def test_the_ledger_verifies_offline_again(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    verified = verify_export(out / "ledger-export")
    assert verified.verdict() == r.ledger_verdict
    assert r.ledger_verdict.startswith("OK")
    assert r.ledger_root in r.ledger_verdict


def test_the_delta_and_register_come_from_the_run(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    assert r.delta_additions > 0 and r.delta_removals > 0
    assert r.register_rows == 154  # one row per flow: 153 councils and the letters processor
    register = json.loads((out / "workspace" / "register" / "register.json").read_text())
    assert len(register["rows"]) == r.register_rows


def test_the_report_states_the_measured_numbers(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    from accord.exercise import write_report

    html, md = write_report(r, out)
    text = md.read_text()
    assert f"Recipients served: **{r.recipients_served} of 153**" in text
    assert f"delivered: {r.delivered_rows:,}" in text
    assert f"exceptions: {r.exceptions:,}" in text
    assert r.ledger_root in text
    page = html.read_text()
    assert "<svg" in page and "http" not in page.split("<body")[1].replace("http://www.w3.org", "")
    stages = re.findall(r"^\| (.+?) \| ", text, flags=re.M)
    assert "Go live: enforced flows delivered" in stages
    assert r.seconds_to_first_delivery > 0
    assert all(s.met_target is not False for s in r.stages), [s.title for s in r.stages]


def test_the_cli_refuses_to_overwrite_an_exercise(
    exercise: tuple[ExerciseResult, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = exercise
    code = main(["exercise", "--rows", "1000", "--out", str(out)], {}, clock=FixedClock(START))
    assert code == 8
    assert "--fresh" in capsys.readouterr().err


def test_the_cli_rejects_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["exercise", "--rows", "10", "--out", str(tmp_path / "x")], {})
    assert code == 8
    assert "between 1,000 and 22,000,000" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_workspace_has_a_postcode_directory(exercise: tuple[ExerciseResult, Path]) -> None:
    _, out = exercise
    with Workspace.open(out / "workspace") as ws:
        assert runs.load_geography(ws).postcode_count > 2_000 - 1


def test_day_two_dspt_lapse_pauses_only_that_council(exercise: tuple[ExerciseResult, Path]) -> None:
    r, out = exercise
    assert r.assurance_paused == ["spl-e06000002"]
    # 153 councils plus the letters processor, less the paused council.
    assert r.assurance_delivered_to == 153
    from accord.exercise import write_report

    _html, md = write_report(r, out)
    assert "Assurance (day 2): Middlesbrough's DSPT publication lapsed" in md.read_text()
    assert "A council's DSPT lapses (day 2)" in [s.title for s in r.stages]
    with Workspace.open(out / "workspace") as ws:
        names = [e.event.name for e in ws.ledger.entries_for_agreement(r.agreement_id)]
        assert names.count("flow-suspended") == 1
        last = runs.version_in_force(ws, r.agreement_id)
        assert last.status.value == "active"


def test_the_report_holds_no_password_and_the_operator_file_does(
    exercise: tuple[ExerciseResult, Path],
) -> None:
    """Issue 22.3: the report handed every simulated password to any signed-in user."""
    import stat

    from accord.exercise import write_report

    r, out = exercise
    html, md = write_report(r, out)
    passwords = {u.password for u in r.users}
    assert passwords and all(len(p) >= 8 for p in passwords)
    for path in (html, md):
        text = path.read_text()
        assert not any(p in text for p in passwords), path.name
        assert r.users[0].email in text
    credentials = out / "workspace" / "exercise-credentials.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert all(f"{u.email}\t{u.password}" in credentials.read_text() for u in r.users)


def test_without_a_mesh_mailbox_the_pushed_council_gets_the_outbox_and_the_report_says_so(
    exercise: tuple[ExerciseResult, Path],
) -> None:
    r, out = exercise
    assert r.push_summary.startswith("No MESH mailbox was given to this exercise")
    assert "MESH was not used" in r.push_summary and "outbox/gss_E08000025" in r.push_summary
    folder = out / "workspace" / "outbox" / "gss_E08000025"
    delivered = [d for d in folder.iterdir() if not d.name.startswith(".")]
    assert len(delivered) == 3  # go-live, the day-1 delta and the day-2 run
    assert all((d / "manifest.json").is_file() for d in delivered)
