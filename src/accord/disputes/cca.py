"""Civil Contingencies Act information requests, refusals and escalation (scenario S4, §b.4).

A Category 1 or 2 responder asks another for information it holds, in writing, giving its name
and address, a description of the information and why it needs it for an emergency function. The
discloser complies, or refuses citing one of the refusal grounds in the regulations (the law
engine's data, :func:`accord.law.available_refusal_grounds`) with reasons. A refusal without a
ground is invalid input. The requester can escalate a refusal into a dispute about the proposed
flow; nothing flows while it is open.

Complying shares under the CCA's restrictions, which the law check enforces (the
``cca_info_sharing`` gateway: onward sharing only with the originator's consent, use only for
the function the information was requested for).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from accord.disputes.model import Actor
from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.law import available_refusal_grounds, refuse_cca_request
from accord.law.rules.cca import CCA_GATEWAY
from accord.model.agreement import Agreement
from accord.model.governance import CcaRequest


class CcaStatus(StrEnum):
    requested = "requested"
    complied = "complied"
    refused = "refused"
    escalated = "escalated"


class CcaResponse(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: CcaStatus
    responder: Actor
    at: datetime
    ground: str | None = None
    ground_title: str | None = None
    citation: str | None = None
    source_url: str | None = None
    reasons: str = Field(min_length=1)


REQUIRED = {
    "requester_name": "the requester's name",
    "requester_address": "the requester's address",
    "description": "a description of the information",
    "reason": "why it is required for an emergency function",
}


def check_request(request: CcaRequest | None) -> CcaRequest:
    """The written request, or :class:`InputError` naming every missing part."""
    if request is None:
        raise InputError(
            "there is no Civil Contingencies Act request", [Problem("cca_request", "missing")]
        )
    problems = []
    if not request.in_writing:
        problems.append(Problem("cca_request.in_writing", "a request must be made in writing"))
    problems += [
        Problem(f"cca_request.{name}", f"give {what}")
        for name, what in REQUIRED.items()
        if not (getattr(request, name) or "").strip()
    ]
    if request.received_at is None:
        problems.append(Problem("cca_request.received_at", "when the request was received"))
    if problems:
        raise InputError("the written request is incomplete", problems)
    return request


def check_cca_agreement(agreement: Agreement) -> CcaRequest:
    """The agreement's complete CCA request; raise if it is not a CCA share."""
    if CCA_GATEWAY not in agreement.legal_basis.gateways:
        raise InputError(
            "not a Civil Contingencies Act share",
            [Problem("legal_basis.gateways", f"must include {CCA_GATEWAY}")],
        )
    return check_request(agreement.cca_request)


def refuse(
    agreement: Agreement, *, responder: Actor, ground: str | None, reasons: str, at: datetime
) -> CcaResponse:
    """A reasoned refusal citing a ground from the regulations; anything less is refused."""
    check_cca_agreement(agreement)
    allowed = available_refusal_grounds(agreement, at)
    options = ", ".join(g.id for g in allowed)
    if not (ground or "").strip():
        raise InputError(
            "a refusal must cite a ground from the regulations",
            [Problem("ground", f"one of: {options}")],
        )
    try:
        refusal = refuse_cca_request(agreement, ground=str(ground), reasons=reasons, at=at)
    except NotFound:
        raise InputError(
            f"{ground} is not a refusal ground in the regulations",
            [Problem("ground", f"one of: {options}")],
        ) from None
    except NotPermitted as exc:
        raise InputError(exc.message, exc.problems) from None
    return CcaResponse(
        decision=CcaStatus.refused,
        responder=responder,
        at=at,
        ground=refusal.ground,
        ground_title=refusal.ground_title,
        citation=refusal.citation,
        source_url=refusal.source_url,
        reasons=refusal.reasons,
    )
