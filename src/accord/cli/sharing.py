"""`accord sharing ...`: Delta Sharing profiles for recipients, and the record of their access."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, now_at, workspace_at
from accord.service import sharing
from accord.service.sharing_profiles import DEFAULT_ENDPOINT, write_profile

app = typer.Typer(
    help="Delta Sharing: profile files for recipients' delta-sharing clients, and their accesses."
)


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


@app.command()
def accesses(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    recipient: str | None = typer.Option(None, "--recipient", help="Only this party's accesses."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    at: str | None = AT_OPTION,
) -> None:
    """Every Delta Sharing query and file download under AGREEMENT up to ``--at``, per recipient.

    Each is a ledger event: the recipient, the table, the version, the token and, for a
    download, the file's SHA-256 (never a row value).
    """
    ws = workspace_at(ctx, at)
    found = sharing.accesses(ws, agreement_id, recipient=recipient, until=now_at(ctx, at))
    out = console()
    if as_json:
        out.print_json(json.dumps([a.as_dict() for a in found]))
        return
    counts = Counter((a.recipient, a.kind) for a in found)
    for party in sorted({a.recipient for a in found}):
        out.print(
            f"{party}: {counts[party, 'query']} queries, {counts[party, 'download']} downloads",
            markup=False,
        )
    table = Table("at", "recipient", "access", "table", "version", "detail", "token")
    for column in table.columns:
        column.overflow = "fold"
    for a in found:
        table.add_row(
            *(esc(x) for x in (a.at, a.recipient, a.kind, a.table, a.version, a.detail, a.token_id))
        )
    out.print(table)
