"""What falls due on a clock tick: the daily re-check of every live agreement.

:func:`sweep` runs :data:`STEPS` in order, each idempotent, each reading only stored state and
the injected clock (a restart loses nothing; a second sweep at the same moment does nothing):

1. :func:`step_due_actions`: an unratified emergency agreement at its incident's ``review_by``
   is **expired**; at the due date of a provisional DPIA it is **suspended** (scenario S13),
   with the playbook's notifications.
2. :func:`step_assurance`: assurance that ran out (an improvement plan, a publication, a
   certificate) and SIRO exceptions past their end are recorded once, each a ledger event.
3. :func:`step_recheck`: the whole law check at the sweep's date (:func:`recheck`), with each
   party's assurance in force that day and each dated legal basis. A blocking finding acts on
   what it concerns: a finding about one flow, or about a recipient's assurance, **suspends
   those flows** (a ``flow-suspended`` event, the register shows it, the engine skips them) and
   they resume when the finding goes (a ``flow-resumed`` event); a finding about the whole
   agreement (an ended basis, say) **suspends the agreement**. The SIRO and DPO of each party
   affected are told.
4. :func:`step_warnings`: the owners are warned before anything with a date ends (a basis, an
   assurance record, a SIRO exception) and before the agreement's review date, once per
   threshold of :attr:`Policy.warn_days` (30, 14 and 7 days by default); the day after the review
   date they are told, once, that the review is overdue (the ``review.overdue`` finding: the
   review decision is the SIRO's, playbook stage 12, so nothing is suspended for it).
5. :func:`step_exit`: boundary changes, then exit and retention.
6. :func:`step_push`: queued pushes that may no longer go are withdrawn, those due are sent,
   MESH acknowledgements are recorded, and deliveries without a receipt after
   :attr:`Policy.chase_days` are chased.

Other subsystems add their own steps by appending to :data:`STEPS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from accord.errors import ConfigError, NotActive, Problem
from accord.law import Finding, Findings, check, default_registry
from accord.law.context import OrganisationLookup
from accord.ledger.events import FlowResumed, FlowSuspended
from accord.model import Agreement, Flow, expiry_due
from accord.model.enums import Status
from accord.playbook import Notify, Suspend, due_actions
from accord.service import agreements, assurance, bases, standing
from accord.service._ledger import iso, record
from accord.service.agreements import StoredVersion
from accord.service.parties import organisation_lookup
from accord.store.disputes import notifications
from accord.store.lifecycle import flow_suspensions
from accord.workspace import Workspace

LIVE = (Status.active, Status.suspended)
REVIEW_OVERDUE = "review.overdue"
# Findings about a recipient's assurance pause only the flows of personal data to it.
ASSURANCE_CODES = frozenset({assurance.DSPT_BELOW, assurance.CERTIFICATE_MISSING})


@dataclass(frozen=True)
class Policy:
    """How far ahead the owners are warned: each threshold once, in days before a date."""

    warn_days: tuple[int, ...] = (30, 14, 7)
    # A delivery with no receipt of its manifest this many days after it was made is chased.
    chase_days: int = 3

    def __post_init__(self) -> None:
        if not self.warn_days or any(d <= 0 for d in self.warn_days):
            raise ConfigError(
                "warning thresholds must be positive days",
                [Problem("warn_days", f"got {self.warn_days!r}")],
            )
        if self.chase_days <= 0:
            raise ConfigError(
                "deliveries are chased after a positive number of days",
                [Problem("chase_days", f"got {self.chase_days!r}")],
            )
        object.__setattr__(self, "warn_days", tuple(sorted(set(self.warn_days), reverse=True)))


@dataclass(frozen=True)
class Swept:
    agreement_id: str
    seq: int
    action: str  # expired, suspended, flow-suspended, flow-resumed, notified, warned, lapsed...
    detail: str


@dataclass(frozen=True)
class Block:
    """What a blocking finding stops: some flows, or the whole agreement (``flows`` is None)."""

    cause: str
    reason: str
    flows: tuple[str, ...] | None
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Recheck:
    findings: Findings
    blocks: tuple[Block, ...]
    # (flow id, cause) -> why a finding that would stop it does not (a SIRO exception).
    waived: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def whole(self) -> list[Block]:
        return [b for b in self.blocks if b.flows is None]

    def paused(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for b in self.blocks:
            for f in b.flows or ():
                out.setdefault(f, b.reason)
        return out


@dataclass(frozen=True)
class Deadline:
    """Something with a date in an agreement's life: ``last_day`` is the last day it holds."""

    agreement_id: str
    seq: int
    title: str
    what: str
    last_day: date
    owners: tuple[str, ...]
    key: str
    # "end": something stops after last_day; "review": last_day is the agreement's review date
    # (nothing stops: the SIRO decides; from stops_on the review is overdue).
    kind: str = "end"

    @property
    def stops_on(self) -> date:
        return self.last_day + timedelta(days=1)

    def days_left(self, on: date) -> int:
        return (self.stops_on - on).days


