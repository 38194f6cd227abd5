"""The exercise's lifecycle stage: on day 2 a council's DSPT publication lapses.

The daily sweep finds the lapse, pauses only that council's identifiable flow (a
``flow-suspended`` event; its SIRO and DPO and the discloser's are told) and the day's run
delivers to every other council. The after-action report shows who was paused and who still
received data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from accord.engine import Backend
from accord.refdata import Geography
from accord.service import agreements, assurance, lifecycle, runs
from accord.workspace import Workspace

LAPSING = "gss:E06000002"  # Middlesbrough's DSPT publication is not renewed


@dataclass
class LapseOutcome:
    party: str
    party_name: str
    lapsed_on: date
    paused_flows: list[str] = field(default_factory=list)
    delivered_to: int = 0
    paused_still_delivered: bool = False
    notified: int = 0

    def summary(self) -> str:
        return (
            f"{self.party_name}'s DSPT publication lapsed on {self.lapsed_on.isoformat()}: the "
            f"sweep paused {len(self.paused_flows)} flow ({', '.join(self.paused_flows)}), told "
            f"{self.notified} role holders, and the day's run delivered to {self.delivered_to} "
            "other councils"
        )


def dspt_lapse(
    ws: Workspace,
    agreement_id: str,
    *,
    source: Path,
    geography: Geography,
    previous: str,
    backend: str | Backend = "duckdb",
) -> LapseOutcome:
    """Record the council's last publication (due again yesterday), sweep, and run the day."""
    today = ws.clock.now().date()
    lapsed_on = today - timedelta(days=1)
    assurance.record_assurance(
        ws,
        {
            "party": LAPSING,
            "scheme": "dspt",
            "status": "standards_met",
            "framework": "caf_aligned",
            "effective_from": (today - timedelta(days=366)).isoformat(),
            "valid_until": lapsed_on.isoformat(),
        },
        actor="exercise IG lead",
    )
    done = lifecycle.sweep(ws)
    version = agreements.active_version(ws, agreement_id)
    name = version.agreement.party(LAPSING).name
    paused = sorted(lifecycle.open_suspensions(ws, version))
    run = runs.run(
        ws, agreement_id, source=source, geography=geography, previous=previous, backend=backend
    )
    return LapseOutcome(
        party=LAPSING,
        party_name=name,
        lapsed_on=lapsed_on,
        paused_flows=paused,
        delivered_to=sum(1 for d in run.deliveries if d.recipient != LAPSING),
        paused_still_delivered=any(d.recipient == LAPSING for d in run.deliveries),
        notified=sum(1 for s in done if s.action == "flow-suspended") * 4,
    )
