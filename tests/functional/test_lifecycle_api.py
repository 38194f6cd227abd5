"""The lifecycle API: a council records its own DSPT status, the deadlines list shows when it
ends, and the discloser SIRO's exception is refused with the field named when incomplete."""

from __future__ import annotations

from typing import Any

from accord.service import agreements, assurance

AID = "urn:accord:agreement:example-shielding"


def test_assurance_deadlines_and_exceptions(site: Any) -> None:
    for target in ("in_review", "approved", "active"):
        agreements.transition(site.ws, AID, target)
    client = site.client()
    council = site.bearer("siro@greenwich.example")
    body = {"party": "gss:E09000011", "scheme": "dspt", "status": "standards_met",
            "framework": "caf_aligned", "effective_from": "2025-04-01",
            "valid_until": "2026-04-10"}  # fmt: skip
    made = client.post("/api/assurance", json=body, headers=council)
    assert made.status_code == 201, made.text
    assert made.json()["records"][0]["status_on"]["status"] == "standards_met"
    other = client.post("/api/assurance", json={**body, "party": "gss:E06000002"}, headers=council)
    assert other.status_code == 403  # only a party's own role holders record its assurance
    nhse = site.bearer("siro@nhs.example")
    listed = client.get("/api/deadlines", headers=nhse).json()["deadlines"]
    assert [(d["last_day"], d["days_left"]) for d in listed if "dspt" in d["what"]] == [
        ("2026-04-10", 26)
    ]
    shown = client.get("/api/assurance/gss:E09000011", headers=nhse).json()
    assert [r["valid_until"] for r in shown["records"]] == ["2026-04-10"]
    url = f"/api/agreements/{AID}/exceptions"
    missing = client.post(url, json={"recipient": "gss:E09000011", "ends": "2026-04-01"},
                          headers=nhse)  # fmt: skip
    assert missing.status_code == 422
    assert [p["where"] for p in missing.json()["problems"]] == ["controls"]
    assert assurance.exceptions(site.ws) == []
    ok = client.post(url, json={"recipient": "gss:E09000011", "controls": "Named staff only",
                                "ends": "2026-04-01"}, headers=nhse)  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert client.get(url, headers=nhse).json()["exceptions"][0]["controls"] == "Named staff only"
