"""OpenID Connect sign-in against a real provider on 127.0.0.1 (issue 19).

The provider is ``oidc-provider-mock`` (a Flask app on authlib's authorisation server), served
by werkzeug on a loopback port for the test, with accord registered as a confidential client
(its secret is checked at the token endpoint). A small WSGI wrapper keeps each request the
provider received, so the tests can check what accord sent: the PKCE S256 challenge of the
verifier it later presented, the nonce, the client authentication.

accord's workspace clock starts at the wall clock's reading (the provider stamps its tokens
with real time) and is moved forward where a test needs a token to have expired.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accord.clock import FixedClock, SystemClock
from accord.errors import ConfigError, NotAuthenticated
from accord.server.app import create_app
from accord.server.oidc import OidcClient, OidcSettings
from accord.workspace import Workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # authlib.jose, inside the provider
    import oidc_provider_mock
    import werkzeug.serving

# The provider (a test tool, not accord) still calls authlib APIs that authlib deprecates; its
# warnings are raised in its server thread while a test runs.
pytestmark = [
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated:DeprecationWarning"),
]

REDIRECT = "http://testserver/sign-in/oidc/callback"
KNOWN = "siro@nhs.example"  # an accord user (tests/functional/conftest.py PEOPLE)


@dataclass
class Recorder:
    """WSGI middleware: every request the provider got (path, query, form body)."""

    app: Any
    seen: list[tuple[str, dict[str, list[str]], dict[str, list[str]], str]] = field(
        default_factory=list
    )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        body = b""
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            import io

            environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append(
            (
                environ["PATH_INFO"],
                parse_qs(environ.get("QUERY_STRING", "")),
                parse_qs(body.decode()),
                environ.get("HTTP_AUTHORIZATION", ""),
            )
        )
        return self.app(environ, start_response)

    def requests_to(self, path: str) -> list[tuple[dict[str, list[str]], dict[str, list[str]]]]:
        return [(q, f) for p, q, f, _ in self.seen if p == path]


@dataclass
class Provider:
    issuer: str
    recorder: Recorder
    clients: dict[str, str]  # client id -> secret

    def register(self) -> tuple[str, str]:
        answer = httpx.post(
            f"{self.issuer}/oauth2/clients",
            json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"},
        )
        assert answer.status_code == 201, answer.text
        found = answer.json()
        self.clients[found["client_id"]] = found["client_secret"]
        return found["client_id"], found["client_secret"]


@pytest.fixture
def provider() -> Iterator[Provider]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = oidc_provider_mock.app(
            require_client_registration=True,
            require_nonce=True,
            access_token_max_age=timedelta(minutes=5),
            user_claims=[
                oidc_provider_mock.User(
                    sub="cis2-0001", claims={"email": KNOWN, "email_verified": True}
                ),
                oidc_provider_mock.User(
                    sub="cis2-0002",
                    claims={"email": "nobody@nhs.example", "email_verified": True},
                ),
                oidc_provider_mock.User(
                    sub="cis2-0003", claims={"email": KNOWN, "email_verified": False}
                ),
            ],
        )
    recorder = Recorder(app)
    server = werkzeug.serving.make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}", recorder, {})
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class World:
    ws: Workspace
    clock: FixedClock
    settings: OidcSettings
    provider: Provider

    def client(self) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            from starlette.testclient import TestClient
        return TestClient(create_app(self.ws, oidc=self.settings), base_url="http://testserver")


@pytest.fixture
def world(template_workspace: Path, tmp_path: Path, provider: Provider) -> Iterator[World]:
    root = tmp_path / "ws"
    shutil.copytree(template_workspace, root)
    clock = FixedClock(SystemClock().now())  # the provider signs with the wall clock
    client_id, secret = provider.register()
    settings = OidcSettings(
        issuer=provider.issuer, client_id=client_id, client_secret=secret, label="Sign in with CIS2"
    )
    with Workspace.open(root, clock=clock) as ws:
        yield World(ws, clock, settings, provider)


def _to_provider(accord: Any, next_: str = "/agreements") -> str:
    leave = accord.get(f"/sign-in/oidc?next={next_}", follow_redirects=False)
    assert leave.status_code == 303
    cookie = leave.headers["set-cookie"]
    assert "accord_oidc=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    return str(leave.headers["location"])


def _consent(url: str, sub: str) -> str:
    """Be the person at the provider: choose the account; the redirect back to accord."""
    with httpx.Client() as browser:
        assert browser.get(url).status_code == 200
        answer = browser.post(url, data={"sub": sub}, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = str(answer.headers["location"])
    assert back.startswith(REDIRECT)
    return back


def _back(accord: Any, back: str) -> Any:
    parts = urlsplit(back)
    return accord.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_a_known_person_signs_in_with_pkce_state_and_nonce(world: World) -> None:
    accord = world.client()
    page = accord.get("/sign-in")
    assert "Sign in with CIS2" in page.text and 'name="password"' in page.text  # both ways
    url = _to_provider(accord)
    sent = parse_qs(urlsplit(url).query)
    assert sent["response_type"] == ["code"] and sent["code_challenge_method"] == ["S256"]
    assert sent["client_id"] == [world.settings.client_id]
    assert set(sent["scope"][0].split()) >= {"openid", "email"}
    assert sent["redirect_uri"] == [REDIRECT]
    assert sent["state"][0] and sent["nonce"][0]

    done = _back(accord, _consent(url, "cis2-0001"))
    assert done.status_code == 303 and done.headers["location"] == "/agreements"
    session = [c for c in done.headers.get_list("set-cookie") if c.startswith("accord_session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=lax" in session[0]
    me = accord.get("/api/me")
    assert me.status_code == 200 and me.json()["user"]["email"] == KNOWN

    # What the provider saw: the verifier presented at the token endpoint hashes to the
    # challenge sent first, and accord authenticated as its registered client.
    (token_query, token_form), *_ = world.provider.recorder.requests_to("/oauth2/token")
    verifier = token_form["code_verifier"][0]
    assert _b64(hashlib.sha256(verifier.encode()).digest()) == sent["code_challenge"][0]
    assert token_form["grant_type"] == ["authorization_code"]
    auths = [a for p, _, _, a in world.provider.recorder.seen if p == "/oauth2/token"]
    assert auths[0].startswith("Basic ")


def test_password_sign_in_still_works_beside_it(world: World, csrf_from: Any) -> None:
    accord = world.client()
    token = csrf_from(accord.get("/sign-in").text)
    form = {"email": KNOWN, "password": "correct horse battery staple", "csrf_token": token}
    assert accord.post("/sign-in", data=form, follow_redirects=False).status_code == 303
    assert accord.get("/api/me").json()["user"]["email"] == KNOWN


def _refused(answer: Any, reason: str) -> None:
    assert answer.status_code == 401, answer.text
    assert reason in answer.text
    assert not any(c.startswith("accord_session=") for c in answer.headers.get_list("set-cookie"))


def test_a_person_with_no_accord_account_is_refused(world: World) -> None:
    accord = world.client()
    answer = _back(accord, _consent(_to_provider(accord), "cis2-0002"))
    _refused(answer, "not linked to an accord account")
    assert accord.get("/api/me").status_code == 401


def test_an_email_the_provider_has_not_verified_is_refused(world: World) -> None:
    accord = world.client()
    answer = _back(accord, _consent(_to_provider(accord), "cis2-0003"))
    _refused(answer, "has not verified this email address")


def test_a_changed_state_is_refused(world: World) -> None:
    accord = world.client()
    back = _consent(_to_provider(accord), "cis2-0001")
    _refused(_back(accord, back.replace("state=", "state=x")), "state returned is not the one")


def test_a_callback_in_another_browser_is_refused(world: World) -> None:
    """Login CSRF: someone else's code and state, without the cookie that started it."""
    attacker = world.client()
    back = _consent(_to_provider(attacker), "cis2-0001")
    victim = world.client()
    _refused(_back(victim, back), "cookie is not valid")


