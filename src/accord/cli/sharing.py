"""`accord sharing ...`: Delta Sharing profiles for recipients."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from accord.cli._context import AT_OPTION, console, workspace_at
from accord.server.sharing.profile import DEFAULT_ENDPOINT, write_profile

app = typer.Typer(help="Delta Sharing: profile files for recipients' delta-sharing clients.")


@app.command()
def profile(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The recipient user the profile's token acts for."),
    out: Path = typer.Option(..., "--out", help="Where to write the profile file (JSON)."),
    endpoint: str = typer.Option(
        DEFAULT_ENDPOINT, "--endpoint", help="The server's Delta Sharing URL, as recipients see it."
    ),
    days: int = typer.Option(30, "--days", min=1, max=366, help="Days until the token expires."),
    at: str | None = AT_OPTION,
) -> None:
    """Issue an expiring API token for EMAIL and write a Delta Sharing profile file.

    The token expires ``--days`` after ``--at`` (default: now).
    """
    issued = write_profile(
        workspace_at(ctx, at), email, out, endpoint=endpoint, lifetime=timedelta(days=days)
    )
    console().print(
        f"Wrote {out} for {email} (token {issued.id}, expires {issued.expires_at.isoformat()})."
        " It holds a secret: send it to the recipient over a secure channel.",
        markup=False,
    )