@dataclass(frozen=True)
class SweepContext:
    ws: Workspace
    now: datetime
    policy: Policy

    @property
    def today(self) -> date:
        return self.now.date()


Step = Callable[[SweepContext], list[Swept]]


# -- the re-check ------------------------------------------------------------------------------


def _personal(a: Agreement, flow: Flow) -> bool:
    """Whether ``flow`` may carry personal data: a label alone never makes it anonymous."""
    return not a.anonymous(flow)


def _message(f: Finding) -> str:
    return f"{f.message} ({f.citation})"


def recheck(
    ws: Workspace,
    version: StoredVersion,
    on: date,
    *,
    organisations: OrganisationLookup | None = None,
) -> Recheck:
    """The whole law check of ``version`` on ``on`` (:func:`.standing.findings_on`, the rule
    ``accord check`` uses too), and what each blocking finding stops."""
    a = version.agreement
    findings = standing.findings_on(ws, a, on, organisations=organisations)
    excepted = assurance.excepted(ws, version.agreement_id, on)
    disclosers = tuple(p.org_id for p in a.disclosers)
    blocks: list[Block] = []
    waived: dict[tuple[str, str], str] = {}
    for f in findings.blocking:
        cause = f"{f.code}@{f.field}"
        flow = _flow_of(a, f.field)
        if flow is not None:
            blocks.append(Block(cause, _message(f), (flow.id,), (flow.recipient, *disclosers)))
            continue
        party_id = _party_of(a, f.field)
        party = a.party(party_id) if party_id else None
        if party is not None and party.receives and not party.discloses:
            to_party = [fl for fl in a.flows if fl.recipient == party.org_id]
            if f.code in ASSURANCE_CODES:
                to_party = [fl for fl in to_party if _personal(a, fl)]
                held = excepted.get(party.org_id)
                if held is not None and to_party:
                    why = (
                        f"the discloser's SIRO recorded exception {held.id}, in force until "
                        f"{held.exception.ends.isoformat()}: {held.exception.controls}"
                    )
                    for fl in to_party:
                        waived[(fl.id, cause)] = why
                    continue
            if to_party:
                flows = tuple(fl.id for fl in to_party)
                blocks.append(Block(cause, _message(f), flows, (party.org_id, *disclosers)))
                continue
        blocks.append(Block(cause, _message(f), None, tuple(p.org_id for p in a.parties)))
    return Recheck(findings, tuple(blocks), waived)


