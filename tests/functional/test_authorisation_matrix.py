"""Every route of the app, from its own route table, tried by every kind of caller.

Two active agreements that share no party: X (the example: NHS England discloses to Greenwich
and Middlesbrough) and Y (a copy between three other bodies, with a user at Leeds). X has a
delivery to each recipient and a dispute raised by Middlesbrough. Each role calls every route
(web pages with a session and their CSRF token, the API and Delta Sharing with a bearer token)
and the test checks the status against :data:`MATRIX`, that the body names nothing the role may
not see, and that the response carries the security headers (CSP and the rest). A route added
to the app without a line in the matrix fails :func:`test_every_route_has_an_expectation`.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from accord.clock import FixedClock
from accord.disputes.model import Ground
from accord.ledger.events import DeliveryMade
from accord.model import Agreement, example_document
from accord.server.app import create_app
from accord.server.ratelimit import Limit, RateLimits
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service import users as user_service
from accord.workspace import Workspace

START = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
X = "urn:accord:agreement:example-shielding"
Y = "urn:accord:agreement:other-zone"
PASSWORD = "correct horse battery staple"
LEEDS_SIRO = "siro@leeds.example"
DISPUTE = "{dispute}"  # the id of the dispute Middlesbrough raised on X
# Text that names each agreement's private records: its deliveries and disputes, and (outside
# the public register) the agreement and its parties.
X_PRIVATE = ("d-greenwich", "d-middlesbrough", DISPUTE)
X_NAMES = ("example-shielding", "Greenwich", "Middlesbrough")
Y_PRIVATE = ("d-coventry", "d-leeds")
Y_NAMES = ("other-zone", "Coventry", "Leeds", "Northern Care Board")

_Y_RENAMES = [
    (X, Y),
    ("ods:X26", "ods:Y62"),
    ("NHS England", "Northern Care Board"),
    ("E09000011", "E08000026"),
    ("e09000011", "e08000026"),
    ("Greenwich", "Coventry"),
    ("E06000002", "E08000035"),
    ("e06000002", "e08000035"),
    ("Middlesbrough", "Leeds"),
    ("nhs.example", "north.example"),
]


def _agreement_y() -> Agreement:
    text = json.dumps(example_document())
    for old, new in _Y_RENAMES:
        text = text.replace(old, new)
    return Agreement.model_validate(json.loads(text))


def _deliver(ws: Workspace, agreement_id: str, recipient: str, delivery_id: str) -> str:
    v = agreement_service.get(ws, agreement_id)
    event = DeliveryMade(
        agreement_id=agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at="2026-03-16T10:00:00.000000Z",
        delivery_id=delivery_id,
        recipient=recipient,
        manifest_sha256="ab" * 32,
        row_count=42,
        run_id=f"run-{delivery_id}",
    )
    return ws.ledger.append(event, ws.clock.now()).event_id


@dataclass(frozen=True)
class World:
    root: Path
    dispute_id: str
    victim_token_id: str  # a token of Leeds' SIRO, which only Leeds may revoke
    event_id: str  # the ledger event of the delivery to Greenwich


@pytest.fixture(scope="module")
def world(template_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("matrix") / "ws"
    shutil.copytree(template_workspace, root)
    with Workspace.open(root, clock=FixedClock(START)) as ws:
        agreement_service.create(ws, _agreement_y(), actor="tests")
        for agreement_id in (X, Y):
            for state in ("in_review", "approved", "active"):
                agreement_service.transition(ws, agreement_id, state, actor="tests")
        leeds = user_service.add_user(
            ws, LEEDS_SIRO, "Lou Siro", "gss:E08000035", ["siro"], PASSWORD
        )
        middlesbrough = user_service.user_by_email(ws, "siro@middlesbrough.example")
        dispute = dispute_service.raise_dispute(
            ws,
            agreement_id=X,
            flow_id="spl-e06000002",
            actor=dispute_service.actor_for(middlesbrough, "siro"),
            ground=Ground.other,
            statement="The flow needs a review.",
            offer=None,
        )
        # Delivered under the version the dispute's narrowing made active.
        event_id = _deliver(ws, X, "gss:E09000011", "d-greenwich")
        _deliver(ws, X, "gss:E06000002", "d-middlesbrough")
        _deliver(ws, Y, "gss:E08000026", "d-coventry")
        _deliver(ws, Y, "gss:E08000035", "d-leeds")
        victim = user_service.issue_token(ws, leeds, "victim", timedelta(days=30))
    return World(root, dispute.id, victim.id, event_id)


@dataclass(frozen=True)
class Role:
    """A kind of caller: who signs in (or which broken token is sent), and what it may not read."""

    name: str
    email: str | None = None
    token: str | None = None  # "expired", "revoked", "garbage": a bearer token that fails
    forbidden: tuple[str, ...] = ()  # never in a body, on any route
    private: tuple[str, ...] = ()  # never in a body outside the public register


_A = ("requester", "siro", "caldicott_guardian", "legal", "dpo")
_A_EMAIL = {"requester": "req", "siro": "siro", "caldicott_guardian": "cg", "legal": "legal"}
_OUTSIDE_BOTH = X_PRIVATE + Y_PRIVATE
# A recipient sees only its own deliveries. (The dispute Middlesbrough raised is named in X's
# history, which every party of X reads: it made X's current version; its page stays closed.)
_B_FORBIDDEN = (*Y_PRIVATE, "d-middlesbrough")
_NAMES_BOTH = X_NAMES + Y_NAMES
ROLES = [
    Role("signed-out", forbidden=_OUTSIDE_BOTH, private=_NAMES_BOTH),
    *(
        Role(f"A:{r}", f"{_A_EMAIL.get(r, r)}@nhs.example", forbidden=Y_PRIVATE, private=Y_NAMES)
        for r in _A
    ),
    Role("B:siro", "siro@greenwich.example", forbidden=_B_FORBIDDEN, private=Y_NAMES),
    Role("B:recipient_service", "svc@greenwich.example", forbidden=_B_FORBIDDEN, private=Y_NAMES),
    Role("C:siro (other agreement)", LEEDS_SIRO, forbidden=X_PRIVATE, private=X_NAMES),
    Role("no agreement", "siro@birmingham.example", forbidden=_OUTSIDE_BOTH, private=_NAMES_BOTH),
    Role("expired token", token="expired", forbidden=_OUTSIDE_BOTH, private=_NAMES_BOTH),
    Role("revoked token", token="revoked", forbidden=_OUTSIDE_BOTH, private=_NAMES_BOTH),
    Role("garbage token", token="garbage", forbidden=_OUTSIDE_BOTH, private=_NAMES_BOTH),
]

SHARE_X = X.replace(":", "_")
SAMPLE_FILES = {"/assets": "/images/favicon.svg", "/static": "/accord.js"}


def routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route in the app's own table; a mount counts as its GET."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append(("GET", f"{route.path}/{{file}}"))
            continue
        found.extend((m, route.path or "") for m in sorted(route.methods or ()) if m != "HEAD")
    return found


def _url(path: str, world: World) -> tuple[str, list[str]]:
    """The path with its parameters filled in, and the values filled in (an answer may echo
    what the caller sent, which is no leak)."""
    values = {
        "agreement_id": X,
        "dispute_id": world.dispute_id,
        "delivery_id": "d-middlesbrough",
        "token_id": world.victim_token_id,
        "party": "ods:X26",
        "event_id": world.event_id,
        "share": SHARE_X,
        "schema": "deliveries",
        "table": "spl-e09000011",  # Greenwich's own table
        "file_id": "f-nope",
        "rest": "nope",
        "request_id": "rr-nope",
    }

    sent: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == "file":
            return ""
        sent.append(values[name])
        return values[name]

    url = re.sub(r"\{([^}]+)\}", fill, path)
    for mount, sample in SAMPLE_FILES.items():
        if url == f"{mount}/":
            url = mount + sample
    return url, sent


@dataclass
class Caller:
    """One role's client: a session for pages, a bearer token for the API and Delta Sharing."""

    client: Any
    bearer: dict[str, str]
    csrf: str | None

    def call(self, method: str, url: str) -> Any:
        api = url.startswith(("/api/", "/delta-sharing"))
        headers = dict(self.bearer) if api or not self.csrf else {}
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if method in ("POST", "PUT", "PATCH"):
            if api:
                kwargs["json"] = {}
            else:
                kwargs["data"] = {"csrf_token": self.csrf or ""}
        return self.client.request(method, url, **kwargs)


