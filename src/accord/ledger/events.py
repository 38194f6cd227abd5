"""The typed events that make up accord's ledger.

Every ledger entry is one frozen dataclass with a fixed ``name`` (``agreement-signed``,
``delivery-made``, ``dispute-raised``...), never a free-form dict. Each carries
``agreement_id``, ``agreement_version`` and ``agreement_hash`` when it concerns an agreement,
and ``at``, the UTC time it happened (``2026-01-01T12:00:00.000000Z``).

The bytes that enter the Merkle log are :func:`leaf_bytes`: in leaf format 2 (the current one)
the RFC 8785 canonical JSON of ``{"accord-leaf": 2, "appended_at": ..., "event": payload}``, so
the time of appending is covered by the leaf hash like the event; leaf format 1 (logs written
before it) was the canonical JSON of the payload alone (:func:`canonical_bytes`), and an
exported format-1 entry's ``appended_at`` is not authenticated. :func:`event_from_payload`
parses a payload back, checking the name, every field and its type, so an exported log can
be re-read without trusting it.

Events that a party signs (an approval, a signature on an agreement, a delivery receipt, an
arbiter's decision) carry ``signature``: base64 Ed25519 over :meth:`SignedEvent.signing_bytes`,
the canonical JSON of the payload without ``signature`` and ``at``, tagged
``"accord-signature": 1``. It names the event type, the party, the agreement id, version and
hash, and (for approvals) the decision, so a signature cannot be moved onto another agreement,
version, party or decision. Row values never appear in events: only ids, hashes and counts.

>>> event = DeliveryMade(agreement_id="covid-shielding", agreement_version="1.2.0",
...     agreement_hash="ab" * 32, at="2026-01-01T12:00:00.000000Z", delivery_id="d-1",
...     recipient="E06000001", manifest_sha256="cd" * 32, row_count=120)
>>> event_from_payload(event.to_payload()) == event
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import rfc8785

from accord.errors import InputError, Problem

__all__ = [
    "EVENT_TYPES",
    "LEAF_FORMAT",
    "AgreementApproved",
    "AgreementSigned",
    "AgreementStateChanged",
    "AgreementVersionCreated",
    "AssuranceChanged",
    "AssuranceExceptionEnded",
    "AssuranceExceptionRecorded",
    "BasisRecorded",
    "BoundaryAmendmentProposed",
    "DeletionCertified",
    "DeliveryMade",
    "DeliveryPurged",
    "DeliveryReceipt",
    "DisputeDecided",
    "DisputeEscalated",
    "DisputeExpired",
    "DisputeNarrowed",
    "DisputeOffer",
    "DisputeRaised",
    "Event",
    "FlowResumed",
    "FlowSuspended",
    "IncidentDeclared",
    "NotificationSent",
    "OptOutDecision",
    "PersonLookedUp",
    "PushAcknowledged",
    "PushFailed",
    "PushSent",
    "PushWithdrawn",
    "RecipientStateChanged",
    "RegisterPublished",
    "ReleaseReviewed",
    "RightsRequestReceived",
    "RightsRequestStep",
    "RunRecorded",
    "SharingFileDownloaded",
    "SharingQueried",
    "SignedEvent",
    "TableReleased",
    "TableWithheld",
    "VersionSuperseded",
    "canonical_bytes",
    "event_from_payload",
    "event_id_for",
    "leaf_bytes",
    "parse_leaf",
]

LEAF_FORMAT = 2
LEAF_TAG = "accord-leaf"


def _check_at(at: str) -> None:
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError) as exc:
        raise InputError(f"'at' is not an ISO 8601 time: {at!r}") from exc
    if moment.utcoffset() is None or moment.utcoffset() != UTC.utcoffset(None):
        raise InputError(f"'at' must be in UTC (end in Z or +00:00): {at!r}")


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every ledger event. Subclasses set ``name`` and add their own fields."""

    name: ClassVar[str]
    concerns_agreement: ClassVar[bool] = True

    agreement_id: str | None
    agreement_version: str | None
    agreement_hash: str | None
    at: str

    def __post_init__(self) -> None:
        _check_at(self.at)
        missing = [
            f
            for f in ("agreement_id", "agreement_version", "agreement_hash")
            if self.concerns_agreement and getattr(self, f) is None
        ]
        if missing:
            raise InputError(
                f"a {self.name} event concerns an agreement and needs {', '.join(missing)}"
            )

    def to_payload(self) -> dict[str, Any]:
        """A JSON-able dict: ``name`` and every field (tuples become lists)."""
        payload: dict[str, Any] = {"name": self.name}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            payload[f.name] = list(value) if isinstance(value, tuple) else value
        return payload


