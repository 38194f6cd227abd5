"""The person's own view at ``/my-data``: no answer confirms anyone's data to a caller who
cannot prove to be them; attempts are rate-limited per address (issue 14)."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from accord.server.app import create_app
from accord.server.ratelimit import Limit, RateLimits
from accord.service import agreements as agreement_service
from accord.service import own_view, rights, runs, users
from accord.synth import write_population, write_postcode_directory

AID = "urn:accord:agreement:example-shielding"


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient(app, base_url="http://testserver")


def _delivered(site: Any, tmp_path: Path) -> str:
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(site.ws, AID, state, actor="tests")
    directory = runs.postcode_directory(site.ws)
    write_postcode_directory(directory, postcodes=300, seed=8)
    write_population(tmp_path / "p.parquet", rows=200, seed=8, postcode_directory=directory)
    result = runs.run(
        site.ws, AID, source=tmp_path / "p.parquet", geography=runs.load_geography(site.ws)
    )
    d = next(d for d in result.deliveries if d.rows)
    return str(pq.read_table(d.directory / "extract.parquet")["nhs_number"][0].as_py())


def _body(response: Any) -> str:
    """The page without its per-response parts (nothing of them depends on the person)."""
    return re.sub(r'value="[^"]*"', "", response.text)


def test_own_view_refuses_alike_and_shows_the_person_their_own_sharing(
    site: Any, tmp_path: Path
) -> None:
    number = _delivered(site, tmp_path)
    dpo = users.user_by_email(site.ws, "dpo@nhs.example")
    code = own_view.issue_code(site.ws, dpo, number)
    other = own_view.issue_code(site.ws, dpo, "9434765919")  # someone never delivered
    client = _client(create_app(site.ws))
    tries = [
        {"nhs_number": number, "code": other},  # a real person, someone else's code
        {"nhs_number": "9434765919", "code": code},  # someone else, this person's code
        {"nhs_number": "9434765919", "code": "0000-0000-0000"},
        {"nhs_number": "not a number", "code": code},
    ]
    answers = [client.post("/my-data", data=t, follow_redirects=False) for t in tries]
    assert {a.status_code for a in answers} == {401}
    assert len({_body(a) for a in answers}) == 1
    assert "set-cookie" not in {k.lower() for a in answers for k in a.headers}

    ok = client.post("/my-data", data={"nhs_number": number, "code": code}, follow_redirects=False)
    assert ok.status_code == 303
    page = client.get("/my-data").text
    assert "Greenwich" in page or "Middlesbrough" in page
    assert number not in page
    # The code expires after a day.
    site.clock.set(site.clock.now() + own_view.CODE_LIFETIME + timedelta(minutes=1))
    late = _client(create_app(site.ws))
    assert late.post("/my-data", data={"nhs_number": number, "code": code}).status_code == 401
    # An objection needs the verified browser: another browser is refused.
    assert late.post("/my-data/objection", data={"agreement_id": AID}).status_code == 401
    assert [r.kind for r in rights.list_requests(site.ws, dpo)] == []


def test_own_view_attempts_are_rate_limited_per_address(site: Any) -> None:
    app = create_app(
        site.ws, rate_limits=RateLimits(own_view_per_address=Limit(3, timedelta(minutes=15)))
    )
    client = _client(app)
    codes = [
        client.post("/my-data", data={"nhs_number": "9434765919", "code": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
