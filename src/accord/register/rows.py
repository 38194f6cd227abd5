"""The public register's rows: one per flow, derived from stored records and ledger events.

Nothing here is typed in. A row comes from the agreement version that is (or was) live, its
status changes, and the ledger's events about that agreement (signed approvals, deliveries,
disputes), with the latest signed tree head as the anchor anyone can verify
(domain/rules.md §g.2). Drafts and versions under review are not published.

Publication waits per mode (:class:`PublicationPolicy`): routine and one-off flows appear as
soon as they go live; an emergency flow may be held back for at most 24 hours. A held-back
flow, or one whose agreement names a reason to withhold it, still has a row: it shows the mode,
the status and the reason, and nothing else.

>>> PublicationPolicy().delay(Mode.emergency)
datetime.timedelta(days=1)
>>> volume_band(1234)
'1,000 to 9,999'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.errors import ConfigError, NotFound, Problem
from accord.ledger.checkpoint import SignedTreeHead
from accord.ledger.events import (
    AgreementApproved,
    AssuranceExceptionEnded,
    AssuranceExceptionRecorded,
    DeletionCertified,
    DeliveryMade,
    DisputeDecided,
    DisputeExpired,
    DisputeRaised,
    Event,
    FlowResumed,
    FlowSuspended,
    RecipientStateChanged,
    TableReleased,
)
from accord.model import Agreement, Flow, Party
from accord.model.enums import DpiaStatus, Mode, OrgType, PartyRole, Status
from accord.model.versions import StatusChange, StoredVersion

PUBLIC_STATES = frozenset({Status.active, Status.suspended, Status.expired, Status.terminated})
MAX_EMERGENCY_DELAY = timedelta(hours=24)

# The columns of domain/rules.md §g.2, in register order (CSV header, JSON keys).
COLUMNS: tuple[str, ...] = (
    "register_id",
    "agreement_id",
    "version",
    "agreement_hash",
    "name",
    "plain_english_purpose",
    "purpose_category",
    "commercial",
    "benefits_expected",
    "benefits_realised",
    "mode",
    "incident_id",
    "flow_id",
    "disclosers",
    "recipients",
    "controller_relationship",
    "processors",
    "lawful_basis_art6",
    "art9_condition",
    "dpa_sch1_condition",
    "legal_gateway",
    "confidentiality_basis",
    "data_categories",
    "datasets",
    "identifiability",
    "opt_outs_applied",
    "opt_outs_reason",
    "sharing_method",
    "access_method",
    "frequency",
    "onward_sharing_allowed",
    "areas",
    "area_names",
    "retention_period",
    "start_date",
    "end_date",
    "review_date",
    "status",
    "flow_suspended_reason",
    "assurance_exception",
    "dpia_completed",
    "dpia_date",
    "dpia_summary_url",
    "approvals",
    "disputes",
    "dispute_outcomes",
    "releases",
    "last_release",
    "records_volume_band",
    "exit_state",
    "deletion_certificates",
    "released_tables",
    "contact",
    "audit_log_root_hash",
    "audit_log_timestamp",
    "published_at",
    "withheld_reason",
)
# What a withheld row still shows.
WITHHELD_COLUMNS = frozenset({"register_id", "mode", "status", "published_at", "withheld_reason"})

_CLASSIFICATION_WORDS = {
    "direct_identifier": "direct identifiers",
    "quasi_identifier": "indirect identifiers",
    "special_category_health": "health data (special category)",
    "special_category_other": "other special category data",
    "criminal_offence": "criminal offence data",
    "other_personal": "other personal data",
    "non_personal": "non-personal data",
}
_BANDS = ((100, "fewer than 100"), (1_000, "100 to 999"), (10_000, "1,000 to 9,999"))
_BANDS_HIGH = ((100_000, "10,000 to 99,999"), (1_000_000, "100,000 to 999,999"))


@dataclass(frozen=True)
class PublicationPolicy:
    """How long after going live a flow's row is published, per mode."""

    routine: timedelta = timedelta(0)
    one_off: timedelta = timedelta(0)
    emergency: timedelta = MAX_EMERGENCY_DELAY

    def __post_init__(self) -> None:
        problems = [
            Problem(name, "must not be negative")
            for name in ("routine", "one_off", "emergency")
            if getattr(self, name) < timedelta(0)
        ]
        if self.emergency > MAX_EMERGENCY_DELAY:
            problems.append(Problem("emergency", "an emergency flow is published within 24 h"))
        if problems:
            raise ConfigError("the publication policy is not allowed", problems)

    def delay(self, mode: Mode) -> timedelta:
        return {Mode.routine: self.routine, Mode.one_off: self.one_off}.get(mode, self.emergency)