def activation_findings(ws: Workspace, version: StoredVersion, on: date) -> Findings:
    """What blocks activating ``version`` on ``on``: the re-check's findings, without those a
    SIRO exception in force waives (the same judgement the daily sweep acts on), and a recipient
    that does not exist on ``on`` (``recipient-not-in-existence``: the boundary changes the
    sweep proposes amendments for)."""
    result = recheck(ws, version, on, organisations=organisation_lookup(ws))
    waived = {cause for (_flow, cause) in result.waived}
    return Findings(f for f in result.findings if f"{f.code}@{f.field}" not in waived)


def _flow_of(a: Agreement, where: str) -> Flow | None:
    m = re.match(r"^flows\.([^.]+)", where)
    if not m:
        return None
    key = m.group(1)
    if key.isdigit():
        i = int(key)
        return a.flows[i] if i < len(a.flows) else None
    return next((f for f in a.flows if f.id == key), None)


def _party_of(a: Agreement, where: str) -> str | None:
    m = re.match(r"^parties\.(\d+)", where)
    if not m or int(m.group(1)) >= len(a.parties):
        return None
    return a.parties[int(m.group(1))].org_id


# -- what the engine may run -------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """What the engine must not run now: the whole agreement (``stopped``) or some flows."""

    stopped: str | None
    paused: dict[str, str]


def gate(ws: Workspace, version: StoredVersion, now: datetime) -> Gate:
    """The flows of ``version`` that must not run at ``now``.

    Reads what the sweep recorded (open flow suspensions) and, so that a lapse between two sweeps
    stops data at once, judges live the findings that come from dated records: a dated basis that
    has ended stops the whole agreement; a recipient whose recorded assurance is below the
    agreement's minimum (without an exception in force) pauses its flows of personal data.
    """
    on = now.date()
    live = recheck(ws, version, on)
    paused = {
        flow: reason
        for (flow, cause), reason in _open(ws, version).items()
        if (flow, cause) not in live.waived  # an exception recorded since the last sweep
    }
    recorded = set(assurance.parties(ws, on))
    stopped = None
    for b in live.blocks:
        code = b.cause.split("@", 1)[0]
        if code in bases.CODES and b.flows is None:
            stopped = stopped or b.reason
        elif code in ASSURANCE_CODES and b.flows is not None and recorded & set(b.parties):
            for f in b.flows:
                paused.setdefault(f, b.reason)
    return Gate(stopped, paused)


def open_suspensions(ws: Workspace, version: StoredVersion) -> dict[str, str]:
    """Flow id -> reason, for each flow of ``version`` the sweep has suspended."""
    return {flow: reason for (flow, _cause), reason in _open(ws, version).items()}


def _open(ws: Workspace, version: StoredVersion) -> dict[tuple[str, str], str]:
    t = flow_suspensions
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.flow_id, t.c.cause, t.c.reason)
            .where(t.c.agreement_hash == version.hash, t.c.lifted_at.is_(None))
            .order_by(t.c.id)
        ).all()
    return {(r.flow_id, r.cause): r.reason for r in rows}


# -- notifications -----------------------------------------------------------------------------


def _notify(
    ws: Workspace,
    v: StoredVersion,
    party: str,
    role: str,
    subject: str,
    message: str,
    deadline: datetime | None,
    now: datetime,
) -> bool:
    """Store a notification unless the same one is already stored; True when new."""
    subject = subject[:300]
    address = None
    try:
        contacts = v.agreement.party(party).contacts
        address = {"siro": contacts.siro, "dpo": contacts.dpo}.get(role)
    except KeyError:
        pass
    with ws.engine.begin() as conn:
        exists = conn.execute(
            select(notifications.c.id).where(
                notifications.c.agreement_hash == v.hash,
                notifications.c.party == party,
                notifications.c.role == role,
                notifications.c.subject == subject,
            )
        ).first()
        if exists:
            return False
        conn.execute(
            notifications.insert().values(
                dispute_id=None,
                step_seq=None,
                agreement_id=v.agreement_id,
                agreement_version=v.version,
                agreement_hash=v.hash,
                party=party,
                role=role,
                address=address,
                subject=subject,
                message=message,
                deadline=deadline,
                created_at=now,
            )
        )
    return True


