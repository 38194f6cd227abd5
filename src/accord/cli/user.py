"""`accord user ...`: add users, list them, issue and revoke API tokens."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, settings, workspace_at
from accord.service import users as service

app = typer.Typer(help="Users of the web server and API: accounts, roles and API tokens.")


@app.command()
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email address (their sign-in name)."),
    name: str = typer.Option(..., "--name", help="The person's (or service's) name."),
    party: str = typer.Option(..., "--party", help="Their organisation, e.g. gss:E09000011."),
    roles: str = typer.Option(
        ...,
        "--roles",
        help="Comma-separated: " + ", ".join(r.value for r in service.Role),
    ),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help=f"At least {service.MIN_PASSWORD} characters; prompted for when left out.",
    ),
    at: str | None = AT_OPTION,
) -> None:
    """Create a user belonging to PARTY with ROLES (created at ``--at``, default now)."""
    user = service.add_user(
        workspace_at(ctx, at), email, name, party, service.parse_roles(roles), password
    )
    console().print(
        f"Added {user.email} ({user.name}) of {user.party_org_id}: "
        + ", ".join(sorted(r.value for r in user.roles)),
        markup=False,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    party: str | None = typer.Option(None, "--party", help="Only users of this party."),
) -> None:
    """Every user, with party and roles."""
    table = Table("email", "name", "party", "roles")
    for u in service.list_users(settings(ctx).workspace(), party):
        roles = ", ".join(sorted(r.value for r in u.roles))
        table.add_row(esc(u.email), esc(u.name), esc(u.party_org_id), roles)
    console().print(table)


@app.command()
def token(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user the token acts for."),
    name: str = typer.Option(..., "--name", help="What will use the token."),
    days: int = typer.Option(30, "--days", min=1, max=366, help="Days until it expires."),
    at: str | None = AT_OPTION,
) -> None:
    """Issue an API token (shown once; only its hash is kept), expiring --days after --at."""
    ws = workspace_at(ctx, at)
    issued = service.issue_token(ws, service.user_by_email(ws, email), name, timedelta(days=days))
    out = console()
    out.print(
        f"Token {issued.id} for {email}, expires {issued.expires_at.isoformat()}:", markup=False
    )
    out.print(issued.token, markup=False)
    out.print("Send it as 'Authorization: Bearer <token>'. It is not shown again.", markup=False)


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(..., help="The token id, tok_..."),
    at: str | None = AT_OPTION,
) -> None:
    """Revoke an API token at once (recorded as revoked at ``--at``, default now)."""
    service.revoke_token(workspace_at(ctx, at), token_id)
    console().print(f"Revoked {token_id}", markup=False)
