"""`accord check FILE` called in process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from accord.cli import main
from accord.clock import FixedClock
from accord.model import dump_yaml
from accord.model.enums import Identifiability
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)


def write(tmp_path: Path, agreement) -> Path:
    path = tmp_path / "a.yaml"
    path.write_text(dump_yaml(agreement))
    return path


def test_lawful_file_exits_0_with_a_table(tmp_path, capsys):
    a = instantiate(
        "s3_positive_case_line_list", **example_inputs("s3_positive_case_line_list", NOW)
    )
    assert main(["check", str(write(tmp_path, a))], {}, clock=CLOCK) == 0
    out = capsys.readouterr().out
    assert "gateway.used" in out and "0 blocking" in out


def test_blocking_exits_1_and_json_lists_findings(tmp_path, capsys):
    a = instantiate("s1_shielded_patient_list", **example_inputs("s1_shielded_patient_list", NOW))
    broken = a.model_copy(update={"art28_contract_ref": None})
    assert main(["check", str(write(tmp_path, broken)), "--json"], {}, clock=CLOCK) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["blocking"] == 1
    assert [f["code"] for f in data["findings"] if f["severity"] == "blocking"] == ["art28.missing"]


def test_at_date_changes_the_answer(tmp_path, capsys):
    a = instantiate(
        "s4_vulnerable_residents_utility", **example_inputs("s4_vulnerable_residents_utility", NOW)
    )
    path = write(tmp_path, a)
    assert main(["check", str(path), "--at", "2026-02-04", "--json"], {}, clock=CLOCK) == 1
    assert "gateway.not-in-force" in capsys.readouterr().out
    assert main(["check", str(path), "--at", "yesterday"], {}, clock=CLOCK) == 2


def test_invalid_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: 1\n")
    assert main(["check", str(bad)], {}, clock=CLOCK) == 2
    assert "not a valid agreement" in capsys.readouterr().err


def test_a_flow_labelled_aggregate_that_delivers_people_blocks(tmp_path, capsys):
    # Issue 12 item 2: relabelling the S3 line list "aggregate" does not make it aggregate.
    a = instantiate(
        "s3_positive_case_line_list", **example_inputs("s3_positive_case_line_list", NOW)
    )
    labelled = a.model_copy(
        update={
            "flows": [
                f.model_copy(update={"identifiability": Identifiability.aggregate}) for f in a.flows
            ]
        }
    )
    assert main(["check", str(write(tmp_path, labelled)), "--json"], {}, clock=CLOCK) == 1
    found = [f for f in json.loads(capsys.readouterr().out)["findings"]]
    label = [f for f in found if f["code"] == "label.not-anonymous"]
    assert label and all(f["severity"] == "blocking" for f in label)
    assert "but nhs_number is a direct identifier" in label[0]["message"]
    assert "scope.not-personal" not in {f["code"] for f in found}