@dataclass(frozen=True, kw_only=True)
class SignedEvent(Event):
    """An event one party signs. ``signer`` names the field holding that party's id."""

    signer_field: ClassVar[str] = "party"
    signature: str

    @property
    def signer(self) -> str:
        return str(getattr(self, self.signer_field))

    def signing_bytes(self) -> bytes:
        """What the party signs: the payload without ``signature`` and ``at``, canonicalised."""
        payload = self.to_payload()
        del payload["signature"], payload["at"]
        payload["accord-signature"] = 1
        return rfc8785.dumps(payload)


# -- incidents and agreements ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IncidentDeclared(Event):
    name: ClassVar[str] = "incident-declared"
    concerns_agreement: ClassVar[bool] = False
    agreement_id: str | None = None
    agreement_version: str | None = None
    agreement_hash: str | None = None
    incident_id: str
    title: str
    declared_by: str
    scenario: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgreementVersionCreated(Event):
    name: ClassVar[str] = "agreement-version-created"
    created_by: str
    previous_version: str | None = None
    template: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgreementStateChanged(Event):
    name: ClassVar[str] = "agreement-state-changed"
    from_state: str
    to_state: str
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class VersionSuperseded(Event):
    """The handover from one version of an agreement to the next, as one event.

    ``agreement_version``/``agreement_hash`` name the version in force from ``at`` on (it moved
    from ``from_state`` to active); ``superseded_version``/``superseded_hash`` the version it
    replaces, which was ``superseded_state`` (active or suspended) and is superseded at the same
    instant. Until this event the old version's flows run; after it, only the new one's.
    """

    name: ClassVar[str] = "version-superseded"
    superseded_version: str
    superseded_hash: str
    superseded_state: str
    from_state: str
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgreementApproved(SignedEvent):
    """A party's decision on an agreement version (``approve`` or ``reject``), signed."""

    name: ClassVar[str] = "agreement-approved"
    party: str
    role: str
    decision: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AgreementSigned(SignedEvent):
    name: ClassVar[str] = "agreement-signed"
    party: str
    role: str


@dataclass(frozen=True, kw_only=True)
class OptOutDecision(Event):
    """Which opt-out list version a flow applied (or which signed clause exempted it)."""

    name: ClassVar[str] = "opt-out-decision"
    recipient: str
    opt_out_source: str
    list_version: str
    decision: str
    reason: str
    removed_count: int | None = None


# -- deliveries, register, runs --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeliveryMade(Event):
    name: ClassVar[str] = "delivery-made"
    delivery_id: str
    recipient: str
    manifest_sha256: str
    row_count: int
    run_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeliveryReceipt(SignedEvent):
    """The recipient's signed acknowledgement of a delivery's manifest."""

    name: ClassVar[str] = "delivery-receipt"
    signer_field: ClassVar[str] = "recipient"
    delivery_id: str
    recipient: str
    manifest_sha256: str


# -- pushes to recipients (accord.service.push) ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PushSent(Event):
    """A delivery sent to its recipient: by ``mesh`` (``message_id`` is MESH's id for it, under
    ``workflow_id``) or into the ``outbox`` (``address`` is the folder). ``package_sha256`` is
    the SHA-256 of the bytes sent (the ZIP a MESH message carries; for the outbox, the
    manifest's)."""

    name: ClassVar[str] = "push-sent"
    delivery_id: str
    recipient: str
    method: str
    address: str
    manifest_sha256: str
    package_sha256: str
    attempts: int
    message_id: str | None = None
    workflow_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PushAcknowledged(Event):
    """MESH's tracking shows the recipient acknowledged the message carrying this manifest."""

    name: ClassVar[str] = "push-acknowledged"
    delivery_id: str
    recipient: str
    message_id: str
    manifest_sha256: str


@dataclass(frozen=True, kw_only=True)
class PushWithdrawn(Event):
    """A queued push that will not be sent: the agreement or flow stopped, or a person said so."""

    name: ClassVar[str] = "push-withdrawn"
    delivery_id: str
    recipient: str
    method: str
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class PushFailed(Event):
    """Every attempt to send a delivery failed; it waits for ``accord push retry``."""

    name: ClassVar[str] = "push-failed"
    delivery_id: str
    recipient: str
    method: str
    attempts: int
    error: str