def _tell(
    ws: Workspace,
    v: StoredVersion,
    parties: Iterable[str],
    subject: str,
    message: str,
    now: datetime,
) -> None:
    """Tell the SIRO and the DPO of each party."""
    for party in dict.fromkeys(parties):
        for role in ("siro", "dpo"):
            _notify(ws, v, party, role, subject, message, None, now)


def _stop(ws: Workspace, v: StoredVersion, target: Status, reason: str, now: datetime) -> Swept:
    agreements.transition(ws, v.agreement_id, target, seq=v.seq, reason=reason, actor="accord")
    for party in v.agreement.recipients:
        _notify(
            ws,
            v,
            party.org_id,
            "siro",
            f"Flows {target.value}: {v.agreement.title}",
            f"accord has {target.value} the agreement; no further deliveries. {reason}",
            None,
            now,
        )
    return Swept(v.agreement_id, v.seq, target.value, reason)


# -- the steps ---------------------------------------------------------------------------------


def _live_versions(ws: Workspace) -> list[StoredVersion]:
    out: list[StoredVersion] = []
    for latest in agreements.list_all(ws):
        out.extend(v for v in agreements.versions(ws, latest.agreement_id) if v.status in LIVE)
    return out


def step_due_actions(c: SweepContext) -> list[Swept]:
    """Emergency expiry at the review date; the playbook's DPIA reminder and suspension."""
    ws, now = c.ws, c.now
    done: list[Swept] = []
    for v in _live_versions(ws):
        if expiry_due(v.agreement, v.status, now, ratified=v.ratified):
            reason = "the incident's review date passed without ratification"
            done.append(_stop(ws, v, Status.expired, reason, now))
            continue
        for action in due_actions(v.agreement, v.status, now):
            if isinstance(action, Suspend):
                done.append(_stop(ws, v, Status.suspended, action.reason, now))
            elif isinstance(action, Notify):
                subject = action.message.split(";")[0].split(":")[0][:120]
                if _notify(
                    ws,
                    v,
                    action.party,
                    action.role.value,
                    subject,
                    action.message,
                    action.deadline,
                    now,
                ):
                    done.append(Swept(v.agreement_id, v.seq, "notified", action.party))
    return done


def step_assurance(c: SweepContext) -> list[Swept]:
    """Record assurance that ran out, and exceptions that ended by themselves."""
    done = [
        Swept("", 0, "assurance-lapsed", f"{s.record.party} {s.record.scheme.value}")
        for s in assurance.record_lapses(c.ws, c.today)
    ]
    done += [
        Swept(e.exception.agreement_id, 0, "exception-ended", f"{e.id} ({e.exception.recipient})")
        for e in assurance.end_lapsed_exceptions(c.ws, c.today)
    ]
    return done


def step_recheck(c: SweepContext) -> list[Swept]:
    """The whole law check of every active version at the sweep's date, acted on."""
    ws, now = c.ws, c.now
    done: list[Swept] = []
    for v in _live_versions(ws):
        if v.status is not Status.active:
            continue
        result = recheck(ws, v, c.today)
        whole = result.whole
        if whole:
            reason = " ".join(b.reason for b in whole)
            agreements.transition(
                ws, v.agreement_id, Status.suspended, seq=v.seq, reason=reason, actor="accord"
            )
            _tell(
                ws,
                v,
                (p.org_id for p in v.agreement.parties),
                f"Agreement suspended on {c.today.isoformat()}: {v.agreement.title}",
                f"accord has suspended every flow of the agreement; nothing more is delivered. "
                f"{reason}",
                now,
            )
            done.append(Swept(v.agreement_id, v.seq, "suspended", reason))
            continue
        done += reconcile(ws, v, result, now)
    return done


