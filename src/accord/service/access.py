"""Who may see which agreement, version and dispute: the one rule, and its one "not found".

A person sees an agreement, and every version of it, while their party is named by its version
in force or by an amendment after it (a party an amendment would remove keeps seeing the
agreement it is still in; a party an amendment would add sees what it is asked to join), and any
version that names their party. They act on it (exceptions, suspension) as a party of the
version in force (:func:`acting_version`), and certify deletion as a party of that version or
an earlier one, since a recipient an amendment removed must still certify
(:func:`party_version`). A person sees a
dispute only if their party is one of its sides or its arbiter.

Anything else gets the same answer as a record that does not exist, byte for byte, so that an
answer never says whether a hidden record exists (an unknown id, another party's agreement, a
version number that is not there or is out of range, another party's dispute). A recipient
service account sees no agreement at all.

Deliveries are seen through the *version in force* of their agreement
(:func:`~accord.service.agreements.version_in_force`), never merely the latest version: while an
amendment is drafted, reviewed or approved, the active version's parties and recipients keep
what they had; once the amendment is active, it decides. A recipient service sees the deliveries
to its own party made under the version in force, while that version has a flow to it (the same
deliveries its Delta Sharing shares offer); a person of a party that version names sees the
deliveries to their own party, and a discloser's people see every delivery of it
(:func:`may_see_delivery`): one recipient never sees another's deliveries or row counts.

An aggregate table held for release review (:mod:`accord.service.releases`) is seen only by
the people of the agreement's disclosers (who review it) until it is released: its recipient's
service account and people see nothing of it, as if it were not there.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.errors import NotFound, NotPermitted, Problem
from accord.ledger.events import DeliveryMade
from accord.ledger.log import LedgerEntry
from accord.model import Agreement
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service import releases
from accord.service.agreements import StoredVersion
from accord.service.disputes import DisputeRecord
from accord.service.users import Role, User
from accord.workspace import Workspace

# A version number beyond a 64-bit integer is not one the store could hold.
MAX_SEQ = 2**63 - 1


def may_see(user: User, agreement: Agreement) -> bool:
    """The user's party is one of this version's parties."""
    return not user.is_recipient_service and user.party_org_id in {
        p.org_id for p in agreement.parties
    }


def _parties_now(ws: Workspace, agreement_id: str) -> set[str]:
    """The parties of the version in force and of every amendment after it."""
    force = agreement_service.version_in_force(ws, agreement_id)
    return {
        p.org_id
        for v in agreement_service.versions(ws, agreement_id)
        if v.seq >= force.seq
        for p in v.agreement.parties
    }


def may_see_agreement(ws: Workspace, user: User, version: StoredVersion) -> bool:
    """The rule of this module's first paragraph, for one stored version."""
    if user.is_recipient_service:
        return False
    return may_see(user, version.agreement) or user.party_org_id in _parties_now(
        ws, version.agreement_id
    )


def acting_version(ws: Workspace, user: User, agreement_id: str) -> StoredVersion:
    """The version in force, if it names the user's party; else the one "not found"."""
    try:
        force = agreement_service.version_in_force(ws, agreement_id)
    except NotFound:
        raise hidden_agreement(agreement_id) from None
    if not may_see(user, force.agreement):
        raise hidden_agreement(agreement_id)
    return force


def party_version(ws: Workspace, user: User, agreement_id: str) -> StoredVersion:
    """The version in force, if it or a version before it names the user's party (a party an
    amendment not yet in force would add has nothing to certify); else "not found"."""
    try:
        force = agreement_service.version_in_force(ws, agreement_id)
    except NotFound:
        raise hidden_agreement(agreement_id) from None
    named = [v for v in agreement_service.versions(ws, agreement_id) if v.seq <= force.seq]
    if not any(may_see(user, v.agreement) for v in named):
        raise hidden_agreement(agreement_id)
    return force


def may_see_delivery(user: User, agreement: Agreement, recipient: str) -> bool:
    """A delivery is seen by its recipient's party and by the agreement's disclosers; another
    recipient of the same agreement does not see it (nor its row count)."""
    if user.party_org_id == recipient:
        return True
    if user.is_recipient_service:
        return False
    return user.party_org_id in {p.org_id for p in agreement.disclosers}


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
    if not may_see_agreement(ws, user, version):
        raise hidden_agreement(agreement_id, seq)
    return version


def visible_agreements(ws: Workspace, user: User) -> list[StoredVersion]:
    """The latest version of every agreement the user may see."""
    return [v for v in agreement_service.list_all(ws) if may_see_agreement(ws, user, v)]


@dataclass(frozen=True)
class VisibleDelivery:
    """A ``delivery-made`` entry the user may see, with its agreement's version in force."""

    version: StoredVersion
    entry: LedgerEntry
    event: DeliveryMade