@dataclass(frozen=True, kw_only=True)
class RegisterPublished(Event):
    name: ClassVar[str] = "register-published"
    concerns_agreement: ClassVar[bool] = False
    agreement_id: str | None = None
    agreement_version: str | None = None
    agreement_hash: str | None = None
    register_sha256: str
    entry_count: int


@dataclass(frozen=True, kw_only=True)
class NotificationSent(Event):
    name: ClassVar[str] = "notification-sent"
    recipient: str
    channel: str
    subject: str
    about_event_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunRecorded(Event):
    name: ClassVar[str] = "run-recorded"
    run_id: str
    backend: str
    inputs_sha256: str
    delivery_count: int
    row_count: int
    exception_count: int = 0


# -- disputes --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DisputeRaised(Event):
    name: ClassVar[str] = "dispute-raised"
    dispute_id: str
    raised_by: str
    subject: str
    grounds: str


@dataclass(frozen=True, kw_only=True)
class DisputeNarrowed(Event):
    name: ClassVar[str] = "dispute-narrowed"
    dispute_id: str
    narrowing: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class DisputeOffer(Event):
    name: ClassVar[str] = "dispute-offer"
    dispute_id: str
    offered_by: str
    offer: str


@dataclass(frozen=True, kw_only=True)
class DisputeEscalated(Event):
    name: ClassVar[str] = "dispute-escalated"
    dispute_id: str
    level: int
    decider: str
    deadline: str


@dataclass(frozen=True, kw_only=True)
class DisputeDecided(SignedEvent):
    """A named arbiter's reasoned decision, signed with the arbiter's party key."""

    name: ClassVar[str] = "dispute-decided"
    signer_field: ClassVar[str] = "arbiter"
    dispute_id: str
    arbiter: str
    outcome: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DisputeExpired(Event):
    name: ClassVar[str] = "dispute-expired"
    dispute_id: str
    level: int
    deadline: str
    outcome: str


# -- agreements as the world changes: dated bases, assurance, per-flow suspensions ----------


@dataclass(frozen=True, kw_only=True)
class BasisRecorded(Event):
    """A dated legal basis (notice, approval, direction) recorded with its start and end."""

    name: ClassVar[str] = "basis-recorded"
    concerns_agreement: ClassVar[bool] = False
    agreement_id: str | None = None
    agreement_version: str | None = None
    agreement_hash: str | None = None
    basis_id: str
    kind: str
    start: str
    end: str | None
    document_sha256: str
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class AssuranceChanged(Event):
    """A party's assurance changed: a new record (``recorded``) or one that ran out (``lapsed``)."""

    name: ClassVar[str] = "assurance-changed"
    concerns_agreement: ClassVar[bool] = False
    agreement_id: str | None = None
    agreement_version: str | None = None
    agreement_hash: str | None = None
    party: str
    scheme: str
    status: str
    change: str
    effective_from: str
    valid_until: str | None = None
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class AssuranceExceptionRecorded(SignedEvent):
    """The discloser SIRO's time-limited exception for one recipient, signed with its party key."""

    name: ClassVar[str] = "assurance-exception-recorded"
    exception_id: str
    party: str
    recipient: str
    starts: str
    ends: str
    # The compensating controls in the SIRO's words (shown on the register; never row values).
    controls: str


@dataclass(frozen=True, kw_only=True)
class AssuranceExceptionEnded(Event):
    name: ClassVar[str] = "assurance-exception-ended"
    exception_id: str
    recipient: str
    ends: str


@dataclass(frozen=True, kw_only=True)
class FlowSuspended(Event):
    """One flow stopped while the rest of the agreement runs, with the finding that stopped it."""

    name: ClassVar[str] = "flow-suspended"
    flow_id: str
    recipient: str
    cause: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class FlowResumed(Event):
    name: ClassVar[str] = "flow-resumed"
    flow_id: str
    recipient: str
    cause: str
    reason: str


# -- boundaries, exit and retention ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BoundaryAmendmentProposed(Event):
    """A recipient ceased to exist; the new draft version (this event's agreement fields) names
    its successors from ``effective_date`` and ends its flows, replacing ``replaces_version``."""

    name: ClassVar[str] = "boundary-amendment-proposed"
    ceased: str
    successors: tuple[str, ...]
    effective_date: str
    replaces_version: str