@dataclass(frozen=True)
class RegisterRow:
    """One flow on the public register; list-valued columns are lists of strings."""

    register_id: str
    mode: str
    status: str
    published_at: str | None
    withheld_reason: str | None
    agreement_id: str | None = None
    version: str | None = None
    agreement_hash: str | None = None
    name: str | None = None
    plain_english_purpose: str | None = None
    purpose_category: list[str] = field(default_factory=list)
    commercial: bool | None = None
    benefits_expected: str | None = None
    benefits_realised: str | None = None
    incident_id: str | None = None
    flow_id: str | None = None
    disclosers: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    controller_relationship: str | None = None
    processors: list[str] = field(default_factory=list)
    lawful_basis_art6: list[str] = field(default_factory=list)
    art9_condition: str | None = None
    dpa_sch1_condition: str | None = None
    legal_gateway: list[str] = field(default_factory=list)
    confidentiality_basis: str | None = None
    data_categories: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    identifiability: str | None = None
    opt_outs_applied: list[str] = field(default_factory=list)
    opt_outs_reason: str | None = None
    sharing_method: str | None = None
    access_method: str | None = None
    frequency: str | None = None
    onward_sharing_allowed: str | None = None
    areas: list[str] = field(default_factory=list)
    area_names: list[str] = field(default_factory=list)
    retention_period: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    review_date: str | None = None
    dpia_completed: bool | None = None
    dpia_date: str | None = None
    dpia_summary_url: str | None = None
    approvals: list[str] = field(default_factory=list)
    disputes: int | None = None
    dispute_outcomes: list[str] = field(default_factory=list)
    releases: int | None = None
    last_release: str | None = None
    records_volume_band: str | None = None
    # Exit and retention (accord.service.retention): the recipient's latest step on this flow,
    # and each deletion certificate it signed ("<delivery id> deleted <date>").
    exit_state: str | None = None
    deletion_certificates: list[str] = field(default_factory=list)
    # Each aggregate table released after its two-person review (accord.service.releases):
    # "<delivery id> to <recipient> under <profile> on <date>".
    released_tables: list[str] = field(default_factory=list)
    contact: str | None = None
    audit_log_root_hash: str | None = None
    audit_log_timestamp: str | None = None
    # Why this one flow is suspended while its agreement runs (accord.service.lifecycle), and the
    # discloser SIRO's assurance exception for its recipient while one is in force.
    flow_suspended_reason: str | None = None
    assurance_exception: str | None = None
    # Not a column: (org_id, name, role) of every party, for exports that code parties apart.
    parties: tuple[tuple[str, str, str], ...] = ()

    @property
    def withheld(self) -> bool:
        return self.withheld_reason is not None

    def as_dict(self) -> dict[str, Any]:
        """The row's columns in register order; a withheld row only its public columns."""
        data = asdict(self)
        return {c: data[c] if not self.withheld or c in WITHHELD_COLUMNS else None for c in COLUMNS}


@dataclass(frozen=True)
class PublishedVersion:
    """An agreement version that has been live, with what the register derives from."""

    version: StoredVersion
    changes: Sequence[StatusChange]
    events: Sequence[Event]


@dataclass(frozen=True)
class RegisterInputs:
    """Everything the rows are derived from, read in one place (see
    :func:`accord.service.register.load_inputs`)."""

    published: Sequence[PublishedVersion]
    head: SignedTreeHead | None


def register_id(agreement_id: str, flow_id: str) -> str:
    """A stable, opaque id for one flow's row (it reveals nothing while the row is withheld)."""
    digest = hashlib.sha256(f"{agreement_id}\n{flow_id}".encode()).hexdigest()
    return "ACR-" + digest[:10].upper()