def reconcile(ws: Workspace, v: StoredVersion, result: Recheck, now: datetime) -> list[Swept]:
    """Open a suspension for each flow a finding now stops; lift those no finding stops."""
    wanted: dict[tuple[str, str], Block] = {
        (flow, b.cause): b for b in result.blocks for flow in (b.flows or ())
    }
    opened = _open(ws, v)
    done: list[Swept] = []
    day = now.date().isoformat()
    for (flow_id, cause), b in wanted.items():
        if (flow_id, cause) in opened:
            continue
        recipient = v.agreement.flow(flow_id).recipient
        with ws.engine.begin() as conn:
            conn.execute(
                flow_suspensions.insert().values(
                    agreement_id=v.agreement_id,
                    seq=v.seq,
                    agreement_hash=v.hash,
                    flow_id=flow_id,
                    cause=cause[:300],
                    reason=b.reason,
                    since=now,
                    lifted_at=None,
                    lifted_reason=None,
                )
            )
            record(
                ws,
                _flow_event(FlowSuspended, v, flow_id, recipient, cause, b.reason, now),
                conn=conn,
            )
        _tell(
            ws,
            v,
            b.parties,
            f"Flow {flow_id} suspended on {day}: {v.agreement.title}",
            f"accord has suspended the flow {flow_id} to {recipient}; the agreement's other flows "
            f"keep running. {b.reason}",
            now,
        )
        done.append(Swept(v.agreement_id, v.seq, "flow-suspended", f"{flow_id}: {b.reason}"))
    for (flow_id, cause), _reason in opened.items():
        if (flow_id, cause) in wanted:
            continue
        why = result.waived.get((flow_id, cause)) or "the finding that stopped it no longer holds"
        recipient = v.agreement.flow(flow_id).recipient
        t = flow_suspensions
        with ws.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(
                    t.c.agreement_hash == v.hash,
                    t.c.flow_id == flow_id,
                    t.c.cause == cause,
                    t.c.lifted_at.is_(None),
                )
                .values(lifted_at=now, lifted_reason=why)
            )
            record(ws, _flow_event(FlowResumed, v, flow_id, recipient, cause, why, now), conn=conn)
        _tell(
            ws,
            v,
            (recipient, *(p.org_id for p in v.agreement.disclosers)),
            f"Flow {flow_id} resumed on {day}: {v.agreement.title}",
            f"accord has resumed the flow {flow_id} to {recipient}: {why}",
            now,
        )
        done.append(Swept(v.agreement_id, v.seq, "flow-resumed", f"{flow_id}: {why}"))
    return done


def _flow_event(
    cls: type[FlowSuspended] | type[FlowResumed],
    v: StoredVersion,
    flow_id: str,
    recipient: str,
    cause: str,
    reason: str,
    now: datetime,
) -> FlowSuspended | FlowResumed:
    return cls(
        agreement_id=v.agreement_id,
        agreement_version=v.version,
        agreement_hash=v.hash,
        at=iso(now),
        flow_id=flow_id,
        recipient=recipient,
        cause=cause,
        reason=reason,
    )


# -- deadlines and warnings --------------------------------------------------------------------