def _broken_token(ws: Workspace, kind: str) -> str:
    user = user_service.user_by_email(ws, "siro@nhs.example")
    if kind == "garbage":
        return "tok_garbage.not-a-token"
    if kind == "revoked":
        issued = user_service.issue_token(ws, user, "revoked", timedelta(days=1))
        user_service.revoke_token(ws, issued.id)
        return issued.token
    now = ws.clock.now()
    ws.clock.set(now - timedelta(days=2))  # type: ignore[attr-defined]
    issued = user_service.issue_token(ws, user, "expired", timedelta(days=1))
    ws.clock.set(now)  # type: ignore[attr-defined]
    return issued.token


def _caller(ws: Workspace, app: Any, role: Role, client_class: Any, csrf_from: Any) -> Caller:
    client = client_class(app, base_url="http://testserver")
    if role.token is not None:
        return Caller(client, {"Authorization": f"Bearer {_broken_token(ws, role.token)}"}, None)
    if role.email is None:
        return Caller(client, {}, None)
    token = csrf_from(client.get("/sign-in").text)
    form = {"email": role.email, "password": PASSWORD, "csrf_token": token, "next": "/"}
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303
    csrf = csrf_from(client.get("/").text)
    user = user_service.user_by_email(ws, role.email)
    bearer = user_service.issue_token(ws, user, "matrix", timedelta(days=1)).token
    return Caller(client, {"Authorization": f"Bearer {bearer}"}, csrf)


