"""The push queue: each delivery a flow sends to its recipient (by MESH or into the outbox).

One row per delivery (its ledger ``delivery_id``), written in the run's transaction. ``state``
moves ``queued`` -> ``sent`` -> ``acknowledged`` (MESH only: the recipient acknowledged the
message), or ``queued`` -> ``withdrawn`` (the agreement or flow stopped first, or a person
withdrew it) or ``failed`` (every attempt failed; ``accord push retry`` queues it again). An
aggregate table starts ``held`` until its release review releases (``queued``) or withholds
(``withdrawn``) it.
A sender claims a row by a compare-and-set ``UPDATE`` on ``attempts``, so two senders never
send the same attempt. Times are the ledger's ISO form (UTC, ``Z``), which sorts as text.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from accord.store.base import metadata

__all__ = ["push_queue"]

push_queue = Table(
    "push_queue",
    metadata,
    Column("delivery_id", String(300), primary_key=True),
    Column("agreement_id", String(200), nullable=False, index=True),
    Column("agreement_version", String(50), nullable=False),
    Column("agreement_hash", String(64), nullable=False),
    Column("run_id", String(100), nullable=False),
    Column("flow_id", String(200), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("method", String(20), nullable=False),  # mesh | outbox
    Column("address", String(200), nullable=False),  # MESH mailbox id, or the outbox folder
    Column("workflow_id", String(64), nullable=True),
    Column("manifest_sha256", String(64), nullable=False),
    Column("directory", Text, nullable=False),  # the delivery folder, relative to the workspace
    Column("state", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(32), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("message_id", String(100), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("sent_at", String(32), nullable=True),
    Column("acknowledged_at", String(32), nullable=True),
    Column("withdrawn_reason", Text, nullable=True),
)
