"""Sign-in, sessions, CSRF and API tokens against the real app on a real SQLite workspace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from accord.service import users as user_service
from accord.store.users import api_tokens, users

PASSWORD = "correct horse battery staple"


def test_sign_in_gives_a_session_that_shows_the_users_own_dashboard(site: Any) -> None:
    client = site.signed_in("siro@nhs.example")
    page = client.get("/")
    assert page.status_code == 200
    assert "Shielded patient list to upper-tier local authorities" in page.text
    assert "Sam Siro" in page.text
    data = client.get("/.json").json()
    assert data["ok"] is True and data["unstable"] is True
    assert [a["id"] for a in data["agreements"]] == ["urn:accord:agreement:example-shielding"]


def test_wrong_password_is_refused_and_no_session_is_made(csrf_from: Any, site: Any) -> None:
    client = site.client()
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": "siro@nhs.example", "password": "not it at all", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "The email address or password is not right".lower() in response.text.lower()
    assert "govuk-error-summary" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303  # to the sign-in page


def test_signed_out_pages_redirect_to_sign_in_and_json_gets_401(site: Any) -> None:
    client = site.client()
    page = client.get("/agreements", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Fagreements"
    data = client.get("/agreements.json")
    assert data.status_code == 401
    assert data.json()["ok"] is False
    assert data.headers["www-authenticate"] == "Bearer"


def test_sign_in_form_needs_its_own_token(site: Any) -> None:
    client = site.client()
    response = client.post(
        "/sign-in", data={"email": "siro@nhs.example", "password": PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 403
    assert "accord_session" not in client.cookies


def test_sign_in_never_redirects_to_another_site(csrf_from: Any, site: Any) -> None:
    client = site.client()
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "email": "siro@nhs.example",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_form_post_without_csrf_token_is_403_and_changes_nothing(site: Any) -> None:
    client = site.signed_in("req@nhs.example")
    response = client.post(
        "/agreements/urn:accord:agreement:example-shielding/move", data={"to": "in_review"}
    )
    assert response.status_code == 403
    assert "csrf_token" in response.text
    status = client.get("/api/agreements/urn:accord:agreement:example-shielding").json()
    assert status["agreement"]["status"] == "draft"


def test_json_post_with_a_session_cookie_needs_the_csrf_header(csrf_from: Any, site: Any) -> None:
    client = site.signed_in("req@nhs.example")
    url = "/api/agreements/urn:accord:agreement:example-shielding/transitions"
    refused = client.post(url, json={"to": "in_review"})
    assert refused.status_code == 403
    assert refused.json()["problems"][0]["where"] == "csrf_token"
    token = csrf_from(client.get("/agreements/urn:accord:agreement:example-shielding").text)
    moved = client.post(url, json={"to": "in_review"}, headers={"X-CSRF-Token": token})
    assert moved.status_code == 200
    assert moved.json()["agreement"]["status"] == "in_review"


def test_sign_out_ends_the_session(csrf_from: Any, site: Any) -> None:
    client = site.signed_in("siro@nhs.example")
    token = csrf_from(client.get("/").text)
    cookie = client.cookies["accord_session"]
    client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    other = site.client()
    other.cookies.set("accord_session", cookie)
    assert other.get("/api/me").status_code == 401


def test_bearer_token_works_until_revoked(site: Any) -> None:
    client = site.client()
    token = site.token("siro@nhs.example")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/me", headers=headers).json()
    assert me["user"]["party"] == "ods:X26" and me["user"]["roles"] == ["siro"]
    token_id = token.split(".")[0]
    assert client.delete(f"/api/tokens/{token_id}", headers=headers).json() == {"ok": True}
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "this API token has been revoked"


def test_expired_token_is_401(site: Any) -> None:
    token = site.token("siro@nhs.example", lifetime=timedelta(hours=1))
    site.clock.advance(timedelta(hours=2))
    response = site.client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["problems"] == [{"where": "token", "reason": "expired"}]


def test_a_tampered_token_is_401_not_another_user(site: Any) -> None:
    token = site.token("siro@nhs.example")
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = site.client().get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "Sam" not in response.text


def test_a_user_cannot_revoke_someone_elses_token(site: Any) -> None:
    victim = site.token("siro@greenwich.example")
    client = site.client()
    response = client.delete(
        f"/api/tokens/{victim.split('.')[0]}", headers=site.bearer("siro@birmingham.example")
    )
    assert response.status_code == 404
    ok = client.get("/api/me", headers={"Authorization": f"Bearer {victim}"})
    assert ok.status_code == 200


def test_passwords_and_tokens_are_not_stored_in_clear(site: Any) -> None:
    token = site.token("siro@nhs.example")
    with site.ws.engine.connect() as conn:
        rows = [*conn.execute(select(users)).all(), *conn.execute(select(api_tokens)).all()]
    stored = [str(v) for row in rows for v in row]
    assert all(PASSWORD not in v and token.split(".")[1] not in v for v in stored)
    assert any(v.startswith("$argon2id$") for v in stored)
    user = user_service.authenticate(site.ws, "SIRO@nhs.example ", PASSWORD)
    assert user.email == "siro@nhs.example"