@pytest.fixture
def opened(world: World, tmp_path: Path) -> Iterator[tuple[Workspace, Any]]:
    root = tmp_path / "ws"
    shutil.copytree(world.root, root)
    # The broken-token roles send ~85 bad tokens from one address: above the limit, which
    # test_rate_limits.py proves; here every route must be reached.
    limits = RateLimits(bad_tokens_per_address=Limit(1000, timedelta(minutes=1)))
    with Workspace.open(root, clock=FixedClock(START)) as ws:
        yield ws, create_app(ws, rate_limits=limits, security_contact="mailto:sec@nhs.example")


def _client_class() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_each_role_on_every_route(
    role: Role, world: World, opened: tuple[Workspace, Any], csrf_from: Any
) -> None:
    ws, app = opened
    caller = _caller(ws, app, role, _client_class(), csrf_from)
    wrong = []
    forbidden = [t.replace(DISPUTE, world.dispute_id) for t in role.forbidden]
    private = [t.replace(DISPUTE, world.dispute_id) for t in role.private]
    # Signing out last, so that every other route is tried with a live session.
    for method, path in sorted(routes(app), key=lambda route: route == ("POST", "/sign-out")):
        url, sent = _url(path, world)
        response = caller.call(method, url)
        body = response.text
        for value in sorted(sent, key=len, reverse=True):
            body = body.replace(value, "").replace(quote(value, safe=""), "")
        if (method, path) not in EXPECTED:
            wrong.append(f"{method} {path}: {response.status_code}, and no line in MATRIX")
            continue
        expected = EXPECTED[(method, path)][ROLES.index(role)]
        if response.status_code != expected:
            wrong.append(f"{method} {path}: {response.status_code}, expected {expected}")
        wrong.extend(f"{method} {path}: {problem}" for problem in _header_problems(response))
        public = path.startswith(PUBLIC_PREFIXES)
        for text in (*forbidden, *(() if public else private)):
            if text in body:
                wrong.append(f"{method} {path}: {response.status_code} shows {text!r}")
    assert not wrong, "\n".join(wrong)


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def _header_problems(response: Any) -> list[str]:
    """What is missing from the security headers every response carries (see headers.py)."""
    problems = [
        f"{name} is {response.headers.get(name)!r}"
        for name, value in SECURITY_HEADERS.items()
        if response.headers.get(name) != value
    ]
    csp = response.headers.get("content-security-policy", "")
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}: {csp!r}")
    if "unsafe-inline" in csp.partition("script-src")[2].partition(";")[0]:
        problems.append(f"CSP allows inline script: {csp!r}")
    if "camera=()" not in response.headers.get("permissions-policy", ""):
        problems.append("no Permissions-Policy")
    return problems


