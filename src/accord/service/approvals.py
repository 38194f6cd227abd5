"""Approving agreements, and moving them through review to live, as the people the playbook names.

This is the single path for approvals: the server, the CLI and the exercise all call
:func:`approve`. An approval is given by a user holding the role the playbook requires
(``accord.playbook.required_approvals``) for their own party, on the version under review. It is
signed with the party's key over the agreement hash, stored, and appended to the ledger as an
``agreement-approved`` event. When every required approval is in (and none is a rejection), the
version moves to ``approved``; a discloser's SIRO then makes it ``active``.

Who may move a version (:func:`move`) is the playbook's ``lifecycle`` table (``stages.yaml``):

- ``in_review`` (submit) and back to ``draft``: a requester or IAO of a party;
- ``active``: the SIRO of a disclosing party, once approved and with no blocking finding;
- ``suspended``, ``terminated``, ``expired``: the SIRO of a disclosing party. Ending or
  suspending the agreement stops every recipient's flow, so one recipient cannot do it; an
  arbiter does it through a dispute decision, the operator through :func:`operator_transition`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, update

from accord.errors import InputError, NotFound, NotPermitted, Problem
from accord.law import check
from accord.ledger.events import AgreementApproved
from accord.model import check_transition
from accord.model.enums import ApprovalRole, Decision, Status
from accord.playbook.stages import RequiredApproval, playbook, required_approvals
from accord.service import agreements as agreement_service
from accord.service import lifecycle
from accord.service._ledger import iso, record
from accord.service.agreements import StoredVersion
from accord.service.users import Role, User
from accord.store.agreements import agreement_versions
from accord.store.ledger import ledger_entries
from accord.store.users import approvals as approvals_table
from accord.workspace import Workspace

_log = logging.getLogger("accord")
POSITIVE = frozenset({Decision.approve, Decision.approve_with_conditions})


@dataclass(frozen=True)
class ApprovalRecord:
    agreement_id: str
    seq: int
    version: str
    agreement_hash: str
    party: str
    role: ApprovalRole
    decision: Decision
    reasons: str | None
    conditions: str | None
    approver: str
    at: datetime
    signature: str
    event_id: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "agreement_id": self.agreement_id,
            "version": self.version,
            "agreement_hash": self.agreement_hash,
            "party": self.party,
            "role": self.role.value,
            "decision": self.decision.value,
            "reasons": self.reasons,
            "conditions": self.conditions,
            "approver": self.approver,
            "at": self.at.isoformat(),
            "signature": self.signature,
            "event_id": self.event_id,
        }


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _party_member(version: StoredVersion, user: User) -> None:
    if user.party_org_id not in {p.org_id for p in version.agreement.parties}:
        raise NotFound(f"no agreement with id {version.agreement_id}")


def required(version: StoredVersion) -> list[RequiredApproval]:
    """Every approval and consultation the playbook asks for on this version."""
    return required_approvals(version.agreement)


def recorded(ws: Workspace, agreement_id: str, seq: int | None = None) -> list[ApprovalRecord]:
    """The approvals recorded on a version (the latest when ``seq`` is None), oldest first."""
    version = agreement_service.get(ws, agreement_id, seq)
    with ws.engine.connect() as conn:
        return _recorded(conn, version)


def _recorded(
    conn: Connection, version: StoredVersion, *, approval_id: int | None = None
) -> list[ApprovalRecord]:
    query = (
        select(approvals_table, ledger_entries.c.event_id)
        .outerjoin(ledger_entries, ledger_entries.c.leaf_index == approvals_table.c.ledger_index)
        .where(
            approvals_table.c.agreement_id == version.agreement_id,
            approvals_table.c.seq == version.seq,
        )
        .order_by(approvals_table.c.id)
    )
    if approval_id is not None:
        query = query.where(approvals_table.c.id == approval_id)
    return [
        ApprovalRecord(
            r.agreement_id,
            r.seq,
            version.version,
            r.agreement_hash,
            r.party_org_id,
            ApprovalRole(r.role),
            Decision(r.decision),
            r.reasons,
            r.conditions,
            r.approver_name,
            _utc(r.at),
            r.signature,
            r.event_id,
        )
        for r in conn.execute(query).all()
    ]


def _latest_decisions(
    records: list[ApprovalRecord],
) -> dict[tuple[str, ApprovalRole], ApprovalRecord]:
    latest: dict[tuple[str, ApprovalRole], ApprovalRecord] = {}
    for rec in records:
        latest[(rec.party, rec.role)] = rec
    return latest


def outstanding(ws: Workspace, version: StoredVersion) -> list[RequiredApproval]:
    """Required approvals (kind ``approve``) not yet given positively on this version."""
    with ws.engine.connect() as conn:
        return _outstanding(conn, version)


def _outstanding(conn: Connection, version: StoredVersion) -> list[RequiredApproval]:
    latest = _latest_decisions(_recorded(conn, version))
    return [
        r
        for r in required(version)
        if r.kind == "approve"
        and not (
            (r.party_org_id, r.role) in latest
            and latest[(r.party_org_id, r.role)].decision in POSITIVE
        )
    ]


def waiting_for(ws: Workspace, user: User) -> list[tuple[StoredVersion, RequiredApproval]]:
    """Versions in review whose outstanding approvals this user could give."""
    mine: list[tuple[StoredVersion, RequiredApproval]] = []
    for version in agreement_service.list_all(ws):
        if version.status is not Status.in_review:
            continue
        if user.party_org_id not in {p.org_id for p in version.agreement.parties}:
            continue
        for need in outstanding(ws, version):
            if need.party_org_id == user.party_org_id and user.holds(need.role.value):
                mine.append((version, need))
    return mine


def _choose_role(version: StoredVersion, user: User, role: str | None) -> ApprovalRole:
    asked = [
        r
        for r in required(version)
        if r.party_org_id == user.party_org_id and r.role.value in {x.value for x in user.roles}
    ]
    if role is not None:
        asked = [r for r in asked if r.role.value == role]
    roles = sorted({r.role for r in asked})
    if not roles:
        raise NotPermitted(
            "the playbook does not ask you to approve this agreement",
            [
                Problem(
                    "role",
                    f"{user.party_org_id} approvals come from: "
                    + (
                        ", ".join(
                            sorted(
                                {
                                    r.role.value
                                    for r in required(version)
                                    if r.party_org_id == user.party_org_id
                                }
                            )
                        )
                        or "nobody (this party does not sign)"
                    ),
                )
            ],
        )
    if len(roles) > 1:
        raise InputError(
            "you hold more than one role that approves this agreement",
            [Problem("role", "choose one of: " + ", ".join(r.value for r in roles))],
        )
    return roles[0]


def _parse_decision(
    decision: Decision | str, reasons: str | None, conditions: str | None
) -> Decision:
    try:
        parsed = Decision(decision)
    except ValueError:
        raise InputError(
            f"{decision} is not a decision",
            [Problem("decision", "one of: " + ", ".join(d.value for d in Decision))],
        ) from None
    if parsed is Decision.reject and not (reasons or "").strip():
        raise InputError("a rejection must give reasons", [Problem("reasons", "say why")])
    if parsed is Decision.approve_with_conditions and not (conditions or "").strip():
        raise InputError(
            "an approval with conditions must state them", [Problem("conditions", "list them")]
        )
    return parsed


def approve(
    ws: Workspace,
    agreement_id: str,
    user: User,
    decision: Decision | str,
    reasons: str | None = None,
    conditions: str | None = None,
    *,
    role: str | None = None,
) -> ApprovalRecord:
    """Record ``user``'s signed decision on the version in review; raise if not theirs to give."""
    version = agreement_service.get(ws, agreement_id)
    _party_member(version, user)
    if version.status is not Status.in_review:
        raise NotPermitted(
            "approvals are given while an agreement is in review",
            [Problem("status", f"version {version.version} is {version.status.value}")],
        )
    approval_role = _choose_role(version, user, role)
    parsed = _parse_decision(decision, reasons, conditions)
    now = ws.clock.now()
    if parsed in POSITIVE:
        check(version.agreement, now.date()).raise_if_blocking()
    event = ws.keystore.sign_event(
        AgreementApproved(
            agreement_id=agreement_id,
            agreement_version=version.version,
            agreement_hash=version.hash,
            at=iso(now),
            party=user.party_org_id,
            role=approval_role.value,
            decision=parsed.value,
            reasons=tuple(x for x in ((reasons or "").strip(), (conditions or "").strip()) if x),
            signature="",
        )
    )
    with ws.engine.begin() as conn:
        # Take the version's row first (PostgreSQL's row lock; SQLite's write lock), so that
        # approvals of one version are serialised and each sees the ones before it.
        _hold_in_review(conn, version)
        inserted = conn.execute(
            approvals_table.insert().values(
                agreement_id=agreement_id,
                seq=version.seq,
                agreement_hash=version.hash,
                party_org_id=user.party_org_id,
                role=approval_role.value,
                decision=parsed.value,
                reasons=(reasons or "").strip() or None,
                conditions=(conditions or "").strip() or None,
                user_id=user.id,
                approver_name=user.name,
                at=now,
                signature=event.signature,
                ledger_index=None,
            )
        ).inserted_primary_key
        if inserted is None:  # pragma: no cover - every supported database returns the key
            raise RuntimeError("the database did not return the approval's id")
        # The approval, its signed ledger event and (when it is the last one required) the move
        # to approved commit together, or none of them does.
        (entry,) = record(ws, event, conn=conn)
        conn.execute(
            update(approvals_table)
            .where(approvals_table.c.id == inserted[0])
            .values(ledger_index=entry.index)
        )
        if parsed in POSITIVE and not _outstanding(conn, version):
            agreement_service.transition_in(
                ws,
                conn,
                agreement_id,
                Status.approved,
                seq=version.seq,
                now=now,
                reason="every required approval is in",
                actor=user.email,
            )
        (mine,) = _recorded(conn, version, approval_id=inserted[0])
    return mine


