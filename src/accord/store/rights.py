"""People's rights tables: requests on a statutory clock, the suppressions they put in place,
and the verification codes the instance issues for a person's own view.

- ``rights_requests``: one row per request (subject access, objection, rectification, erasure,
  restriction): the person as a keyed hash only (``person``), the agreement it concerns, the
  party that received it and the lead party that answers it, the dates (received, due), its
  state (``open``, ``upheld``, ``refused``, ``answered``, ``lifted``) and whether it was
  extended. ``note`` is the handler's own text and never enters the ledger.
- ``rights_suppressions``: one row per (request, agreement) an upheld objection or restriction
  stops sending the person to; ``lifted_at`` set by the decision that reverses it.
- ``rights_reminders``: the reminders already given (one per request and kind), so a sweep
  never repeats one.
- ``rights_codes``: verification codes for the person's own view, stored as SHA-256 only.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from accord.store.base import metadata

__all__ = ["rights_codes", "rights_reminders", "rights_requests", "rights_suppressions"]

rights_requests = Table(
    "rights_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("agreement_version", String(50), nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("person", String(64), nullable=False, index=True),
    Column("received_by", String(200), nullable=False),
    Column("lead_party", String(200), nullable=False),
    Column("received_on", String(10), nullable=False),
    Column("due_on", String(10), nullable=False),
    Column("extended", Boolean, nullable=False),
    Column("state", String(20), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("note", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("decided_at", String(32), nullable=True),
    Column("decided_by", String(200), nullable=True),
)

rights_suppressions = Table(
    "rights_suppressions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), nullable=False, index=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("person", String(64), nullable=False),
    Column("since", String(32), nullable=False),
    Column("lifted_at", String(32), nullable=True),
)

rights_reminders = Table(
    "rights_reminders",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("reminder", String(20), primary_key=True),
    Column("at", String(32), nullable=False),
)

rights_codes = Table(
    "rights_codes",
    metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("person", String(64), nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
)
