"""The FastAPI application of one workspace: ``create_app(workspace)``.

Nothing is read from the environment here; ``accord serve`` opens the workspace and passes it
in, and tests build an app on a workspace of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from accord.register.rows import PublicationPolicy
from accord.server import errors, wellknown
from accord.server.api import agreements as api_agreements
from accord.server.api import deliveries as api_deliveries
from accord.server.api import exit as api_exit
from accord.server.api import lifecycle as api_lifecycle
from accord.server.api import me as api_me
from accord.server.api import register as api_register
from accord.server.api import releases as api_releases
from accord.server.api import rights as api_rights
from accord.server.api import sharing as api_sharing
from accord.server.api import witness as api_witness
from accord.server.auth import CookieSigner, session_secret
from accord.server.headers import SecurityHeaders, docs_policy
from accord.server.negotiation import JsonSuffix
from accord.server.oidc import OidcClient, OidcSettings
from accord.server.ratelimit import Limiter, RateLimits
from accord.server.scheduler import Scheduler
from accord.server.sharing import router as sharing_router
from accord.server.web import filters
from accord.server.web.views import agreements as agreement_views
from accord.server.web.views import (
    dashboard,
    disputes,
    exercise,
    lifecycle,
    new_agreement,
    register,
    releases,
    signin,
)
from accord.server.web.views import exit as exit_views
from accord.server.web.views import rights as rights_views
from accord.server.web.views import sharing as sharing_views
from accord.workspace import Workspace

API_VERSION = "1.0.0"
DESCRIPTION = """\
accord's JSON API: agreements, approvals and the public register.

Authenticate with `Authorization: Bearer <token>` (issue one with `accord user token`). Every
response is JSON with `"ok": true`, or `"ok": false` with `error` and `problems`, each problem
naming `where` (a field path such as `body.parties.1.org_id`) and `reason`. The web pages are
also available as JSON (add `.json`), but those are not part of this stable API and carry
`"unstable": true`.
"""


def _web_dir() -> Path:
    return Path(str(resources.files("accord.server") / "web"))


def create_app(
    workspace: Workspace,
    *,
    publication: PublicationPolicy | None = None,
    secure_cookies: bool = False,
    scheduler: Scheduler | None = None,
    trusted_proxies: Sequence[str] = (),
    rate_limits: RateLimits | None = None,
    security_contact: str | None = None,
    oidc: OidcSettings | None = None,
) -> FastAPI:
    """The server for ``workspace``. ``secure_cookies`` marks cookies HTTPS-only; without it
    they are marked so whenever the request came over HTTPS. ``trusted_proxies`` (addresses or
    networks) are the TLS proxies whose ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are
    believed; from anyone else those headers are ignored. ``rate_limits`` replaces the default
    limits on sign-in and token use (:mod:`accord.server.ratelimit`). ``security_contact``
    (a ``mailto:`` or ``https:`` URI) is served in ``/.well-known/security.txt``. With
    ``oidc``, the sign-in page also offers the organisation's OpenID Connect sign-in
    (:mod:`accord.server.oidc`); password sign-in stays.

    With a ``scheduler``, the daily re-check and dispute deadlines run in the background for as
    long as the app is up (``accord serve`` passes one; tests inject a fast one).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if scheduler is None:
            yield
            return
        async with scheduler.running():
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="accord",
        version=API_VERSION,
        description=DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.workspace = workspace
    app.state.scheduler = scheduler
    app.state.publication = publication or PublicationPolicy()
    app.state.secure_cookies = secure_cookies
    app.state.security_contact = security_contact
    app.state.limiter = Limiter(rate_limits or RateLimits(), lambda: workspace.clock.now())
    app.state.cookie_signer = CookieSigner(session_secret(workspace.keys_dir))
    app.state.oidc = OidcClient(oidc) if oidc is not None else None
    web = _web_dir()
    templates = Jinja2Templates(directory=str(web / "templates"))
    filters.install(templates.env)
    app.state.templates = templates
    app.mount(
        "/assets", StaticFiles(directory=str(web / "static" / "govuk" / "assets")), name="assets"
    )
    app.mount("/static", StaticFiles(directory=str(web / "static")), name="static")
    for module in (
        api_me,
        api_agreements,
        api_deliveries,
        api_register,
        api_lifecycle,
        api_witness,
        api_exit,
        api_releases,
        api_rights,
        api_sharing,
    ):
        app.include_router(module.router)
    app.include_router(sharing_router)
    app.include_router(wellknown.router)
    views = (signin, dashboard, new_agreement, agreement_views, disputes, exercise, register)
    for view in (*views, lifecycle, exit_views, releases, sharing_views, rights_views):
        app.include_router(view.router)
    app.add_middleware(JsonSuffix)
    docs = docs_policy(f"{app.title} - Swagger UI", "/api/openapi.json", "/docs/oauth2-redirect")
    app.add_middleware(
        SecurityHeaders, docs_paths=("/api/docs", "/docs/oauth2-redirect"), docs=docs
    )
    if trusted_proxies:
        # Outermost, so that every layer below sees the scheme and client the proxy reported.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))
    errors.install(app)
    return app