@dataclass(frozen=True, kw_only=True)
class RecipientStateChanged(Event):
    """One step of a recipient's exit lifecycle (``flow_id`` set: that flow only)."""

    name: ClassVar[str] = "recipient-state-changed"
    recipient: str
    flow_id: str | None = None
    from_state: str | None
    to_state: str
    purpose: str | None = None
    until: str | None = None
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeletionCertified(SignedEvent):
    """The recipient's signed statement that it deleted a delivery it received."""

    name: ClassVar[str] = "deletion-certified"
    signer_field: ClassVar[str] = "recipient"
    recipient: str
    delivery_id: str
    manifest_sha256: str
    deleted_on: str


@dataclass(frozen=True, kw_only=True)
class DeliveryPurged(Event):
    """The instance deleted its own copy of a delivered extract when its retention ended."""

    name: ClassVar[str] = "delivery-purged"
    recipient: str
    delivery_id: str
    file_count: int


# -- release review of aggregate tables (accord.service.releases) ---------------------------


@dataclass(frozen=True, kw_only=True)
class ReleaseReviewed(Event):
    """One reviewer's decision (``approve`` or ``reject``) on a held aggregate table."""

    name: ClassVar[str] = "release-reviewed"
    delivery_id: str
    recipient: str
    reviewer: str
    reviewer_party: str
    decision: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableReleased(Event):
    """A held aggregate table went to its recipient after its second independent approval."""

    name: ClassVar[str] = "table-released"
    delivery_id: str
    recipient: str
    flow_id: str
    profile: str
    manifest_sha256: str
    reviewers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TableWithheld(Event):
    """A reviewer rejected a held aggregate table: it never goes to its recipient."""

    name: ClassVar[str] = "table-withheld"
    delivery_id: str
    recipient: str
    flow_id: str
    profile: str
    reviewer: str


# -- Delta Sharing access (accord.service.sharing) -----------------------------------------


@dataclass(frozen=True, kw_only=True)
class SharingQueried(Event):
    """A recipient's Delta Sharing query of one table: which versions, how many file links.

    ``query`` is ``snapshot`` (a version of the table), ``stream`` (its files from
    ``version`` to ``ending_version``) or ``changes`` (the change feed over that range).
    ``token_id`` names the API token (never its secret). No row values.
    """

    name: ClassVar[str] = "sharing-queried"
    recipient: str
    table: str
    query: str
    version: int
    ending_version: int | None = None
    file_count: int
    token_id: str


@dataclass(frozen=True, kw_only=True)
class SharingFileDownloaded(Event):
    """The first request under one signed file link: the file's SHA-256, never its rows."""

    name: ClassVar[str] = "sharing-file-downloaded"
    recipient: str
    table: str
    version: int
    file: str
    file_sha256: str
    token_id: str


# -- people's rights (accord.service.rights) ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RightsRequestReceived(Event):
    """A person's rights request, recorded by the party that received it. The person appears
    only as a keyed hash under the instance's person-index key, never as an NHS number."""

    name: ClassVar[str] = "rights-request-received"
    request_id: str
    kind: str
    person: str
    received_by: str
    lead_party: str
    received_on: str
    due_on: str
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class RightsRequestStep(Event):
    """One step of a rights request: ``routed`` to the lead party, ``reminded``, ``extended``
    (complex: two further months), ``upheld``, ``refused``, ``answered``, or ``lifted`` (a
    recorded decision reversing a suppression). ``suppressed_in``: the agreements whose flows
    stop sending the person from their next run."""

    name: ClassVar[str] = "rights-request-step"
    request_id: str
    step: str
    party: str
    actor: str
    due_on: str | None = None
    suppressed_in: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PersonLookedUp(Event):
    """Someone asked which deliveries included a person (by keyed hash): who, for which
    party, and whether it was ``answered`` or ``refused``; never what was found."""

    name: ClassVar[str] = "person-looked-up"
    concerns_agreement: ClassVar[bool] = False
    person: str
    by: str
    party: str
    outcome: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        IncidentDeclared,
        AgreementVersionCreated,
        AgreementStateChanged,
        VersionSuperseded,
        AgreementApproved,
        AgreementSigned,
        OptOutDecision,
        DeliveryMade,
        DeliveryReceipt,
        PushSent,
        PushAcknowledged,
        PushWithdrawn,
        PushFailed,
        RegisterPublished,
        DisputeRaised,
        DisputeNarrowed,
        DisputeOffer,
        DisputeEscalated,
        DisputeDecided,
        DisputeExpired,
        NotificationSent,
        RunRecorded,
        BasisRecorded,
        AssuranceChanged,
        AssuranceExceptionRecorded,
        AssuranceExceptionEnded,
        FlowSuspended,
        FlowResumed,
        BoundaryAmendmentProposed,
        RecipientStateChanged,
        DeletionCertified,
        DeliveryPurged,
        ReleaseReviewed,
        TableReleased,
        TableWithheld,
        SharingQueried,
        SharingFileDownloaded,
        RightsRequestReceived,
        RightsRequestStep,
        PersonLookedUp,
    )
}