def test_every_route_has_an_expectation(opened: tuple[Workspace, Any]) -> None:
    _, app = opened
    table = set(routes(app))
    assert not table - EXPECTED.keys(), f"routes with no expectation: {table - EXPECTED.keys()}"
    assert not EXPECTED.keys() - table, f"expectations of no route: {EXPECTED.keys() - table}"


PUBLIC_PREFIXES = ("/api/register", "/register", "/api/openapi.json")
# The expected status of each route (a line) for each role (a column, in the order of ROLES):
#   out: signed out; A: req, siro, cg (Caldicott guardian), legal, dpo of NHS England, X's
#   discloser; Bs, Bsv: Greenwich's SIRO and recipient service (a recipient of X); C: Leeds'
#   SIRO (a party of Y only); none: Birmingham (in no agreement); exp, rev, bad: an expired, a
#   revoked and a garbage bearer token. Pages redirect (303) to sign-in when nobody is signed in;
#   the API answers 401. Another party's record is 404, the same answer as one that does not
#   exist; a role that never may is 403. A body the route cannot take is 422 for any id. The
#   fake deliveries have no files, so table-level Delta Sharing routes are 404 for everyone (the
#   real ones are tried in test_delta_sharing.py).
#
#   out req siro cg legal dpo Bs Bsv C none exp rev bad
MATRIX = """
GET /.well-known/security.txt
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/openapi.json
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/docs
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /docs/oauth2-redirect
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /assets/{file}
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /static/{file}
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/me
    401 200 200 200 200 200 200 200 200 200 401 401 401
GET /api/tokens
    401 200 200 200 200 200 200 200 200 200 401 401 401
DELETE /api/tokens/{token_id}
    401 404 404 404 404 404 404 404 200 404 401 401 401
GET /api/agreements
    401 200 200 200 200 200 200 403 200 200 401 401 401
POST /api/agreements
    401 422 403 403 403 403 403 403 403 422 401 401 401
GET /api/agreements/{agreement_id}
    401 200 200 200 200 200 200 403 404 404 401 401 401
GET /api/agreements/{agreement_id}/versions
    401 200 200 200 200 200 200 403 404 404 401 401 401
POST /api/agreements/{agreement_id}/transitions
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /api/agreements/{agreement_id}/approvals
    401 200 200 200 200 200 200 403 404 404 401 401 401
POST /api/agreements/{agreement_id}/approvals
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /api/deliveries
    401 200 200 200 200 200 200 200 200 200 401 401 401
GET /api/deliveries/{delivery_id:path}/manifest
    401 404 404 404 404 404 404 404 404 404 401 401 401
GET /api/register
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/rows.csv
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/dea
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/dea.csv
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/agreements/{agreement_id}/odrl
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /api/register/agreements/{agreement_id}/dcat
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /api/register/tree-head
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/tree-heads
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/tree-heads.jsonl
    200 200 200 200 200 200 200 200 200 200 200 200 200
GET /api/register/checkpoint
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /api/register/consistency
    422 422 422 422 422 422 422 422 422 422 422 422 422
GET /api/register/proofs/{event_id}
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /api/assurance/{party}
    401 200 200 200 200 200 200 403 200 200 401 401 401
POST /api/assurance
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /api/agreements/{agreement_id}/exceptions
    401 200 200 200 200 200 200 403 404 404 401 401 401
POST /api/agreements/{agreement_id}/exceptions
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /api/deadlines
    401 200 200 200 200 200 200 403 200 200 401 401 401
POST /api/witness/add-checkpoint
    400 400 400 400 400 400 400 400 400 400 400 400 400
GET /api/agreements/{agreement_id}/exit
    401 200 200 200 200 200 200 403 404 404 401 401 401
POST /api/agreements/{agreement_id}/exit/cease
    401 403 201 403 403 403 403 403 404 404 401 401 401
POST /api/agreements/{agreement_id}/exit/withdraw
    401 422 422 422 422 422 422 403 422 422 401 401 401
POST /api/agreements/{agreement_id}/exit/certificates
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /delta-sharing/shares
    401 200 200 200 200 200 200 200 200 200 401 401 401
GET /delta-sharing/shares/{share}
    401 404 404 404 404 404 200 200 404 404 401 401 401
GET /delta-sharing/shares/{share}/schemas
    401 404 404 404 404 404 200 200 404 404 401 401 401
GET /delta-sharing/shares/{share}/schemas/{schema}/tables
    401 404 404 404 404 404 200 200 404 404 401 401 401
GET /delta-sharing/shares/{share}/all-tables
    401 404 404 404 404 404 200 200 404 404 401 401 401
GET /delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/version
    401 404 404 404 404 404 404 404 404 404 401 401 401
GET /delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/metadata
    401 404 404 404 404 404 404 404 404 404 401 401 401
POST /delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/query
    401 404 404 404 404 404 404 404 404 404 401 401 401
GET /delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/changes
    401 404 404 404 404 404 404 404 404 404 401 401 401
GET /delta-sharing/files/{file_id}
    403 403 403 403 403 403 403 403 403 403 403 403 403
GET /delta-sharing/{rest:path}
    404 404 404 404 404 404 404 404 404 404 404 404 404
POST /delta-sharing/{rest:path}
    404 404 404 404 404 404 404 404 404 404 404 404 404
POST /api/deliveries/{delivery_id:path}/receipt
    401 422 422 422 422 422 422 422 422 422 401 401 401
GET /api/releases
    401 200 200 200 200 200 200 403 200 200 401 401 401
GET /api/releases/{delivery_id:path}
    401 404 404 404 404 404 404 403 404 404 401 401 401
POST /api/releases/{delivery_id:path}/reviews
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /sign-in
    200 200 200 200 200 200 200 200 200 200 303 303 303
POST /sign-in
    403 403 403 403 403 403 403 403 403 403 403 403 403
GET /sign-in/oidc
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /sign-in/oidc/callback
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /
    303 200 200 200 200 200 200 403 200 200 303 303 303
GET /agreements/new
    303 200 403 403 403 403 403 403 403 200 303 303 303
GET /agreements/new/incident
    303 303 403 403 403 403 403 403 403 303 303 303 303
GET /agreements/new/emergency
    303 303 403 403 403 403 403 403 403 303 303 303 303
GET /agreements/new/parties
    303 303 403 403 403 403 403 403 403 303 303 303 303
GET /agreements/new/check
    303 303 403 403 403 403 403 403 403 303 303 303 303
POST /agreements/new
    401 422 403 403 403 403 403 403 403 422 401 401 401
GET /agreements
    303 200 200 200 200 200 200 403 200 200 303 303 303
GET /agreements/{agreement_id}
    303 200 200 200 200 200 200 403 404 404 303 303 303
POST /agreements/{agreement_id}/move
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /agreements/{agreement_id}/approve
    303 200 200 200 200 200 200 403 404 404 303 303 303
POST /agreements/{agreement_id}/approve
    401 422 422 422 422 422 422 403 404 404 401 401 401
GET /agreements/{agreement_id}/disputes/new
    303 200 200 200 200 200 200 403 404 404 303 303 303
POST /agreements/{agreement_id}/disputes/new
    401 422 422 422 422 422 422 403 404 404 401 401 401
GET /disputes/{dispute_id}/offer
    303 200 200 200 200 200 404 403 404 404 303 303 303
POST /disputes/{dispute_id}/offer
    401 422 422 422 422 422 404 403 404 404 401 401 401
GET /disputes/{dispute_id}/decide
    303 200 200 200 200 200 404 403 404 404 303 303 303
POST /disputes/{dispute_id}/decide
    401 422 422 422 422 422 404 403 404 404 401 401 401
GET /disputes/{dispute_id}/withdraw
    303 200 200 200 200 200 404 403 404 404 303 303 303
POST /disputes/{dispute_id}/withdraw
    401 422 422 422 422 422 404 403 404 404 401 401 401
GET /disputes
    303 200 200 200 200 200 200 403 200 200 303 303 303
GET /disputes/{dispute_id}
    303 200 200 200 200 200 404 403 404 404 303 303 303
GET /exercise
    303 200 200 200 200 200 200 403 200 200 303 303 303
GET /exercise/after-action-report.html
    303 404 404 404 404 404 404 403 404 404 303 303 303
GET /register
    200 200 200 200 200 200 200 200 200 200 303 303 303
GET /register/agreements/{agreement_id}
    404 404 404 404 404 404 404 404 404 404 404 404 404
GET /register/tree-head
    200 200 200 200 200 200 200 200 200 200 303 303 303
GET /agreements/{agreement_id}/exception
    303 200 200 200 200 200 200 403 404 404 303 303 303
POST /agreements/{agreement_id}/exception
    401 422 422 422 422 422 422 403 404 404 401 401 401
GET /agreements/{agreement_id}/deletion-certificate
    303 200 200 200 200 200 200 403 404 404 303 303 303
POST /agreements/{agreement_id}/deletion-certificate
    401 403 422 403 403 422 422 403 404 404 401 401 401
GET /releases
    303 200 200 200 200 200 200 403 200 200 303 303 303
GET /releases/{delivery_id:path}
    303 404 404 404 404 404 404 403 404 404 303 303 303
POST /releases/{delivery_id:path}
    401 404 404 404 404 404 404 403 404 404 401 401 401
GET /api/agreements/{agreement_id}/accesses
    401 200 200 200 200 200 200 403 404 404 401 401 401
GET /agreements/{agreement_id}/accesses
    303 200 200 200 200 200 200 403 404 404 303 303 303
GET /sharing/profiles
    303 403 200 403 403 403 200 403 200 200 303 303 303
POST /sharing/profiles
    401 403 422 403 403 403 422 403 422 422 401 401 401
POST /sharing/profiles/{token_id}/revoke
    401 403 404 403 403 403 404 403 404 404 401 401 401
POST /sign-out
    403 303 303 303 303 303 303 303 303 303 401 401 401
GET /rights
    303 403 403 403 403 200 403 403 403 403 303 303 303
POST /rights/requests
    401 403 403 403 403 422 403 403 403 403 401 401 401
POST /rights/lookup
    401 403 403 403 403 422 403 403 403 403 401 401 401
POST /rights/codes
    401 403 403 403 403 422 403 403 403 403 401 401 401
GET /rights/requests/{request_id}
    303 404 404 404 404 404 404 403 404 404 303 303 303
POST /rights/requests/{request_id}
    401 404 404 404 404 404 404 403 404 404 401 401 401
GET /my-data
    200 200 200 200 200 200 200 200 200 200 303 303 303
POST /my-data
    401 401 401 401 401 401 401 401 401 401 401 401 401
POST /my-data/objection
    401 401 401 401 401 401 401 401 401 401 401 401 401
GET /api/rights/requests
    401 403 403 403 403 200 403 403 403 403 401 401 401
POST /api/rights/requests
    401 422 422 422 422 422 422 403 422 422 401 401 401
GET /api/rights/requests/{request_id}
    401 404 404 404 404 404 404 403 404 404 401 401 401
POST /api/rights/requests/{request_id}/decisions
    401 422 422 422 422 422 422 403 422 422 401 401 401
POST /api/rights/lookup
    401 422 422 422 422 422 422 403 422 422 401 401 401
"""


def _expected(text: str) -> dict[tuple[str, str], tuple[int, ...]]:
    lines = [line.strip() for line in text.strip().splitlines()]
    table = {}
    for route, codes in zip(lines[::2], lines[1::2], strict=True):
        method, path = route.split(" ")
        statuses = tuple(int(code) for code in codes.split())
        assert len(statuses) == len(ROLES), route
        table[(method, path)] = statuses
    return table


EXPECTED = _expected(MATRIX)