def test_an_expired_id_token_is_refused(world: World) -> None:
    accord = world.client()
    back = _consent(_to_provider(accord), "cis2-0001")
    world.clock.advance(timedelta(minutes=7))  # the token lives five minutes (+1 leeway)
    _refused(_back(accord, back), "has expired")


def _id_token(world: World, host: str | None = None) -> tuple[str, str]:
    """An id_token the provider issued to accord, and the nonce it was asked for."""
    accord = world.client()
    url = _to_provider(accord)
    nonce = parse_qs(urlsplit(url).query)["nonce"][0]
    back = parse_qs(urlsplit(_consent(url, "cis2-0001")).query)
    client_id = parse_qs(urlsplit(url).query)["client_id"][0]
    answer = httpx.post(
        world.provider.issuer + "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": REDIRECT,
        },
        auth=(client_id, world.provider.clients[client_id]),
        headers={"Host": host} if host else None,  # the provider names itself after the host
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id_token"]), nonce


def test_the_id_token_is_checked_claim_by_claim(world: World) -> None:
    token, nonce = _id_token(world)
    rp = OidcClient(world.settings)
    now = world.clock.now()
    assert rp.verify_id_token(token, nonce, now).email == KNOWN
    with pytest.raises(NotAuthenticated, match="did not complete") as caught:
        rp.verify_id_token(token, "another-nonce", now)
    assert "nonce" in caught.value.problems[0].reason
    head, body, signature = token.split(".")
    forged = ".".join(
        [head, body, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    with pytest.raises(NotAuthenticated) as caught:
        rp.verify_id_token(forged, nonce, now)
    assert "signature" in caught.value.problems[0].reason
    # The same token shown to another client of the same provider: not its audience.
    other_id, other_secret = world.provider.register()
    other = OidcClient(
        OidcSettings(issuer=world.provider.issuer, client_id=other_id, client_secret=other_secret)
    )
    with pytest.raises(NotAuthenticated) as caught:
        other.verify_id_token(token, nonce, now)
    assert "audience" in caught.value.problems[0].reason
    with pytest.raises(NotAuthenticated) as caught:
        rp.verify_id_token(token, nonce, now - timedelta(minutes=10))
    assert "future" in caught.value.problems[0].reason
    # Signed with the right key, but issued under another name: not this issuer's.
    port = urlsplit(world.provider.issuer).port
    elsewhere, nonce = _id_token(world, host=f"localhost:{port}")
    with pytest.raises(NotAuthenticated) as caught:
        rp.verify_id_token(elsewhere, nonce, now)
    assert "another issuer" in caught.value.problems[0].reason


def test_settings_refuse_a_plain_http_issuer() -> None:
    with pytest.raises(ConfigError):
        OidcSettings(issuer="http://idp.example", client_id="x", client_secret="y")
    assert OidcSettings(issuer="https://idp.example", client_id="x", client_secret="y")


def test_without_a_provider_the_routes_are_not_there(world: World) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    plain = TestClient(create_app(world.ws), base_url="http://testserver")
    assert plain.get("/sign-in/oidc", follow_redirects=False).status_code == 404
    assert "Sign in with CIS2" not in plain.get("/sign-in").text
