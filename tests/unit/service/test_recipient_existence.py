"""Recipients exist on the day: upper-tier lists for the start date, and a blocking finding for a
recipient that does not exist on the check date, naming the body in its place."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.cli import main
from accord.law import check
from accord.model import load_agreement
from accord.refdata import Geography
from accord.service.parties import organisation_lookup, recipient_existence, upper_tier_parties

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
GEO = Geography()
LOOKUP = organisation_lookup(GEO)


def _template(tmp_path: Path, at: str) -> Path:
    out = tmp_path / f"spl-{at}.yaml"
    argv = ["template", "new", "s1_shielded_patient_list"]
    argv += ["--incident", str(EXAMPLES / "incident.yaml")]
    argv += ["--discloser", str(EXAMPLES / "parties" / "nhs-england.yaml")]
    argv += ["--processor", str(EXAMPLES / "parties" / "letters-processor.yaml")]
    argv += ["--recipients", "upper-tier", "--out", str(out), "--at", at]
    assert main(argv, {}) == 0
    return out


def _recipients(path: Path) -> set[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {p["org_id"] for p in doc["parties"] if p["role"] == "recipient"}


def test_upper_tier_recipients_are_the_councils_of_the_start_date(tmp_path: Path) -> None:
    before = _recipients(_template(tmp_path, "2025-03-31"))
    after = _recipients(_template(tmp_path, "2026-03-16"))
    assert len(before) == len(after) == 153
    assert before - after == {"gss:E08000016", "gss:E08000019"}  # Barnsley, Sheffield recoded
    assert after - before == {"gss:E08000038", "gss:E08000039"}


def test_check_blocks_a_recipient_that_no_longer_exists_naming_its_successor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _template(tmp_path, "2025-03-31")
    capsys.readouterr()
    main(["check", str(path), "--at", "2025-03-31", "--json"], {})
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "recipient-not-in-existence" not in codes
    main(["check", str(path), "--at", "2025-04-01", "--json"], {})
    gone = [
        f
        for f in json.loads(capsys.readouterr().out)["findings"]
        if f["code"] == "recipient-not-in-existence"
    ]
    assert [f["severity"] for f in gone] == ["blocking", "blocking"]
    assert "gss:E08000038" in gone[0]["message"] and "Barnsley" in gone[0]["message"]
    assert "gss:E08000039" in gone[1]["message"]
    assert all(f["field"].startswith("parties.") and f["citation"] for f in gone)


def test_the_law_alone_judges_no_existence() -> None:
    a = load_agreement(EXAMPLES / "s1_shielded_patient_list.yaml")
    moved = a.model_copy(
        update={
            "parties": [
                p.model_copy(update={"org_id": "gss:E07000026"}) if p.org_id.endswith("11") else p
                for p in a.parties
            ]
        }
    )
    codes = check(moved, date(2026, 3, 16)).codes
    assert "recipient-not-in-existence" not in codes
    with_lookup = check(moved, date(2026, 3, 16), organisations=LOOKUP)
    (found,) = [f for f in with_lookup if f.code == "recipient-not-in-existence"]
    assert "gss:E06000063" in found.message  # Allerdale became part of Cumberland in 2023


def test_recipient_existence_lists_the_missing_recipients_of_an_agreement() -> None:
    parties = upper_tier_parties(GEO, on=date(2022, 6, 1))
    a = load_agreement(EXAMPLES / "s1_shielded_patient_list.yaml")
    cumbria = next(p for p in parties if p.org_id == "gss:E10000006")
    with_cumbria = a.model_copy(update={"parties": [*a.parties, cumbria]})
    assert recipient_existence(GEO, date(2022, 6, 1)).missing(with_cumbria) == []
    (gone,) = recipient_existence(None, datetime(2024, 1, 1, tzinfo=UTC)).missing(with_cumbria)
    assert (gone.org_id, gone.name) == ("gss:E10000006", "Cumbria")
    assert gone.in_its_place == ("gss:E06000063", "gss:E06000064")
    assert recipient_existence(GEO, date(2024, 1, 1))("ods:X26") is None


@settings(max_examples=12, deadline=None)
@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)))
def test_every_upper_tier_council_of_a_day_exists_that_day(on: date) -> None:
    for party in upper_tier_parties(GEO, on=on):
        found = LOOKUP(party.org_id, on)
        assert found is not None and found.exists, (party.org_id, on)