def _hold_in_review(conn: Connection, version: StoredVersion) -> None:
    """Lock ``version``'s row while it is still in review; raise if it no longer is."""
    held = conn.execute(
        update(agreement_versions)
        .where(
            agreement_versions.c.agreement_id == version.agreement_id,
            agreement_versions.c.seq == version.seq,
            agreement_versions.c.status == Status.in_review.value,
        )
        .values(status=Status.in_review.value)
    )
    if held.rowcount != 1:
        now_status = conn.execute(
            select(agreement_versions.c.status).where(
                agreement_versions.c.agreement_id == version.agreement_id,
                agreement_versions.c.seq == version.seq,
            )
        ).scalar_one()
        raise NotPermitted(
            "approvals are given while an agreement is in review; nothing was recorded",
            [Problem("status", f"version {version.version} is now {now_status}")],
        )


def move(
    ws: Workspace, agreement_id: str, user: User, target: Status | str, reason: str | None = None
) -> StoredVersion:
    """Move a version to ``target`` if ``user`` may (see the module docstring).

    Which version: :func:`~accord.service.agreements.version_to_move` (suspending or ending
    acts on the version in force, not on an amendment drafted beside it).
    """
    try:
        target = Status(target)
    except ValueError:
        raise InputError(
            f"{target} is not a lifecycle state",
            [Problem("to", "one of " + ", ".join(s.value for s in Status))],
        ) from None
    version = agreement_service.version_to_move(ws, agreement_id, target)
    _party_member(version, user)
    party = version.agreement.party(user.party_org_id)
    rule = playbook().move_rule(target)
    if rule is None:
        raise NotPermitted(
            f"{target.value} is reached through approvals, not by hand",
            [Problem("to", "approvals move a version to approved; amend to supersede")],
        )
    user.require_role(*(r for r in Role if r.value in rule.roles))
    if rule.parties == "disclosers" and not party.discloses:
        raise NotPermitted(
            f"only a disclosing party's {' or '.join(rule.roles).upper()} may move the whole "
            f"agreement to {target.value}",
            [
                Problem(
                    "party",
                    f"{party.name} does not disclose under this agreement; it affects every "
                    "recipient's flow, so it is the discloser's act (or an arbiter's decision)",
                )
            ],
        )
    if target is Status.active:
        # The law at today's date, with dated bases and each party's recorded assurance.
        lifecycle.activation_findings(ws, version, ws.clock.now().date()).raise_if_blocking()
    return agreement_service.transition(
        ws, agreement_id, target, seq=version.seq, reason=reason, actor=user.email
    )


