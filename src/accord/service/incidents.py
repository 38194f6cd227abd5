"""Declaring an incident: the ``incident-declared`` ledger event that starts an emergency."""

from __future__ import annotations

from accord.ledger.events import IncidentDeclared
from accord.ledger.log import LedgerEntry
from accord.model import Incident
from accord.service._ledger import iso, record
from accord.workspace import Workspace


def declare(ws: Workspace, incident: Incident, *, scenario: str | None = None) -> LedgerEntry:
    """Record that ``incident`` was declared, by whom and when (for an exercise, its scenario)."""
    (entry,) = record(
        ws,
        IncidentDeclared(
            at=iso(incident.declared_at),
            incident_id=incident.incident_id,
            title=incident.title,
            declared_by=f"{incident.declared_by_party} ({incident.declared_by_role})",
            scenario=scenario,
        ),
    )
    return entry
