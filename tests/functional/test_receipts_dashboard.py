"""The dashboard lists the deliveries no receipt names yet, for the people who may see them,
marking those already chased; a receipt of the manifest takes a delivery off the list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.service import agreements, runs
from accord.synth import write_population, write_postcode_directory

AID = "urn:accord:agreement:example-shielding"


def _delivered(site: Any, tmp_path: Any) -> None:
    for target in ("in_review", "approved", "active"):
        agreements.transition(site.ws, AID, target)
    directory = runs.postcode_directory(site.ws)
    write_postcode_directory(directory, postcodes=2_000, seed=3)
    source = tmp_path / "people.parquet"
    write_population(source, rows=500, seed=3, postcode_directory=directory)
    runs.run(site.ws, AID, source=source, geography=runs.load_geography(site.ws))


def _unreceived(client: Any) -> list[dict[str, Any]]:
    page = client.get("/", headers={"Accept": "application/json"})
    assert page.status_code == 200
    found: list[dict[str, Any]] = page.json()["unreceived"]
    return found


def test_the_discloser_sees_every_delivery_without_a_receipt_and_a_council_its_own(
    site: Any, tmp_path: Any
) -> None:
    _delivered(site, tmp_path)
    site.clock.advance(timedelta(days=4))
    staff = _unreceived(site.signed_in("siro@nhs.example"))
    assert sorted(u["recipient"] for u in staff) == ["gss:E06000002", "gss:E09000011"]
    assert all(u["chased"] and u["days"] == 4 and u["push"] is None for u in staff)
    council = _unreceived(site.signed_in("siro@greenwich.example"))
    assert [u["recipient"] for u in council] == ["gss:E09000011"]
    html = site.signed_in("siro@nhs.example").get("/").text
    assert "Deliveries without a receipt" in html and staff[0]["id"] in html


def test_a_receipt_of_the_manifest_takes_it_off_the_list(site: Any, tmp_path: Any) -> None:
    _delivered(site, tmp_path)
    (mine,) = _unreceived(site.signed_in("siro@greenwich.example"))
    collector = site.client()
    made = collector.get("/api/deliveries", headers=site.bearer("svc@greenwich.example")).json()
    (delivery,) = made["deliveries"]
    answer = collector.post(
        f"/api/deliveries/{mine['id']}/receipt",
        json={"manifest_sha256": delivery["manifest_sha256"]},
        headers=site.bearer("svc@greenwich.example"),
    )
    assert answer.status_code == 200, answer.text
    assert _unreceived(site.signed_in("siro@greenwich.example")) == []
    assert len(_unreceived(site.signed_in("siro@nhs.example"))) == 1