def volume_band(rows: int) -> str:
    for limit, label in (*_BANDS, *_BANDS_HIGH):
        if rows < limit:
            return label
    return "1,000,000 or more"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _named(party: Party) -> str:
    return f"{party.name} ({party.org_id})"


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for UTC columns; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _went_live(changes: Iterable[StatusChange]) -> datetime | None:
    times = [_utc(c.at) for c in changes if c.to_status is Status.active]
    return min(times) if times else None


def _ended(changes: Iterable[StatusChange], status: Status) -> datetime | None:
    if status not in {Status.expired, Status.terminated}:
        return None
    times = [_utc(c.at) for c in changes if c.to_status is status]
    return max(times) if times else None


def _contact(agreement: Agreement) -> str | None:
    lead = next((p for p in agreement.parties if p.org_id == agreement.rights.lead_party), None)
    for party in [lead, *agreement.disclosers]:
        if party is not None:
            c = party.contacts
            found = c.dpo or c.ig_lead or c.duty_contact_24x7 or c.siro
            if found:
                return found
    return None


def _opt_outs(agreement: Agreement, flow: Flow) -> tuple[list[str], str | None]:
    decision = flow.opt_outs or agreement.opt_out_policy
    if decision is None:
        return [], None
    applied = (["national data opt-out"] if decision.apply_ndoo else []) + (
        ["type 1 opt-out"] if decision.apply_type1 else []
    )
    return applied or ["none"], decision.rationale


class _Evidence:
    """The ledger events of one agreement version, sorted into what the register shows."""

    def __init__(self, events: Sequence[Event], version: StoredVersion, flow: Flow) -> None:
        mine = [e for e in events if e.agreement_hash == version.hash]
        self.approvals = [
            f"{e.role} ({e.party}) {e.decision} {e.at[:10]}"
            for e in mine
            if isinstance(e, AgreementApproved)
        ]
        released = [
            e
            for e in events
            if isinstance(e, TableReleased)
            and e.recipient == flow.recipient
            and e.flow_id == flow.id
        ]
        self.released_tables = [
            f"{e.delivery_id} to {e.recipient} under {e.profile} on {e.at[:10]}" for e in released
        ]
        # An aggregate flow's table counts as a release only once its review released it.
        out = {e.delivery_id for e in released}
        deliveries = [
            e
            for e in events
            if isinstance(e, DeliveryMade)
            and e.recipient == flow.recipient
            and (flow.aggregate is None or e.delivery_id in out)
        ]
        self.releases = len(deliveries)
        self.last_release = max((e.at for e in deliveries), default=None)
        self.volume = volume_band(max(e.row_count for e in deliveries)) if deliveries else None
        steps = [
            e
            for e in events
            if isinstance(e, RecipientStateChanged)
            and e.recipient == flow.recipient
            and e.flow_id in (None, flow.id)
        ]
        last = steps[-1] if steps else None
        self.exit_state = None
        if last is not None:
            kept = f" for {last.purpose} until {last.until}" if last.until else ""
            self.exit_state = f"{last.to_state}{kept}"
        self.certificates = [
            f"{e.delivery_id} deleted {e.deleted_on}"
            for e in events
            if isinstance(e, DeletionCertified)
            and e.recipient == flow.recipient
            and e.delivery_id.endswith(f"/{flow.id}")
        ]
        raised = {e.dispute_id for e in events if isinstance(e, DisputeRaised)}
        self.disputes = len(raised)
        self.outcomes = [
            f"{e.dispute_id}: {e.outcome}"
            for e in events
            if isinstance(e, DisputeDecided | DisputeExpired) and e.dispute_id in raised
        ]
        self.suspended_reason: str | None = None
        for e in mine:
            if isinstance(e, FlowSuspended | FlowResumed) and e.flow_id == flow.id:
                self.suspended_reason = e.reason if isinstance(e, FlowSuspended) else None
        self.exceptions = [
            e
            for e in events
            if isinstance(e, AssuranceExceptionRecorded) and e.recipient == flow.recipient
        ]
        self.ended = {
            e.exception_id: e.at[:10] for e in events if isinstance(e, AssuranceExceptionEnded)
        }

    def exception_on(self, now: datetime) -> str | None:
        """The recipient's exception in force at ``now``, in words, or None."""
        day = now.date().isoformat()
        for e in reversed(self.exceptions):
            ended = self.ended.get(e.exception_id)
            if (ended is None or ended > day) and e.starts <= day <= e.ends:
                return (
                    f"SIRO exception {e.exception_id} by {e.party}, {e.starts} to {e.ends}: "
                    f"{e.controls}"
                )
        return None