def deadlines(ws: Workspace, v: StoredVersion, on: date) -> list[Deadline]:
    """Everything with a date in ``v``'s life, as known on ``on`` (past ones included)."""
    a = v.agreement
    owners = tuple(p.org_id for p in a.disclosers)
    out: list[Deadline] = []

    def add(
        what: str,
        last_day: date | None,
        key: str,
        extra: tuple[str, ...] = (),
        kind: str = "end",
    ) -> None:
        if last_day is not None:
            out.append(
                Deadline(
                    v.agreement_id, v.seq, a.title, what, last_day, (*owners, *extra), key, kind
                )
            )

    due = a.review.review_date
    add(f"review of the agreement, due on {due.isoformat()}", due, f"review:{due.isoformat()}",
        kind="review")  # fmt: skip

    known = bases.all_bases(ws)
    for _ref, basis in bases.dated_refs(a, known):
        add(f"legal basis {basis.id} ({basis.title})", basis.end_known_on(on), f"basis:{basis.id}")
    registry = default_registry()
    for gid in a.legal_basis.gateways:
        if registry.has_gateway(gid):
            gw = registry.gateway(gid)
            add(f"legal gateway {gid} ({gw.title})", gw.in_force_until, f"gateway:{gid}")
    personal = {f.recipient for f in a.flows if _personal(a, f)}
    recorded = assurance.parties(ws, on)
    for party in a.recipients:
        if party.org_id not in personal:
            continue
        for scheme, held in recorded.get(party.org_id, {}).items():
            for what, end in (
                ("improvement plan", held.plan_ends),
                ("assurance", held.record.valid_until),
            ):
                add(
                    f"{party.name}'s {scheme.value.replace('_', ' ')} {what}",
                    end,
                    f"assurance:{held.id}:{what}",
                    (party.org_id,),
                )
    for f in a.flows:
        if f.end is not None:  # the flow stops at the start of its end day
            add(f"flow {f.id} to {f.recipient}", f.end.date() - timedelta(days=1), f"flow:{f.id}")
    for e in assurance.exceptions(ws, v.agreement_id):
        if e.ended_at is None:
            add(
                f"SIRO exception {e.id} for {e.exception.recipient}",
                e.exception.ends,
                f"exception:{e.id}",
            )
    return out


def upcoming(ws: Workspace, on: date, *, horizon: int = 60) -> list[Deadline]:
    """What ends within ``horizon`` days of ``on`` in every active agreement, soonest first."""
    out = [
        d
        for v in _live_versions(ws)
        if v.status is Status.active
        for d in deadlines(ws, v, on)
        if 0 < d.days_left(on) <= horizon
    ]
    return sorted(out, key=lambda d: (d.stops_on, d.agreement_id, d.what))


def step_warnings(c: SweepContext) -> list[Swept]:
    """Warn the owners once per threshold before each date in an active agreement's life, and
    once when its review is overdue."""
    ws, now, today = c.ws, c.now, c.today
    done: list[Swept] = []
    for v in _live_versions(ws):
        if v.status is not Status.active:
            continue
        for d in deadlines(ws, v, today):
            left = d.days_left(today)
            deadline = datetime.combine(d.stops_on, time.min, tzinfo=UTC)
            if d.kind == "review" and left <= 0:
                subject, message = _overdue(v, d)
            elif left <= 0:
                continue
            else:
                crossed = [t for t in c.policy.warn_days if left <= t]
                if not crossed:
                    continue
                subject, message = _warning(v, d, min(crossed), left)
            sent = False
            for party in dict.fromkeys(d.owners):
                for role in ("siro", "dpo"):
                    sent |= _notify(ws, v, party, role, subject, message, deadline, now)
            if sent and left <= 0:
                done.append(Swept(v.agreement_id, v.seq, "review-overdue", d.what))
            elif sent:
                done.append(Swept(v.agreement_id, v.seq, "warned", f"{d.what}: {left} days"))
    return done


def _warning(v: StoredVersion, d: Deadline, threshold: int, left: int) -> tuple[str, str]:
    if d.kind == "review":
        subject = f"Warning ({threshold} days): {d.what} [{d.key}]"
        message = (
            f"The review of {v.agreement.title!r} is due on {d.last_day.isoformat()} ({left} "
            "days until it is overdue). Its SIRO decides whether to continue, amend, suspend or "
            "end it (playbook stage 12); after that day the review is overdue."
        )
        return subject, message
    subject = f"Warning ({threshold} days): {d.what} ends after {d.last_day.isoformat()} [{d.key}]"
    message = (
        f"{d.what[:1].upper()}{d.what[1:]}: {d.last_day.isoformat()} is its last day "
        f"({left} days left). Renew it, or re-paper {v.agreement.title!r} onto what "
        "holds after it, before then; flows that rest on it stop when it ends."
    )
    return subject, message


