"""`accord agreement ...`: validate, create, amend, show, move through the lifecycle, history."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from accord.cli._context import AT_OPTION, console, esc, settings, workspace_at
from accord.model import dump_yaml, load_agreement
from accord.model.canonical import agreement_hash, document
from accord.service import agreements as service
from accord.service import approvals, users

app = typer.Typer(help="Agreements: validate, store, read and move through their lifecycle.")

FileArg = typer.Argument(..., help="An agreement document, YAML or JSON.", show_default=False)


@app.command()
def validate(file: Path = FileArg) -> None:
    """Check an agreement file against the schema; print each problem with its field path."""
    agreement = load_agreement(file)
    console().print(
        f"[green]Valid[/green]: {esc(agreement.id)} version {esc(agreement.version)} "
        f"({len(agreement.parties)} parties, {len(agreement.flows)} flows), "
        f"hash {agreement_hash(agreement)}"
    )


@app.command()
def create(ctx: typer.Context, file: Path = FileArg, at: str | None = AT_OPTION) -> None:
    """Store a new agreement from FILE as a draft."""
    stored = service.create(workspace_at(ctx, at), load_agreement(file))
    console().print(
        f"Created {stored.agreement_id} version {stored.version} (v{stored.seq}) "
        f"as {stored.status}; hash {stored.hash}",
        markup=False,
    )


@app.command()
def amend(ctx: typer.Context, file: Path = FileArg, at: str | None = AT_OPTION) -> None:
    """Store FILE as a new version of an existing agreement; the old version is kept."""
    stored = service.amend(workspace_at(ctx, at), load_agreement(file))
    console().print(
        f"Amended {stored.agreement_id}: version {stored.version} (v{stored.seq}), "
        f"previous {stored.previous_hash}, hash {stored.hash}",
        markup=False,
    )


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every agreement, latest version."""
    table = Table("id", "v", "version", "status", "mode", "title")
    for v in service.list_all(settings(ctx).workspace()):
        table.add_row(
            esc(v.agreement_id),
            str(v.seq),
            esc(v.version),
            v.status.value,
            v.agreement.mode.value,
            esc(v.agreement.title),
        )
    console().print(table)


@app.command()
def show(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    version: int | None = typer.Option(None, "--version", help="Version number (v1, v2...)."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored JSON document."),
) -> None:
    """Show one version of an agreement (the latest unless --version)."""
    v = service.get(settings(ctx).workspace(), agreement_id, version)
    doc = document(v.agreement.model_copy(update={"status": v.status}))
    out = console()
    if as_json:
        out.print_json(json.dumps({"seq": v.seq, "hash": v.hash, "document": doc}))
        return
    out.print(f"[bold]{esc(v.agreement.title)}[/bold]")
    out.print(
        f"id {v.agreement_id}  version {v.version} (v{v.seq})  status {v.status}  hash {v.hash}",
        markup=False,
    )
    if v.previous_hash:
        out.print(f"previous version hash {v.previous_hash}")
    out.print(dump_yaml(v.agreement.model_copy(update={"status": v.status})), markup=False)


@app.command()
def transition(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    state: str = typer.Argument(..., metavar="STATE"),
    version: int | None = typer.Option(
        None,
        "--version",
        help="The version (v number) to move. Default: suspending, expiring or terminating acts"
        " on the version in force (active or suspended), never on a draft amendment beside it;"
        " other moves act on the latest version. Name a draft's version to withdraw it.",
    ),
    reason: str | None = typer.Option(None, "--reason"),
    unsafe_skip_approvals: bool = typer.Option(
        False,
        "--unsafe-skip-approvals",
        help="Approve without the signed approvals the playbook requires (logged as UNSAFE).",
    ),
    at: str | None = AT_OPTION,
) -> None:
    """Move a version to STATE (in_review, approved, active, suspended, expired, terminated...).

    Approving needs every required approval recorded (the web app or API collects them);
    going active needs no blocking finding of the law.
    """
    v = approvals.operator_transition(
        workspace_at(ctx, at),
        agreement_id,
        state,
        seq=version,
        reason=reason,
        unsafe_skip_approvals=unsafe_skip_approvals,
    )
    console().print(f"{v.agreement_id} v{v.seq} ({v.version}) is now {v.status}", markup=False)


@app.command()
def history(ctx: typer.Context, agreement_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Every version and every status change of an agreement."""
    ws = settings(ctx).workspace()
    versions = Table("v", "version", "hash", "previous hash", "status", "created")
    for v in service.versions(ws, agreement_id):
        versions.add_row(
            str(v.seq),
            esc(v.version),
            v.hash[:16],
            (v.previous_hash or "")[:16],
            v.status.value,
            v.created_at.isoformat(timespec="seconds"),
        )
    changes = Table("at", "v", "from", "to", "reason")
    for c in service.status_changes(ws, agreement_id):
        changes.add_row(
            c.at.isoformat(timespec="seconds"),
            str(c.seq),
            c.from_status.value if c.from_status else "",
            c.to_status.value,
            esc(c.reason or ""),
        )
    out = console()
    out.print(versions)
    out.print(changes)


@app.command()
def schema() -> None:
    """Print the JSON Schema of an agreement document."""
    from accord.model.schema import agreement_json_schema_text

    typer.echo(agreement_json_schema_text(), nl=False)


@app.command()
def approve(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    user: str = typer.Option(..., "--user", help="Your email address (an `accord user`)."),
    decision: str = typer.Option(
        "approve", help="approve, approve_with_conditions, reject or abstain_advisory."
    ),
    reasons: str | None = typer.Option(None, "--reasons", help="Required to reject."),
    conditions: str | None = typer.Option(None, "--conditions"),
    role: str | None = typer.Option(None, "--role", help="If you hold more than one."),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="Read your password from this file instead of asking."
    ),
    at: str | None = AT_OPTION,
) -> None:
    """Record your signed decision on the version in review, as the playbook's role holder."""
    ws = workspace_at(ctx, at)
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = typer.prompt("Password", hide_input=True)
    person = users.authenticate(ws, user, password)
    record = approvals.approve(ws, agreement_id, person, decision, reasons, conditions, role=role)
    v = service.get(ws, agreement_id)
    console().print(
        f"{record.decision.value} by {record.approver} as {record.role.value} of {record.party}, "
        f"signed over {record.agreement_hash[:16]}…; the version is now {v.status.value}",
        markup=False,
    )
