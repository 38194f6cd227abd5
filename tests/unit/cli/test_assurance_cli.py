"""`accord assurance` and `accord sweep --at`: a DSPT record, a lapse found by a sweep replayed at
a later date, and the SIRO's exception from the command line (with the bad-input errors)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.cli import main
from accord.clock import FixedClock
from accord.model import example_document, parse_agreement
from accord.service import agreements, assurance, lifecycle
from accord.workspace import Workspace

AID = "urn:accord:agreement:example-shielding"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    doc = example_document()
    doc["incident"]["review_by"] = "2026-12-31T09:00:00+00:00"
    doc["dpia"].update(status="complete", completed_on="2026-03-16", due_by=None)
    a = parse_agreement(doc)
    ws_home = tmp_path / "ws"
    env = {"ACCORD_HOME": str(ws_home)}
    with Workspace.init(ws_home, clock=FixedClock(datetime(2026, 3, 16, 9, tzinfo=UTC))) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
    assert main(["user", "add", "siro@nhse.example", "--name", "SIRO", "--party", "ods:X26",
                 "--roles", "siro", "--password", "long-password-1"], env) == 0  # fmt: skip
    (tmp_path / "pw").write_text("long-password-1", encoding="utf-8")
    return ws_home


def _env(home: Path) -> dict[str, str]:
    return {"ACCORD_HOME": str(home)}


def test_record_lapse_and_exception(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = _env(home)
    args = [
        "assurance",
        "record",
        "gss:E09000011",
        "--status",
        "approaching_standards",
        "--framework",
        "caf_aligned",
        "--from",
        "2025-06-30",
        "--plan-until",
        "2026-04-30",
    ]
    assert main([*args, "--at", "2026-03-16"], env) == 0  # fmt: skip
    assert main(["assurance", "show", "gss:E09000011", "--at", "2026-05-01"], env) == 0
    assert "not_met" in capsys.readouterr().out
    assert main(["sweep", "--at", "2026-05-01"], env) == 0
    out = capsys.readouterr().out
    assert "flow-suspended" in out and "spl-e09000011" in out
    assert "spl-e06000002" not in out
    pw = str(home.parent / "pw")
    base = ["assurance", "exception", AID, "gss:E09000011", "--user", "siro@nhse.example",
            "--password-file", pw, "--at", "2026-05-02"]  # fmt: skip
    assert main([*base, "--ends", "2026-05-09"], env) == 2  # no controls
    assert "controls" in capsys.readouterr().err
    assert main([*base, "--controls", "Logged access", "--starts", "2026-05-09",
                 "--ends", "2026-05-03"], env) == 2  # fmt: skip
    assert "ends" in capsys.readouterr().err
    with Workspace.open(home) as ws:
        assert assurance.exceptions(ws) == []
    assert main([*base, "--controls", "Logged access", "--ends", "2026-05-09"], env) == 0
    assert main(["sweep", "--at", "2026-05-02"], env) == 0
    assert "flow-resumed" in capsys.readouterr().out
    assert main(["sweep", "--at", "2026-05-10"], env) == 0
    out = capsys.readouterr().out
    assert "exception-ended" in out and "flow-suspended" in out
    with Workspace.open(home) as ws:
        v = agreements.get(ws, AID)
        assert set(lifecycle.open_suspensions(ws, v)) == {"spl-e09000011"}


def test_basis_record_extend_and_list(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(home)
    notice = tmp_path / "notice.yaml"
    notice.write_text(
        "id: copi-2026-one\nkind: notice\ngateway: copi_reg3_4_notice\n"
        "title: First notice\nstart: 2026-03-16\nend: 2026-04-30\n",
        encoding="utf-8",
    )
    assert main(["basis", "record", str(notice), "--at", "2026-03-16"], env) == 0
    backwards = tmp_path / "bad.yaml"
    backwards.write_text(
        notice.read_text().replace("copi-2026-one", "x2").replace("2026-04-30", "2026-03-01")
    )
    assert main(["basis", "record", str(backwards)], env) == 2
    assert "end" in capsys.readouterr().err
    args = ["basis", "extend", "copi-2026-one", "--end", "2026-06-30", "--announced", "2026-04-20"]
    assert main(args, env) == 0
    capsys.readouterr()
    assert main(["basis", "list", "--at", "2026-04-01"], env) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "copi-2026-one" in line)
    assert "2026-04-30" in row  # the extension was not yet announced on 1 April
    assert main(["basis", "list", "--at", "2026-04-21"], env) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "copi-2026-one" in line)
    assert "2026-06-30" in row


def test_status_and_framework_are_choices_from_the_model(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from accord.cli.assurance import Published
    from accord.model.assurance import CertificateStatus
    from accord.model.enums import DsptStatus

    assert {p.value for p in Published} == {s.value for s in (*DsptStatus, *CertificateStatus)}
    env = _env(home)
    base = ["assurance", "record", "gss:E09000011", "--from", "2026-03-01", "--at", "2026-03-16"]
    assert main([*base, "--status", "Standards Met"], env) == 2  # the toolkit's words: no
    err = capsys.readouterr().err
    assert "plan_agreed" in err and "standards_met" in err
    assert main([*base, "--status", "plan_agreed", "--framework", "caf"], env) == 2
    assert "caf_aligned" in capsys.readouterr().err
    plan = [*base, "--status", "plan_agreed", "--framework", "caf_aligned"]
    assert main([*plan, "--plan-until", "2026-09-30"], env) == 0
    capsys.readouterr()
    assert main(["assurance", "show", "gss:E09000011", "--at", "2026-07-01"], env) == 0
    out = capsys.readouterr().out
    assert "not_met" in out and "2026-06-30" in out  # the CAF-aligned toolkit's last day
