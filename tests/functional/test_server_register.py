"""The public register over HTTP (no sign-in), its downloads and JSON-LD, the tree head, and
the JSON error envelope with field paths."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from accord.register.exports import DEA_FIELDS
from accord.register.rows import COLUMNS
from accord.service import agreements as agreement_service

AGREEMENT_ID = "urn:accord:agreement:example-shielding"

A = AGREEMENT_ID


def _go_live(site: Any) -> None:
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(site.ws, A, state, actor="tests")


def test_a_draft_is_not_on_the_register(site: Any) -> None:
    data = site.client().get("/api/register").json()
    assert data == {"ok": True, "columns": list(COLUMNS), "rows": []}


def test_an_emergency_flow_is_held_back_with_a_reason_then_published(site: Any) -> None:
    _go_live(site)
    client = site.client()
    held = client.get("/api/register").json()["rows"]
    assert len(held) == 2
    assert all(r["agreement_id"] is None and r["name"] is None for r in held)
    assert all("within 24 hours" in r["withheld_reason"] for r in held)
    page = client.get("/register")
    assert "Held back" in page.text and "Shielded patient list" not in page.text
    assert client.get(f"/register/agreements/{A}").status_code == 404
    site.clock.advance(timedelta(hours=24))
    rows = client.get("/api/register").json()["rows"]
    assert {r["recipients"][0] for r in rows} == {
        "Greenwich (gss:E09000011)",
        "Middlesbrough (gss:E06000002)",
    }
    assert all(r["withheld_reason"] is None and r["legal_gateway"] for r in rows)


def test_filters_and_csv_download(site: Any) -> None:
    _go_live(site)
    site.clock.advance(timedelta(days=2))
    client = site.client()
    only = client.get("/api/register", params={"recipient": "gss:E06000002"}).json()["rows"]
    assert [r["flow_id"] for r in only] == ["spl-e06000002"]
    assert client.get("/api/register", params={"mode": "routine"}).json()["rows"] == []
    response = client.get("/api/register/rows.csv", params={"gateway": "copi_reg3_4_notice"})
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == list(COLUMNS)
    assert len(table) == 3
    assert table[1][COLUMNS.index("status")] == "active"


def test_dea_odrl_dcat_and_the_public_agreement_page(site: Any) -> None:
    _go_live(site)
    site.clock.advance(timedelta(days=2))
    client = site.client()
    dea = client.get("/api/register/dea").json()
    assert dea["fields"] == list(DEA_FIELDS) and len(DEA_FIELDS) == 18
    assert dea["records"][0]["Controllers"] == "ods:X26; gss:E09000011; gss:E06000002"
    odrl = client.get(f"/api/register/agreements/{A}/odrl")
    assert odrl.headers["content-type"] == "application/ld+json"
    assert odrl.json()["@type"] == "Agreement"
    assert {p["assignee"] for p in odrl.json()["permission"]} == {
        "urn:accord:party:gss:E09000011",
        "urn:accord:party:gss:E06000002",
    }
    dcat = client.get(f"/api/register/agreements/{A}/dcat").json()
    assert len(dcat["dcat:distribution"]) == 2
    page = client.get(f"/register/agreements/{A}")
    assert page.status_code == 200 and "No medical details are shared" in page.text
    as_json = client.get(f"/register/agreements/{A}.json").json()
    assert as_json["ok"] is True and as_json["unstable"] is True


def test_the_tree_head_is_signed_and_checks_with_the_published_key(site: Any) -> None:
    from accord.ledger.checkpoint import NoteVerifier, SignedTreeHead
    from accord.service.heads import sign_head

    _go_live(site)
    assert site.client().get("/api/register/tree-head").json()["size"] == 0  # a GET never signs
    sign_head(site.ws)  # heads are signed on the instance's schedule (sweep, sign-head)
    head = site.client().get("/api/register/tree-head").json()
    assert head["size"] == site.ws.ledger.size() == 4
    verifier = NoteVerifier.from_string(head["verifier_key"])
    checked = SignedTreeHead.from_text(head["checkpoint"]).verify(verifier)
    assert checked.root_hash.hex() == head["root_hash"]
    assert "accord verify" in site.client().get("/register/tree-head").text


def test_bad_bodies_get_the_json_envelope_with_field_paths(site: Any) -> None:
    client = site.client()
    headers = site.bearer("req@nhs.example")
    bad_type = client.post(
        f"/api/agreements/{A}/approvals", json={"decision": "maybe"}, headers=headers
    )
    assert bad_type.status_code == 422
    body = bad_type.json()
    assert body["ok"] is False and body["error"] == "the request is not valid"
    assert {p["where"] for p in body["problems"]} == {"body.role", "body.decision"}
    bad_doc = client.post("/api/agreements", json={"id": "nope", "title": ""}, headers=headers)
    assert bad_doc.status_code == 422
    wheres = {p["where"] for p in bad_doc.json()["problems"]}
    assert {"body.id", "body.title", "body.parties"} <= wheres
    not_json = client.post(
        "/api/agreements",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422 and not_json.json()["ok"] is False
