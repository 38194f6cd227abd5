"""``/api/agreements``: read, create, move and approve agreements of the caller's party."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from accord.errors import AgreementInvalid, NotPermitted, Problem
from accord.model import example_agreement, parse_agreement
from accord.model.canonical import document
from accord.model.schema import agreement_json_schema
from accord.server import auth
from accord.server.api.schemas import (
    ERRORS,
    AgreementOut,
    AgreementsOut,
    AgreementSummary,
    ApprovalIn,
    ApprovalOut,
    ApprovalsOut,
    TransitionIn,
    VersionOut,
    VersionsOut,
)
from accord.service import agreements as agreement_service
from accord.service import approvals as approval_service
from accord.service.agreements import StoredVersion
from accord.service.users import Role, User

router = APIRouter(prefix="/api/agreements", tags=["agreements"], responses=ERRORS)


def _agreement_body() -> dict[str, Any]:
    """The request body of ``POST /api/agreements`` in OpenAPI: the agreement's own JSON Schema
    (the one ``accord agreement schema`` prints), self-contained, with the example agreement."""
    schema = {k: v for k, v in agreement_json_schema().items() if k not in ("$schema", "$id")}
    prefix = "#/paths/~1api~1agreements/post/requestBody/content/application~1json/schema/$defs/"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (prefix + v.removeprefix("#/$defs/") if k == "$ref" else rewrite(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": rewrite(schema),
                    "example": document(example_agreement()),
                }
            },
        }
    }


def summary(v: StoredVersion) -> AgreementSummary:
    return AgreementSummary(
        id=v.agreement_id,
        title=v.agreement.title,
        version=v.version,
        seq=v.seq,
        status=v.status.value,
        mode=v.agreement.mode.value,
        hash=v.hash,
    )


def version_out(v: StoredVersion) -> VersionOut:
    return VersionOut(
        **summary(v).model_dump(),
        previous_hash=v.previous_hash,
        created_at=v.created_at.isoformat(),
        document=document(v.agreement.model_copy(update={"status": v.status})),
    )


@router.get("", response_model=AgreementsOut)
def list_agreements(request: Request, user: auth.StaffUser) -> AgreementsOut:
    """The latest version of every agreement your party is a party to."""
    return AgreementsOut(
        agreements=[summary(v) for v in auth.visible_agreements(auth.workspace(request), user)]
    )


@router.post("", response_model=AgreementOut, status_code=201, openapi_extra=_agreement_body())
def create_agreement(
    request: Request,
    user: auth.StaffUser,
    body: Annotated[dict[str, Any], Body()],
) -> AgreementOut:
    """Store a new agreement as a draft. Your party must be one of its parties."""
    auth.check_csrf(request, None)
    user.require_role(Role.requester, Role.iao)
    try:
        agreement = parse_agreement(body, source="body")
    except AgreementInvalid as exc:
        problems = [Problem(f"body.{p.where}", p.reason) for p in exc.problems]
        raise AgreementInvalid(exc.message, problems) from None
    if user.party_org_id not in {p.org_id for p in agreement.parties}:
        raise NotPermitted(
            "you can only create agreements your own party is a party to",
            [Problem("body.parties", f"add {user.party_org_id} or ask that party")],
        )
    stored = agreement_service.create(auth.workspace(request), agreement, actor=user.email)
    return AgreementOut(agreement=version_out(stored))


@router.get("/{agreement_id}", response_model=AgreementOut)
def get_agreement(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    version: int | None = None,
) -> AgreementOut:
    """One version (the latest unless ``version``), with its machine-readable document."""
    v = auth.visible_version(auth.workspace(request), user, agreement_id, version)
    return AgreementOut(agreement=version_out(v))


@router.get("/{agreement_id}/versions", response_model=VersionsOut)
def list_versions(request: Request, user: auth.StaffUser, agreement_id: str) -> VersionsOut:
    """Every version, oldest first."""
    ws = auth.workspace(request)
    auth.visible_version(ws, user, agreement_id)
    return VersionsOut(
        versions=[version_out(v) for v in agreement_service.versions(ws, agreement_id)]
    )


@router.post("/{agreement_id}/transitions", response_model=AgreementOut)
def move_agreement(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    body: TransitionIn,
) -> AgreementOut:
    """Submit for review, return to draft, make active, suspend or end the latest version."""
    auth.check_csrf(request, None)
    ws = auth.workspace(request)
    auth.visible_version(ws, user, agreement_id)
    moved = approval_service.move(ws, agreement_id, user, body.to, body.reason)
    return AgreementOut(agreement=version_out(moved))


def approvals_out(request: Request, agreement_id: str, user: User) -> ApprovalsOut:
    ws = auth.workspace(request)
    v = auth.visible_version(ws, user, agreement_id)
    return ApprovalsOut(
        approvals=[
            ApprovalOut(**r.as_dict()) for r in approval_service.recorded(ws, agreement_id, v.seq)
        ],
        required=[
            {"party": r.party_org_id, "role": r.role.value, "kind": r.kind}
            for r in approval_service.required(v)
        ],
        outstanding=[
            {"party": r.party_org_id, "role": r.role.value, "kind": r.kind}
            for r in approval_service.outstanding(ws, v)
        ],
    )


@router.get("/{agreement_id}/approvals", response_model=ApprovalsOut)
def list_approvals(request: Request, user: auth.StaffUser, agreement_id: str) -> ApprovalsOut:
    """Approvals on the latest version, who must still approve, and who must be consulted."""
    return approvals_out(request, agreement_id, user)


@router.post("/{agreement_id}/approvals", response_model=ApprovalsOut, status_code=201)
def add_approval(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    body: ApprovalIn,
) -> ApprovalsOut:
    """Approve or reject the version in review, as the role the playbook asks of your party."""
    auth.check_csrf(request, None)
    ws = auth.workspace(request)
    auth.visible_version(ws, user, agreement_id)
    approval_service.approve(
        ws, agreement_id, user, body.decision, body.reasons, body.conditions, role=body.role
    )
    return approvals_out(request, agreement_id, user)
