"""`accord release ...`: review aggregate tables held before they reach their recipient.

Thin over :mod:`accord.service.releases`, which holds every rule about who may review.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, workspace_at
from accord.service import releases, users
from accord.service.releases import Release
from accord.workspace import Workspace

app = typer.Typer(help="Two-person release review of aggregate tables.")

USER_OPTION = typer.Option(..., "--user", help="Your email address (an `accord user`).")
PASSWORD_OPTION = typer.Option(
    None, "--password-file", help="Read your password from this file instead of asking."
)


def authenticated(ws: Workspace, email: str, password_file: Path | None) -> users.User:
    """The user ``email``, after their password (from ``password_file`` or a prompt)."""
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = typer.prompt("Password", hide_input=True)
    return users.authenticate(ws, email, password)


@app.command("list")
def list_command(
    ctx: typer.Context,
    every: bool = typer.Option(False, "--all", help="Released and withheld tables too."),
    at: str | None = AT_OPTION,
) -> None:
    """Aggregate tables waiting for review (with --all, every one)."""
    found = releases.list_releases(workspace_at(ctx, at), state=None if every else "pending")
    if not found:
        console().print("No aggregate tables " + ("held." if every else "waiting for review."))
    for r in found:
        _summary(r)


@app.command()
def show(
    ctx: typer.Context,
    delivery_id: str = typer.Argument(..., metavar="DELIVERY_ID"),
    at: str | None = AT_OPTION,
) -> None:
    """Show a held table, its suppression report and its reviews."""
    view = releases.show(workspace_at(ctx, at), delivery_id)
    out = console()
    _summary(view.release)
    table = Table(title="Table")
    for c in view.columns:
        table.add_column(esc(c))
    for row in view.rows:
        table.add_row(*("" if row[c] is None else esc(row[c]) for c in view.columns))
    out.print(table)
    report = Table(title=f"Suppression report ({esc(view.disclosure.get('profile', ''))})")
    for name in ("row", "column", "kind", "rule", "what to change"):
        report.add_column(name)
    for s in view.disclosure.get("suppressed", []):
        keys = ("row", "column", "kind", "rule", "advice")
        report.add_row(*(esc("" if s.get(k) is None else s[k]) for k in keys))
    out.print(report)
    for f in view.differencing:
        out.print(f"[bold]differencing[/bold]: {esc(f.line())}; it cannot be approved")
    if view.release.reviews:
        reviews = Table(title="Reviews")
        for name in ("reviewer", "decision", "note", "at"):
            reviews.add_column(name)
        for r in view.release.reviews:
            reviews.add_row(esc(r.reviewer), esc(r.decision), esc(r.note or ""), esc(r.at))
        out.print(reviews)


def _summary(r: Release) -> None:
    console().print(
        f"[bold]{esc(r.delivery_id)}[/bold] to {esc(r.recipient)} under {esc(r.profile)}: "
        f"{esc(r.state)}, {r.approvals} of {releases.APPROVALS_NEEDED} approvals "
        f"(requested by {esc(r.requested_by)})"
    )


def _decide(
    ctx: typer.Context,
    delivery_id: str,
    email: str,
    password_file: Path | None,
    decision: str,
    note: str | None,
    at: str | None,
) -> None:
    ws = workspace_at(ctx, at)
    person = authenticated(ws, email, password_file)
    _summary(releases.review(ws, delivery_id, person, decision, note))


@app.command()
def approve(
    ctx: typer.Context,
    delivery_id: str = typer.Argument(..., metavar="DELIVERY_ID"),
    user: str = USER_OPTION,
    note: str | None = typer.Option(
        None, "--note", help="Anything the other reviewer should know."
    ),
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Approve a held table; the second independent approval releases it to its recipient."""
    _decide(ctx, delivery_id, user, password_file, "approve", note, at)


@app.command()
def reject(
    ctx: typer.Context,
    delivery_id: str = typer.Argument(..., metavar="DELIVERY_ID"),
    user: str = USER_OPTION,
    note: str = typer.Option(..., "--note", help="Why it must not be released."),
    password_file: Path | None = PASSWORD_OPTION,
    at: str | None = AT_OPTION,
) -> None:
    """Reject a held table: it is withheld from its recipient for good."""
    _decide(ctx, delivery_id, user, password_file, "reject", note, at)