def _row(
    pv: PublishedVersion,
    flow: Flow,
    head: SignedTreeHead | None,
    published_at: datetime | None,
    withheld_reason: str | None,
    now: datetime,
) -> RegisterRow:
    v, a = pv.version, pv.version.agreement
    rid = register_id(v.agreement_id, flow.id)
    if withheld_reason is not None:
        return RegisterRow(rid, a.mode.value, v.status.value, _iso(published_at), withheld_reason)
    recipient = a.party(flow.recipient)
    evidence = _Evidence(pv.events, v, flow)
    opt_outs, opt_out_reason = _opt_outs(a, flow)
    lb = a.legal_basis
    area_parties = [p for p in [*a.disclosers, recipient] if p.org_id.startswith("gss:")]
    started = _went_live(pv.changes)
    ended = _ended(pv.changes, v.status)
    return RegisterRow(
        register_id=rid,
        mode=a.mode.value,
        status=(
            Status.suspended.value
            if evidence.suspended_reason and v.status is Status.active
            else v.status.value
        ),
        published_at=_iso(published_at),
        withheld_reason=None,
        flow_suspended_reason=evidence.suspended_reason,
        assurance_exception=evidence.exception_on(now),
        agreement_id=v.agreement_id,
        version=v.version,
        agreement_hash=v.hash,
        name=a.title,
        plain_english_purpose=a.summary_plain_english,
        purpose_category=sorted({p.category.value for p in a.purposes}),
        commercial=any(
            p.org_type in {OrgType.processor_commercial, OrgType.utility}
            and p.role is not PartyRole.processor
            and p.receives
            for p in a.parties
        ),
        benefits_expected=a.benefits,
        benefits_realised=None,
        incident_id=a.incident.incident_id if a.incident else None,
        flow_id=flow.id,
        disclosers=[_named(p) for p in a.disclosers],
        recipients=[_named(recipient)],
        controller_relationship=a.relationship.value,
        processors=[_named(p) for p in a.parties if p.role is PartyRole.processor],
        lawful_basis_art6=[f"Art 6(1)({b.value})" for b in lb.art6],
        art9_condition=f"Art 9(2)({lb.art9.value})" if lb.art9 else None,
        dpa_sch1_condition=(
            f"DPA 2018 Sch 1 para {lb.dpa_sch1_paragraph}" if lb.dpa_sch1_paragraph else None
        ),
        legal_gateway=[*lb.gateways, *([lb.statutory_power] if lb.statutory_power else [])],
        confidentiality_basis=lb.confidentiality_basis.value if lb.confidentiality_basis else None,
        data_categories=sorted(
            {_CLASSIFICATION_WORDS[a.item(n).classification.value] for n in flow.projection}
        ),
        datasets=[flow.dataset] if flow.dataset else list(a.datasets),
        identifiability=a.identifiability(flow).value,
        opt_outs_applied=opt_outs,
        opt_outs_reason=opt_out_reason,
        sharing_method=flow.transfer_method.value,
        access_method=flow.access_method.value,
        frequency=flow.frequency.value,
        onward_sharing_allowed=flow.onward_sharing.value,
        areas=[p.org_id.removeprefix("gss:") for p in area_parties],
        area_names=[p.name for p in area_parties],
        retention_period=a.retention.period,
        start_date=_iso(flow.start or started),
        end_date=_iso(flow.end or ended),
        review_date=a.review.review_date.isoformat(),
        dpia_completed=a.dpia.status is DpiaStatus.complete,
        dpia_date=a.dpia.completed_on.isoformat() if a.dpia.completed_on else None,
        dpia_summary_url=None,
        approvals=evidence.approvals,
        disputes=evidence.disputes,
        dispute_outcomes=evidence.outcomes,
        releases=evidence.releases,
        last_release=evidence.last_release,
        records_volume_band=evidence.volume,
        exit_state=evidence.exit_state,
        deletion_certificates=evidence.certificates,
        released_tables=evidence.released_tables,
        contact=_contact(a),
        audit_log_root_hash=head.root_hash.hex() if head else None,
        audit_log_timestamp=head.timestamp if head else None,
        parties=tuple((p.org_id, p.name, p.role.value) for p in a.parties),
    )


