"""Who may see which agreement, version and dispute: the one rule, and its one "not found".

A person sees an agreement version only if their party is one of its parties, and a dispute
only if their party is one of its sides or its arbiter. Anything else gets the same answer as a
record that does not exist, byte for byte, so that an answer never says whether a hidden record
exists (an unknown id, another party's agreement, a version number that is not there or is out
of range, another party's dispute). A recipient service account sees no agreement at all.
"""

from __future__ import annotations

from accord.errors import NotFound, NotPermitted, Problem
from accord.model import Agreement
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service.agreements import StoredVersion
from accord.service.disputes import DisputeRecord
from accord.service.users import User
from accord.workspace import Workspace

# A version number beyond a 64-bit integer is not one the store could hold.
MAX_SEQ = 2**63 - 1


def may_see(user: User, agreement: Agreement) -> bool:
    """The rule: the user's party is one of the agreement's parties."""
    return not user.is_recipient_service and user.party_org_id in {
        p.org_id for p in agreement.parties
    }


def hidden_agreement(agreement_id: str, seq: int | None = None) -> NotFound:
    """The one answer for an agreement (version) the caller may not see or that is not there."""
    which = f"no agreement {agreement_id}" + ("" if seq is None else f" version {seq}")
    return NotFound(f"{which} that you can see", [Problem("id", "check the id and version")])


def hidden_dispute(dispute_id: str) -> NotFound:
    return NotFound(f"no dispute {dispute_id} that you can see", [Problem("id", "check the id")])


def visible_version(
    ws: Workspace, user: User, agreement_id: str, seq: int | None = None
) -> StoredVersion:
    """The version (the latest unless ``seq``) if the user may see it, else "not found"."""
    if user.is_recipient_service:
        raise NotPermitted("a recipient service account can only collect its own deliveries")
    if seq is not None and not 1 <= seq <= MAX_SEQ:
        raise hidden_agreement(agreement_id, seq)
    try:
        version = agreement_service.get(ws, agreement_id, seq)
    except NotFound:
        raise hidden_agreement(agreement_id, seq) from None
    if not may_see(user, version.agreement):
        raise hidden_agreement(agreement_id, seq)
    return version


def visible_agreements(ws: Workspace, user: User) -> list[StoredVersion]:
    """The latest version of every agreement the user may see."""
    return [v for v in agreement_service.list_all(ws) if may_see(user, v.agreement)]


def visible_dispute(ws: Workspace, user: User, dispute_id: str) -> DisputeRecord:
    """The dispute if the user's party is one of its sides or its arbiter; else 'not found'."""
    try:
        record = dispute_service.show(ws, dispute_id)
    except NotFound:
        raise hidden_dispute(dispute_id) from None
    d = record.dispute
    if user.party_org_id not in (*d.parties, d.arbiter):
        raise hidden_dispute(dispute_id)
    return record


__all__ = [
    "MAX_SEQ",
    "hidden_agreement",
    "hidden_dispute",
    "may_see",
    "visible_agreements",
    "visible_dispute",
    "visible_version",
]
