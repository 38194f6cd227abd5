"""``/api/rights``: receive, decide, look up; lookups logged and rate-limited (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from accord.ledger.events import PersonLookedUp
from accord.server.app import create_app
from accord.server.ratelimit import Limit, RateLimits
from accord.service import agreements as agreement_service
from accord.service import rights, runs
from accord.synth import write_population, write_postcode_directory

AID = "urn:accord:agreement:example-shielding"


def _delivered(site: Any, tmp_path: Path) -> str:
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(site.ws, AID, state, actor="tests")
    directory = runs.postcode_directory(site.ws)
    write_postcode_directory(directory, postcodes=400, seed=5)
    people = tmp_path / "people.parquet"
    write_population(people, rows=300, seed=5, postcode_directory=directory)
    result = runs.run(site.ws, AID, source=people, geography=runs.load_geography(site.ws))
    d = next(d for d in result.deliveries if d.rows)
    return str(pq.read_table(d.directory / "extract.parquet")["nhs_number"][0].as_py())


def _looked_up(site: Any) -> list[tuple[str, str]]:
    ledger = site.ws.ledger
    events = [ledger.entry(i).event for i in range(ledger.size())]
    return [(e.by, e.outcome) for e in events if isinstance(e, PersonLookedUp)]


def test_a_handler_receives_decides_and_looks_up(site: Any, tmp_path: Path) -> None:
    number = _delivered(site, tmp_path)
    client = site.client()
    dpo = site.bearer("dpo@nhs.example")
    body = {"agreement_id": AID, "kind": "objection", "nhs_number": number}
    made = client.post("/api/rights/requests", json=body, headers=dpo)
    assert made.status_code == 201, made.text
    request = made.json()["request"]
    assert number not in made.text
    assert (request["lead_party"], request["state"], request["days_left"]) == (
        "ods:X26",
        "open",
        31,
    )
    listed = client.get("/api/rights/requests", headers=dpo).json()["requests"]
    assert [r["request_id"] for r in listed] == [request["request_id"]]
    url = f"/api/rights/requests/{request['request_id']}/decisions"
    upheld = client.post(url, json={"decision": "uphold"}, headers=dpo)
    assert upheld.status_code == 201 and upheld.json()["request"]["suppressed_in"] == [AID]
    found = client.post("/api/rights/lookup", json={"nhs_number": number}, headers=dpo).json()
    assert found["person"] == rights.person_hash(site.ws, number)
    assert {d["agreement_id"] for d in found["deliveries"]} == {AID}
    assert _looked_up(site) == [("dpo@nhs.example", "answered")]


def test_a_lookup_by_anyone_else_is_refused_logged_and_rate_limited(
    site: Any, tmp_path: Path
) -> None:
    number = _delivered(site, tmp_path)
    app = create_app(
        site.ws, rate_limits=RateLimits(person_lookups_per_user=Limit(2, timedelta(hours=1)))
    )
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    client = TestClient(app, base_url="http://testserver")
    siro = site.bearer("siro@greenwich.example")  # a party, but not a handler
    unknown = "9434765919"
    answers = [
        client.post("/api/rights/lookup", json={"nhs_number": n}, headers=siro)
        for n in (number, unknown)
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()  # nothing said of whether the person exists
    assert _looked_up(site) == [("siro@greenwich.example", "refused")] * 2
    third = client.post("/api/rights/lookup", json={"nhs_number": number}, headers=siro)
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert len(_looked_up(site)) == 2  # a refused attempt over the limit is not even tried
    site.clock.set(site.clock.now() + timedelta(hours=1))
    dpo = site.bearer("dpo@nhs.example")  # another account has its own allowance
    assert (
        client.post("/api/rights/lookup", json={"nhs_number": number}, headers=dpo).status_code
        == 200
    )
