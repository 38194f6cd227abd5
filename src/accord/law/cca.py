"""Refusing a Civil Contingencies Act information request, with a ground and reasons.

A responder must comply with a complete written request unless the information is sensitive;
a refusal must cite a ground and give reasons, so the requester can escalate it. Whether the
"personal data whose disclosure would breach data protection law" ground holds is decided by
accord's own check: only when the proposed share has a blocking data protection finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.errors import InputError, NotPermitted, Problem
from accord.law.builtin import default_registry
from accord.law.check import check
from accord.law.records import CcaRefusalGround
from accord.law.registry import LawRegistry
from accord.law.rules.cca import CCA_GATEWAY
from accord.model.agreement import Agreement

# Blocking findings with these code prefixes mean the share would breach data protection law.
DP_PREFIXES = ("vires.", "gateway.", "art6.", "art9.", "sch1.", "art10.", "cldc.", "optout.")
ESCALATION = (
    "The requester may escalate this refusal through the agreement's dispute ladder; the ground "
    "and reasons are the record the deciders work from."
)


@dataclass(frozen=True)
class CcaRefusal:
    agreement_id: str
    ground: str
    ground_title: str
    reasons: str
    citation: str
    source_url: str
    refused_at: datetime
    escalation: str = ESCALATION


def _dp_blockers(agreement: Agreement, at: datetime, registry: LawRegistry) -> list[str]:
    findings = check(agreement, at.date(), registry=registry).blocking
    return [f"{f.code}: {f.message}" for f in findings if f.code.startswith(DP_PREFIXES)]


def available_refusal_grounds(
    agreement: Agreement, at: datetime, *, registry: LawRegistry | None = None
) -> list[CcaRefusalGround]:
    """The grounds the discloser may cite. Grounds turning on data protection law are offered
    only when the check shows the share would breach it."""
    reg = registry or default_registry()
    breach = bool(_dp_blockers(agreement, at, reg))
    return [g for g in reg.cca_refusal_grounds if breach or not g.depends_on_dp_check]


def refuse_cca_request(
    agreement: Agreement,
    *,
    ground: str,
    reasons: str,
    at: datetime,
    registry: LawRegistry | None = None,
) -> CcaRefusal:
    """Record a reasoned refusal; raise if the refusal is not one the law allows."""
    reg = registry or default_registry()
    if CCA_GATEWAY not in agreement.legal_basis.gateways or agreement.cca_request is None:
        raise NotPermitted(
            "only a Civil Contingencies Act request can be refused under the CCA",
            [Problem("legal_basis.gateways", f"{CCA_GATEWAY} with a cca_request is required")],
        )
    if not reasons.strip():
        raise InputError(
            "a refusal must give reasons", [Problem("reasons", "state why the ground applies")]
        )
    chosen = reg.cca_refusal_ground(ground)
    if chosen.depends_on_dp_check and not _dp_blockers(agreement, at, reg):
        raise NotPermitted(
            f"cannot refuse on {chosen.title.lower()}: the check finds no data protection "
            "obstacle, so the duty to comply stands",
            [Problem("ground", chosen.citation)],
        )
    return CcaRefusal(
        agreement_id=agreement.id,
        ground=chosen.id,
        ground_title=chosen.title,
        reasons=reasons.strip(),
        citation=chosen.citation,
        source_url=chosen.source_url,
        refused_at=at,
    )