def _in_force(ws: Workspace, agreement_ids: list[str] | None) -> list[StoredVersion]:
    if agreement_ids is None:
        return agreement_service.all_in_force(ws)
    found = []
    for agreement_id in dict.fromkeys(agreement_ids):
        try:
            found.append(agreement_service.version_in_force(ws, agreement_id))
        except NotFound:
            continue
    return found


def _delivered(ws: Workspace, v: StoredVersion) -> list[tuple[LedgerEntry, DeliveryMade]]:
    return [
        (entry, entry.event)
        for entry in ws.ledger.entries_for_agreement(v.agreement_id)
        if isinstance(entry.event, DeliveryMade)
    ]


def _received(ws: Workspace, v: StoredVersion, party: str) -> list[VisibleDelivery]:
    """The party's own deliveries under ``v``, while ``v`` has a flow to it."""
    if party not in {f.recipient for f in v.agreement.flows}:
        return []
    own = [
        (entry, e)
        for entry, e in _delivered(ws, v)
        if e.recipient == party and e.agreement_hash == v.hash
    ]
    shown = {id(e) for e in releases.recipient_may_see(ws, v, [e for _, e in own])}
    return [VisibleDelivery(v, entry, e) for entry, e in own if id(e) in shown]


def _seen_by_person(ws: Workspace, user: User, v: StoredVersion) -> list[VisibleDelivery]:
    """The deliveries of ``v`` the person may see; held tables only for a discloser's people."""
    found = [
        (entry, e)
        for entry, e in _delivered(ws, v)
        if may_see_delivery(user, v.agreement, e.recipient)
    ]
    if user.party_org_id not in {p.org_id for p in v.agreement.disclosers}:
        shown = {id(e) for e in releases.recipient_may_see(ws, v, [e for _, e in found])}
        found = [(entry, e) for entry, e in found if id(e) in shown]
    return [VisibleDelivery(v, entry, e) for entry, e in found]


def visible_deliveries(
    ws: Workspace, user: User, agreement_ids: list[str] | None = None
) -> list[VisibleDelivery]:
    """The deliveries the user may see (of ``agreement_ids`` only, if given), in log order."""
    found: list[VisibleDelivery] = []
    for v in _in_force(ws, agreement_ids):
        if user.is_recipient_service:
            found.extend(_received(ws, v, user.party_org_id))
        elif may_see(user, v.agreement):
            found.extend(_seen_by_person(ws, user, v))
    return found


def visible_delivery(ws: Workspace, user: User, delivery_id: str) -> VisibleDelivery:
    """One delivery the user may see, else the same "not found" as for one that is not there."""
    for d in visible_deliveries(ws, user):
        if d.event.delivery_id == delivery_id:
            return d
    raise NotFound(f"no delivery {delivery_id}")


def received_delivery(ws: Workspace, party: str, delivery_id: str) -> VisibleDelivery:
    """A delivery to ``party`` under its agreement's version in force (what it may acknowledge).

    Anything else, including a delivery under a version since superseded, is "not found".
    """
    for v in agreement_service.all_in_force(ws):
        for d in _received(ws, v, party):
            if d.event.delivery_id == delivery_id:
                return d
    raise NotFound(f"no delivery {delivery_id}")


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


# -- Delta Sharing: who sees the record of accesses, who issues profiles ---------------------

PROFILE_MANAGERS = (Role.siro, Role.iao)


def require_profile_manager(user: User) -> None:
    """A SIRO or information asset owner issues and revokes their own party's profiles."""
    if user.is_recipient_service:
        raise NotPermitted("a recipient service account cannot issue profiles")
    user.require_role(*PROFILE_MANAGERS)


def accesses_seen(ws: Workspace, user: User, agreement_id: str) -> tuple[StoredVersion, str | None]:
    """The agreement's version in force, and whose Delta Sharing accesses ``user`` may see:
    None for a discloser's people (every recipient's), else the user's own party's only."""
    visible_version(ws, user, agreement_id)  # "not found" unless the user may see it
    version = agreement_service.version_in_force(ws, agreement_id)
    if user.party_org_id in {p.org_id for p in version.agreement.disclosers}:
        return version, None
    return version, user.party_org_id


__all__ = [
    "MAX_SEQ",
    "PROFILE_MANAGERS",
    "accesses_seen",
    "require_profile_manager",
    "VisibleDelivery",
    "acting_version",
    "hidden_agreement",
    "hidden_dispute",
    "may_see",
    "may_see_agreement",
    "may_see_delivery",
    "party_version",
    "received_delivery",
    "visible_agreements",
    "visible_deliveries",
    "visible_delivery",
    "visible_dispute",
    "visible_version",
]
