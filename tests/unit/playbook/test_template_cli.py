"""`accord template list` and `accord template new` called in process."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from accord.cli import main
from accord.clock import FixedClock
from accord.model import load_agreement
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)


def dump(path: Path, data) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_list_shows_every_template(capsys):
    assert main(["template", "list"], {}, clock=CLOCK) == 0
    out = capsys.readouterr().out
    for scenario in ("S1", "S3", "S4", "S8", "S9"):
        assert scenario in out


def test_new_writes_the_same_agreement_as_the_library(tmp_path, capsys):
    inputs = example_inputs("s4_vulnerable_residents_utility", NOW)
    args = [
        "template",
        "new",
        "s4_vulnerable_residents_utility",
        "--incident",
        dump(tmp_path / "incident.yaml", inputs["incident"].model_dump(mode="json")),
        "--discloser",
        dump(tmp_path / "discloser.yaml", inputs["discloser"].model_dump(mode="json")),
        "--recipients",
        dump(
            tmp_path / "recipients.yaml", [r.model_dump(mode="json") for r in inputs["recipients"]]
        ),
        "--set",
        "cca_request.requester_address=Clearwater Court, Vastern Road, Reading",
        "--out",
        str(tmp_path / "out.yaml"),
    ]
    assert main(args, {}, clock=CLOCK) == 0
    assert "Wrote urn:accord:agreement:s4_vulnerable_residents_utility" in capsys.readouterr().out
    assert load_agreement(tmp_path / "out.yaml") == instantiate(
        "s4_vulnerable_residents_utility", **inputs
    )
    assert main(args[:-2], {}, clock=CLOCK) == 0
    assert "template_id: s4_vulnerable_residents_utility" in capsys.readouterr().out


def test_new_reports_missing_facts_and_bad_parties(tmp_path, capsys):
    inputs = example_inputs("s4_vulnerable_residents_utility", NOW)
    base = [
        "template",
        "new",
        "s4_vulnerable_residents_utility",
        "--incident",
        dump(tmp_path / "i.yaml", inputs["incident"].model_dump(mode="json")),
        "--discloser",
        dump(tmp_path / "d.yaml", inputs["discloser"].model_dump(mode="json")),
    ]
    recipients = dump(
        tmp_path / "r.yaml", [r.model_dump(mode="json") for r in inputs["recipients"]]
    )
    assert main([*base, "--recipients", recipients], {}, clock=CLOCK) == 2
    assert "cca_request.requester_address" in capsys.readouterr().err
    bad = dump(tmp_path / "bad.yaml", [{"org_id": "gss:nope", "name": "x"}])
    assert main([*base, "--recipients", bad], {}, clock=CLOCK) == 2
    assert "bad.yaml: 0" in capsys.readouterr().err