def _overdue(v: StoredVersion, d: Deadline) -> tuple[str, str]:
    """Once, the day a review is overdue: the ``review.overdue`` finding, told to the owners."""
    finding = next((f for f in check(v.agreement, d.stops_on) if f.code == REVIEW_OVERDUE), None)
    said = _message(finding) if finding else f"The review was due on {d.last_day.isoformat()}."
    return f"Review overdue: {v.agreement.title} [{d.key}]", said


def step_exit(c: SweepContext) -> list[Swept]:
    """Boundary changes (:mod:`.boundaries`), then exit and retention (:mod:`.retention`)."""
    from accord.service import boundaries, retention  # they import Swept from this module

    return [*boundaries.sweep(c.ws, c.now), *retention.sweep(c.ws, c.now)]


def step_push(c: SweepContext) -> list[Swept]:
    """Pushes (:mod:`.push`): withdraw what may no longer go, send what is due, record MESH
    acknowledgements; then chase deliveries without a receipt (:mod:`.chasing`)."""
    from accord.service import chasing, push  # push reads this module's suspensions

    done = [
        Swept(p.agreement_id, 0, "push-withdrawn", p.delivery_id)
        for p in push.withdraw_stopped(c.ws, c.now)
    ]
    done += [
        Swept(p.agreement_id, 0, f"push-{p.state}", f"{p.delivery_id} by {p.method}")
        for p in push.send_due(c.ws, c.now)
    ]
    done += [
        Swept(p.agreement_id, 0, "push-acknowledged", p.delivery_id)
        for p in push.poll_acknowledgements(c.ws, c.now)
    ]
    done += [
        Swept(u.agreement_id, 0, "chased", f"{u.delivery_id} ({u.recipient}, {u.days} days)")
        for u in chasing.chase(c.ws, c.now, after_days=c.policy.chase_days)
    ]
    return done


STEPS: list[Step] = [
    step_due_actions, step_assurance, step_recheck, step_warnings, step_exit, step_push,
]  # fmt: skip


def sweep(
    ws: Workspace, now: datetime | None = None, *, policy: Policy | None = None
) -> list[Swept]:
    """Apply everything due at ``now`` (default: the workspace clock), step by step."""
    context = SweepContext(ws, now or ws.clock.now(), policy or Policy())
    done: list[Swept] = []
    for step in STEPS:
        done.extend(step(context))
    return done


def runnable_flows(
    ws: Workspace, version: StoredVersion, now: datetime, wanted: list[str] | None
) -> list[str] | None:
    """The flows a run of ``version`` at ``now`` may compile: ``wanted`` without paused flows.

    ``None`` (every flow in force) when nothing is paused, so a run is unchanged until a finding
    stops something; :class:`~accord.errors.NotActive` when the gate stops everything.
    """
    if version.status is not Status.active:
        return wanted  # the engine refuses a version that is not active
    g = gate(ws, version, now)
    if g.stopped:
        raise NotActive(
            "the agreement's legal basis is not in force; nothing runs",
            [Problem("legal_basis", g.stopped)],
        )
    if not g.paused:
        return wanted
    on = now.date()
    chosen = [
        f.id
        for f in version.agreement.flows
        if (wanted is None or f.id in wanted) and f.id not in g.paused and _in_force(f, on)
    ]
    if not chosen:
        raise NotActive(
            "every flow chosen is suspended; nothing runs",
            [Problem(f"flows.{f}", reason) for f, reason in sorted(g.paused.items())],
        )
    return chosen


def _in_force(flow: Flow, on: date) -> bool:
    if flow.start is not None and on < flow.start.date():
        return False
    return not (flow.end is not None and on >= flow.end.date())
