"""`accord serve`: the web pages, the public register and the JSON API on one port."""

from __future__ import annotations

import typer

from accord.cli._context import console, settings


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    emergency_delay: float = typer.Option(
        24.0,
        "--emergency-publication-delay",
        min=0,
        max=24,
        help="Hours an emergency flow waits before its register row is published (at most 24).",
    ),
    unsafe_fixed_time: str | None = typer.Option(
        None,
        "--unsafe-fixed-time",
        help="Serve as if the time were this ISO 8601 UTC instant, for browsing an exercise "
        "whose simulated clock ran ahead. Never for a live service.",
    ),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send cookies over HTTPS only (behind a TLS proxy)."
    ),
    trusted_proxy: list[str] = typer.Option(
        [],
        "--trusted-proxy",
        help="Address or network of a TLS proxy whose X-Forwarded-Proto/-For are believed "
        "(repeat for more). Without one, those headers are ignored.",
    ),
    security_contact: str | None = typer.Option(
        None,
        "--security-contact",
        help="Where to report a vulnerability (mailto: or https: URI), served in "
        "/.well-known/security.txt (RFC 9116); without it that file is not served.",
    ),
    sweep_every: float = typer.Option(
        3600.0,
        "--sweep-every",
        min=0,
        help="Seconds between background sweeps (the daily re-check); 0 turns them off.",
    ),
    warn_days: str = typer.Option(
        "30,14,7", "--warn-days", help="Days before a date to warn its owners, comma-separated."
    ),
    oidc_issuer: str | None = typer.Option(
        None,
        "--oidc-issuer",
        help="Offer sign-in through this OpenID Connect provider (its https issuer URL); the "
        "client secret comes from ACCORD_OIDC_CLIENT_SECRET. Password sign-in stays.",
    ),
    oidc_client_id: str | None = typer.Option(
        None, "--oidc-client-id", help="accord's client id at the --oidc-issuer provider."
    ),
    oidc_label: str = typer.Option(
        "Sign in with your organisation's account",
        "--oidc-label",
        help="The words on the sign-in page's button for the provider.",
    ),
    oidc_unsafe_accept_unverified_email: bool = typer.Option(
        False,
        "--oidc-unsafe-accept-unverified-email",
        help="Accept an email the provider does not mark email_verified (logs a warning at "
        "each such sign-in). Only for a provider whose email claim is managed by the "
        "organisation itself.",
    ),
) -> None:
    """Serve the workspace: sign in, agreements, approvals, and the public register."""
    from datetime import timedelta

    import uvicorn

    from accord.register.rows import PublicationPolicy
    from accord.server.app import create_app

    s = settings(ctx)
    oidc = None
    if oidc_issuer is not None:
        from accord.errors import ConfigError, Problem
        from accord.server.oidc import OidcSettings

        if not oidc_client_id or not s.oidc_client_secret:
            raise ConfigError(
                "OpenID Connect sign-in needs a client id and secret",
                [Problem("--oidc-client-id", "give it, and set ACCORD_OIDC_CLIENT_SECRET")],
            )
        oidc = OidcSettings(
            oidc_issuer,
            oidc_client_id,
            s.oidc_client_secret,
            label=oidc_label,
            unsafe_accept_unverified_email=oidc_unsafe_accept_unverified_email,
        )
    ws = s.workspace()
    if unsafe_fixed_time is not None:
        import logging
        from datetime import datetime

        from accord.clock import FixedClock
        from accord.errors import InputError, Problem

        try:
            moment = datetime.fromisoformat(unsafe_fixed_time.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                "not an ISO 8601 time", [Problem("--unsafe-fixed-time", unsafe_fixed_time)]
            ) from None
        if moment.tzinfo is None:
            raise InputError("give a UTC time", [Problem("--unsafe-fixed-time", "end it in Z")])
        logging.getLogger("accord.server").warning(
            "UNSAFE: serving with the clock fixed at %s (exercise browsing only)", moment
        )
        ws.clock = FixedClock(moment)
    policy = PublicationPolicy(emergency=timedelta(hours=emergency_delay))
    from accord.server.scheduler import Scheduler
    from accord.service.lifecycle import Policy

    days = tuple(int(d) for d in warn_days.split(",") if d.strip().isdigit())
    scheduler = (
        Scheduler(ws, interval=sweep_every, policy=Policy(warn_days=days)) if sweep_every else None
    )
    app = create_app(
        ws,
        publication=policy,
        secure_cookies=secure_cookies,
        scheduler=scheduler,
        trusted_proxies=trusted_proxy,
        security_contact=security_contact,
        oidc=oidc,
    )
    console().print(
        f"accord is serving {ws.root} at http://{host}:{port}/ (Ctrl+C to stop)", markup=False
    )
    # The app reads forwarded headers itself, from the trusted proxies only.
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