def canonical_bytes(event: Event) -> bytes:
    """The RFC 8785 canonical JSON of the event's payload: what the Merkle leaf hashes."""
    return rfc8785.dumps(event.to_payload())


def leaf_bytes(
    payload: dict[str, Any], appended_at: str | None, leaf_format: int = LEAF_FORMAT
) -> bytes:
    """The bytes a Merkle leaf hashes for an event ``payload`` appended at ``appended_at``.

    Format 2: ``{"accord-leaf": 2, "appended_at": appended_at, "event": payload}``; format 1:
    the payload alone. Both as RFC 8785 canonical JSON.
    """
    if leaf_format == 2:
        if appended_at is None:
            raise InputError("a format-2 leaf needs its appended_at time")
        return rfc8785.dumps({LEAF_TAG: 2, "appended_at": appended_at, "event": payload})
    if leaf_format == 1:
        return rfc8785.dumps(payload)
    raise InputError(f"unknown leaf format {leaf_format!r}")


def parse_leaf(data: str | bytes) -> tuple[int, dict[str, Any], str | None]:
    """Read stored leaf bytes back: ``(leaf format, event payload, appended_at or None)``."""
    value = json.loads(data)
    if not isinstance(value, dict):
        raise InputError("a leaf is a JSON object")
    if LEAF_TAG not in value:
        return 1, value, None
    if value.get(LEAF_TAG) != 2 or set(value) != {LEAF_TAG, "appended_at", "event"}:
        raise InputError(f"unknown leaf format {value.get(LEAF_TAG)!r}")
    event, appended_at = value["event"], value["appended_at"]
    if not isinstance(event, dict) or not isinstance(appended_at, str):
        raise InputError("a format-2 leaf has an event object and an appended_at string")
    return 2, event, appended_at


def event_id_for(index: int, leaf_hash: bytes) -> str:
    """The id of the event at ``index`` of the log whose leaf hash is ``leaf_hash``.

    ``ev-`` and 32 hex digits of ``SHA-256("accord-event-id" 0x00 || index (8 bytes) || leaf
    hash)``: unique per position, and checkable offline from an export.
    """
    digest = hashlib.sha256(b"accord-event-id\x00" + index.to_bytes(8, "big") + leaf_hash)
    return "ev-" + digest.hexdigest()[:32]


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _fields_of(cls: type[Event]) -> tuple[tuple[str, Any, bool], ...]:
    """Each field of an event class: name, resolved type, and whether it is required."""
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    )


_FIELDS = {name: _fields_of(cls) for name, cls in EVENT_TYPES.items()}


def event_from_payload(payload: dict[str, Any]) -> Event:
    """Parse a payload made by :meth:`Event.to_payload`; raise InputError naming what is wrong."""
    if not isinstance(payload, dict):
        raise InputError("an event payload is a JSON object")
    name = payload.get("name")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InputError(f"unknown event name: {name!r}")
    fields = _FIELDS[cls.name]
    known = {field_name for field_name, _hint, _required in fields}
    problems = [
        Problem(key, "not a field of this event") for key in payload if key not in known | {"name"}
    ]
    values: dict[str, Any] = {}
    for key, hint, required in fields:
        if key not in payload:
            if required:
                problems.append(Problem(key, "missing"))
            continue
        value = payload[key]
        if not _type_ok(value, hint):
            problems.append(Problem(key, f"expected {hint}, got {type(value).__name__}"))
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
    if problems:
        raise InputError(f"a {name} event payload is invalid", problems)
    return cls(**values)
