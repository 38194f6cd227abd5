"""Response and request bodies of the documented API (they shape the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ProblemOut(BaseModel):
    where: str = Field(description="A field path such as body.parties.1.org_id, or a row")
    reason: str


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    error: str
    problems: list[ProblemOut] = []


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        401: "No valid session or API token",
        403: "Not allowed for this user, party or role",
        404: "Not found, or not visible to you",
        409: "Not possible in the current state",
        422: "The request is not valid; problems name each field",
        429: "Too many requests with this API token, or invalid tokens from this address; "
        "the Retry-After header gives the seconds to wait",
    }.items()
}
ERRORS[429]["headers"] = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
}


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    party: str
    roles: list[str]


class MeOut(BaseModel):
    ok: Literal[True] = True
    user: UserOut


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: str
    expires_at: str
    revoked_at: str | None


class TokensOut(BaseModel):
    ok: Literal[True] = True
    tokens: list[TokenOut]


class OkOut(BaseModel):
    ok: Literal[True] = True


class AgreementSummary(BaseModel):
    id: str
    title: str
    version: str
    seq: int
    status: str
    mode: str
    hash: str


class AgreementsOut(BaseModel):
    ok: Literal[True] = True
    agreements: list[AgreementSummary]


class VersionOut(AgreementSummary):
    previous_hash: str | None
    created_at: str
    document: dict[str, Any]


class AgreementOut(BaseModel):
    ok: Literal[True] = True
    agreement: VersionOut


class VersionsOut(BaseModel):
    ok: Literal[True] = True
    versions: list[VersionOut]


class TransitionIn(BaseModel):
    to: str = Field(description="The target state: in_review, draft, active, suspended...")
    reason: str | None = Field(default=None, max_length=2000)


class ApprovalIn(BaseModel):
    role: str = Field(description="The role you approve as: siro, caldicott_guardian, dpo, iao")
    decision: Literal["approve", "approve_with_conditions", "reject", "abstain_advisory"]
    reasons: str | None = Field(default=None, max_length=4000)
    conditions: str | None = Field(default=None, max_length=4000)


class ApprovalOut(BaseModel):
    agreement_id: str
    version: str
    agreement_hash: str
    party: str
    role: str
    decision: str
    reasons: str | None
    conditions: str | None
    approver: str
    at: str
    signature: str
    event_id: str | None


class ApprovalsOut(BaseModel):
    ok: Literal[True] = True
    approvals: list[ApprovalOut]
    required: list[dict[str, str]]
    outstanding: list[dict[str, str]]


class RegisterOut(BaseModel):
    ok: Literal[True] = True
    columns: list[str]
    rows: list[dict[str, Any]]


class DeaOut(BaseModel):
    ok: Literal[True] = True
    fields: list[str]
    records: list[dict[str, str]]


class TreeHeadOut(BaseModel):
    ok: Literal[True] = True
    size: int
    root_hash: str | None
    timestamp: str | None
    checkpoint: str | None
    verifier_key: str


class ProofOut(BaseModel):
    ok: Literal[True] = True
    proof: dict[str, Any]


class DeliveriesOut(BaseModel):
    ok: Literal[True] = True
    deliveries: list[dict[str, Any]]


class ManifestOut(BaseModel):
    ok: Literal[True] = True
    delivery: dict[str, Any]
    manifest: dict[str, Any]


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(
        default=None, max_length=4000, description="Required to reject: why it must not leave"
    )


class ReleasesOut(BaseModel):
    ok: Literal[True] = True
    releases: list[dict[str, Any]]


class ReleaseOut(BaseModel):
    ok: Literal[True] = True
    release: dict[str, Any] = Field(
        description="The held table: who it is for, its profile, state and reviews, its cells"
        " (columns, rows) and its suppression report (disclosure)"
    )