__all__ = [
    "ApprovalRecord",
    "approve",
    "move",
    "outstanding",
    "recorded",
    "required",
    "waiting_for",
]


def operator_transition(
    ws: Workspace,
    agreement_id: str,
    target: Status | str,
    *,
    seq: int | None = None,
    reason: str | None = None,
    actor: str = "operator",
    unsafe_skip_approvals: bool = False,
) -> StoredVersion:
    """Move a version as the instance's operator (the command line), with the same gates.

    ``approved`` needs every approval the playbook requires to be recorded, unless
    ``unsafe_skip_approvals`` is given (logged, and written into the ledger event's reason);
    ``active`` needs no blocking finding of the law, always.
    """
    try:
        target = Status(target)
    except ValueError:
        raise InputError(
            f"{target} is not a lifecycle state",
            [Problem("state", "one of " + ", ".join(s.value for s in Status))],
        ) from None
    version = agreement_service.version_to_move(ws, agreement_id, target, seq)
    check_transition(version.status, target)  # the lifecycle speaks first
    if target is Status.approved:
        missing = outstanding(ws, version)
        if missing and not unsafe_skip_approvals:
            raise NotPermitted(
                f"{len(missing)} required approval(s) are not recorded",
                [Problem(f"approval {m.role.value}", f"of {m.party_org_id}") for m in missing[:10]]
                + (
                    [Problem("approval", f"and {len(missing) - 10} more")]
                    if len(missing) > 10
                    else []
                ),
            )
        if missing:
            _log.warning(
                "UNSAFE: %s approved %s v%s without %d required approvals",
                actor,
                agreement_id,
                version.seq,
                len(missing),
            )
            reason = f"UNSAFE operator override: {len(missing)} required approvals skipped. " + (
                reason or ""
            )
    elif target is Status.active:
        lifecycle.activation_findings(ws, version, ws.clock.now().date()).raise_if_blocking()
    return agreement_service.transition(
        ws, agreement_id, target, seq=version.seq, reason=reason, actor=actor
    )