def build_rows(
    inputs: RegisterInputs, *, now: datetime, policy: PublicationPolicy | None = None
) -> list[RegisterRow]:
    """The register's rows at ``now``: pure, so the same inputs always give the same rows."""
    policy = policy or PublicationPolicy()
    rows: list[RegisterRow] = []
    for pv in inputs.published:
        a = pv.version.agreement
        live = _went_live(pv.changes)
        publish_at = live + policy.delay(a.mode) if live else None
        reason: str | None = None
        if a.transparency.withheld_reason:
            reason = a.transparency.withheld_reason
            publish_at = None
        elif publish_at is None or publish_at > now:
            mode = a.mode.value.replace("_", "-")
            reason = (
                f"This {mode} flow's details are published within "
                f"{policy.delay(a.mode).total_seconds() / 3600:g} hours of going live, "
                f"by {_iso(publish_at)}."
            )
        rows.extend(_row(pv, flow, inputs.head, publish_at, reason, now) for flow in a.flows)
    return sorted(rows, key=lambda r: (r.withheld, r.name or "", r.register_id))


def published_version(versions: Sequence[StoredVersion]) -> StoredVersion | None:
    """The version the register shows: the one in force, else the last public one.

    The version in force is the active (or suspended) one, whatever amendment is drafted,
    reviewed or approved beside it, and even when a newer draft was abandoned (terminated
    without ever running): that draft never replaces what the public sees.
    """
    live = [v for v in versions if v.status in {Status.active, Status.suspended}]
    public = [v for v in versions if v.status in PUBLIC_STATES]
    shown = live or public
    return shown[-1] if shown else None


@dataclass(frozen=True)
class RowFilter:
    """Search and filters of the public register; empty values match everything."""

    q: str = ""
    status: str = ""
    mode: str = ""
    discloser: str = ""
    recipient: str = ""
    gateway: str = ""
    incident: str = ""

    def matches(self, row: RegisterRow) -> bool:
        if row.withheld:
            return not (
                self.q or self.discloser or self.recipient or self.gateway or self.incident
            ) and (self.status in ("", row.status) and self.mode in ("", row.mode))
        text = " ".join(
            [row.name or "", row.plain_english_purpose or "", *row.disclosers, *row.recipients]
        ).lower()
        return (
            all(word in text for word in self.q.lower().split())
            and self.status in ("", row.status)
            and self.mode in ("", row.mode)
            and (not self.discloser or any(self.discloser in d for d in row.disclosers))
            and (not self.recipient or any(self.recipient in r for r in row.recipients))
            and (not self.gateway or self.gateway in row.legal_gateway)
            and self.incident in ("", row.incident_id or "")
        )

    def apply(self, rows: Iterable[RegisterRow]) -> list[RegisterRow]:
        return [r for r in rows if self.matches(r)]


def published_agreement(rows: Iterable[RegisterRow], agreement_id: str) -> list[RegisterRow]:
    """The published rows of one agreement; raise NotFound if it has none (or all withheld)."""
    mine = [r for r in rows if r.agreement_id == agreement_id and not r.withheld]
    if not mine:
        raise NotFound(f"agreement {agreement_id} is not on the public register")
    return mine


__all__ = [
    "COLUMNS",
    "PUBLIC_STATES",
    "PublicationPolicy",
    "PublishedVersion",
    "RegisterInputs",
    "RegisterRow",
    "RowFilter",
    "build_rows",
    "published_agreement",
    "register_id",
    "volume_band",
]
