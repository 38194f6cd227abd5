"""S1 at small scale: the shielded patient list to every upper-tier authority (rules.md §i S1).

Synthetic population and postcode directory from :mod:`accord.synth`; the packaged example
agreement widened to every upper-tier authority in force on the run date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from accord.engine import RunResult, run_agreement
from accord.model import Agreement, example_document
from accord.refdata import Geography
from accord.synth import DailyChanges, write_delta, write_population, write_postcode_directory

DAY0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
DAY1 = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
SECRET = b"s1-scenario-instance-secret-0001"
ROWS, POSTCODES, SEED = 3000, 4000, 11


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("s1")
    directory = folder / "nspl.parquet"
    write_postcode_directory(directory, postcodes=POSTCODES, seed=SEED)
    common = {"rows": ROWS, "seed": SEED, "postcode_directory": directory}
    write_population(folder / "day0.parquet", **common)
    changes = DailyChanges(add_share=0.02, remove_share=0.01, move_share=0.02)
    write_delta(folder / "day1.parquet", day=1, changes=changes, **common)
    geography = Geography.load(directory)
    codes = sorted(set(pc.unique(geography.authorities(on=DAY0.date())["utla_code"]).to_pylist()))
    doc = example_document()
    template = doc["flows"][0]
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": c, "org_type": "la_unitary", **la} for c in codes
    ]
    doc["flows"] = [{**template, "id": f"spl-{c.lower()}", "recipient": f"gss:{c}"} for c in codes]
    agreement = Agreement.model_validate(doc)
    out = folder / "out"

    def run(source: str, now: datetime) -> RunResult:
        return run_agreement(
            agreement,
            status="active",
            source=folder / source,
            out_dir=out,
            secret=SECRET,
            geography=geography,
            now=now,
        )

    day0 = run("day0.parquet", DAY0)
    day1 = run("day1.parquet", DAY1)
    return {"geography": geography, "codes": codes, "day0": day0, "day1": day1}


def _extract(result: RunResult, flow_id: str) -> list[dict[str, Any]]:
    return pq.read_table(result.delivery(flow_id).directory / "extract.parquet").to_pylist()


def test_every_upper_tier_authority_gets_a_delivery(world: dict[str, Any]) -> None:
    day0: RunResult = world["day0"]
    assert len(world["codes"]) >= 150
    assert {d.recipient for d in day0.deliveries} == {f"gss:{c}" for c in world["codes"]}


def test_each_authority_receives_only_its_residents(world: dict[str, Any]) -> None:
    geography: Geography = world["geography"]
    day0: RunResult = world["day0"]
    checked = 0
    for d in day0.deliveries:
        for row in _extract(day0, d.flow_id):
            area = geography.resolve(row["postcode"], on=date(2026, 3, 20))
            assert area is not None and f"gss:{area.utla_code}" == d.recipient
            checked += 1
    assert checked == day0.delivered_rows > ROWS * 0.9


def test_projection_drops_clinical_fields(world: dict[str, Any]) -> None:
    day0: RunResult = world["day0"]
    for d in day0.deliveries[:10]:
        names = pq.read_schema(d.directory / "extract.parquet").names
        assert names == [
            "nhs_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "postcode",
            "phone",
        ]


def test_ndoo_not_applied_under_copi_and_decision_recorded(world: dict[str, Any]) -> None:
    day0: RunResult = world["day0"]
    assert day0.opted_out_rows == 0 and day0.opt_out_lists == {}
    import json

    manifest = json.loads(day0.deliveries[0].manifest_path.read_bytes())
    assert manifest["opt_outs"] == {"lists": {}, "rows_removed": 0}


def test_bad_postcodes_go_to_exceptions_never_to_a_guessed_authority(
    world: dict[str, Any],
) -> None:
    day0: RunResult = world["day0"]
    reasons = day0.exceptions_by_reason
    assert reasons.get("not_in_directory:postcode", 0) > 0
    assert reasons.get("standard:postcode", 0) + reasons.get("required:postcode", 0) > 0
    exceptions = pq.read_table(day0.exceptions_path)
    assert exceptions.num_rows == day0.exception_rows
    assert day0.exception_rows + day0.not_entitled_rows + day0.delivered_rows == ROWS


def test_daily_delta_has_additions_and_retractions(world: dict[str, Any]) -> None:
    day0: RunResult = world["day0"]
    day1: RunResult = world["day1"]
    assert all(d.since_run == day0.run_id for d in day1.deliveries)
    added = sum(d.additions or 0 for d in day1.deliveries)
    removed = sum(d.removals or 0 for d in day1.deliveries)
    assert added > 0 and removed > 0
    # A person who moved authority is retracted from one and added to another.
    removals: dict[str, str] = {}
    for d in day1.deliveries:
        for n in pq.read_table(d.directory / "removals.parquet")["nhs_number"].to_pylist():
            removals[n] = d.recipient
    movers = 0
    for d in day1.deliveries:
        for n in pq.read_table(d.directory / "additions.parquet")["nhs_number"].to_pylist():
            if n in removals and removals[n] != d.recipient:
                movers += 1
    assert movers > 0


def test_per_authority_volume_anomalies_are_reported(world: dict[str, Any]) -> None:
    day1: RunResult = world["day1"]
    assert len(day1.anomalies) == len(day1.deliveries)
    assert all(
        a.change is None or a.change == round((a.rows - a.previous_rows) / a.previous_rows, 6)
        for a in day1.anomalies
    )
