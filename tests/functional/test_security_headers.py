"""Cookies and transport: HttpOnly and SameSite always, Secure over HTTPS (directly or as a
trusted proxy reports it, never on an untrusted X-Forwarded-Proto); the API docs' policy names
exactly the inline scripts FastAPI serves; the exercise report runs no script. (Every route's
headers are checked in test_authorisation_matrix.py.)"""

from __future__ import annotations

from typing import Any

from accord.server.app import create_app
from accord.server.headers import REPORT_POLICY, script_hashes

PASSWORD = "correct horse battery staple"


def _sign_in(client: Any, csrf_from: Any, **kwargs: Any) -> Any:
    page = client.get("/sign-in", **kwargs)
    form = {
        "email": "siro@nhs.example",
        "password": PASSWORD,
        "csrf_token": csrf_from(page.text),
        "next": "/",
    }
    response = client.post("/sign-in", data=form, follow_redirects=False, **kwargs)
    assert response.status_code == 303, response.text[:300]
    return page, response


def _cookie(response: Any, name: str) -> list[str]:
    """The attributes of the Set-Cookie header for ``name``, lower-cased."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return [part.strip().lower() for part in header.split(";")[1:]]
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def test_cookies_are_httponly_and_samesite_and_not_secure_over_plain_http(
    site: Any, csrf_from: Any
) -> None:
    page, signed_in = _sign_in(site.client(), csrf_from)
    for response, name in ((page, "accord_signin"), (signed_in, "accord_session")):
        attributes = _cookie(response, name)
        assert "httponly" in attributes and "samesite=lax" in attributes
        assert "secure" not in attributes
    assert "strict-transport-security" not in signed_in.headers


def test_over_https_cookies_are_secure_and_hsts_is_sent(site: Any, csrf_from: Any) -> None:
    client = site.client()
    client.base_url = "https://testserver"
    page, signed_in = _sign_in(client, csrf_from)
    assert "secure" in _cookie(page, "accord_signin")
    assert "secure" in _cookie(signed_in, "accord_session")
    assert signed_in.headers["strict-transport-security"] == "max-age=31536000"


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(site: Any, csrf_from: Any) -> None:
    forwarded = {"headers": {"X-Forwarded-Proto": "https"}}
    _, untrusted = _sign_in(site.client(), csrf_from, **forwarded)
    assert "secure" not in _cookie(untrusted, "accord_session")
    site.app = create_app(site.ws, trusted_proxies=["testclient"])
    trusted = site.client().get("/sign-in", **forwarded)
    assert "secure" in _cookie(trusted, "accord_signin")
    assert "strict-transport-security" in trusted.headers
    assert "secure" not in _cookie(site.client().get("/sign-in"), "accord_signin")


def test_the_docs_policy_allows_exactly_the_inline_scripts_of_the_docs_pages(site: Any) -> None:
    client = site.client()
    for path in ("/api/docs", "/docs/oauth2-redirect"):
        response = client.get(path)
        hashes = script_hashes(response.text)
        policy = response.headers["content-security-policy"]
        script_src = policy.partition("script-src")[2].partition(";")[0]
        assert hashes and all(h in script_src for h in hashes)
        assert "unsafe-inline" not in script_src
    page = client.get("/sign-in").headers["content-security-policy"]
    assert "script-src 'self';" in page and "sha256" not in page


def test_the_exercise_report_runs_no_script(site: Any) -> None:
    site.ws.reports_dir.mkdir(parents=True, exist_ok=True)
    report = site.ws.reports_dir / "after-action-report.html"
    report.write_text("<html><style>p{color:red}</style><p>report</p></html>", encoding="utf-8")
    response = site.client().get(
        "/exercise/after-action-report.html", headers=site.bearer("siro@nhs.example")
    )
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == REPORT_POLICY
    assert "script-src" not in REPORT_POLICY and "default-src 'none'" in REPORT_POLICY
