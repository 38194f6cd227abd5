"""Two agreements, three councils, one person in all three deliveries (people's rights tests).

Agreement A (the boundary world's: the example agreement widened to Barnsley, Sheffield and
Greenwich, routed by upper-tier area) and agreement B (the same discloser sharing every adult
with Barnsley and Sheffield). Resident 6 lives in Greenwich: A sends them to Greenwich, B to
Barnsley and to Sheffield. NHS England (``ods:X26``) leads on rights for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from boundary_world import (
    BARNSLEY,
    DECLARED,
    GREENWICH,
    SHEFFIELD,
    agreement_document,
    nhs_number,
    write_directory,
    write_source,
)

from accord.clock import FixedClock
from accord.model import Agreement
from accord.refdata import Geography
from accord.service import agreements, users
from accord.service.users import User
from accord.workspace import Workspace

DISCLOSER = "ods:X26"
PERSON = nhs_number(6)  # lives at SE10 9AA, Greenwich
NEIGHBOUR = nhs_number(7)  # lives there too
PASSWORD = "correct horse battery staple"


def second_agreement() -> Agreement:
    doc = agreement_document()
    doc["id"] = "urn:accord:agreement:adult-support"
    doc["title"] = "Adult support lists for Barnsley and Sheffield"
    flow = {k: v for k, v in doc["flows"][0].items() if k not in {"id", "recipient"}}
    flow["row_filter"] = "age(date_of_birth) >= 18"
    doc["parties"] = [p for p in doc["parties"] if p["org_id"] != GREENWICH]
    doc["flows"] = [
        {**flow, "id": f"adults-{o.partition(':')[2].lower()}", "recipient": o}
        for o in (BARNSLEY, SHEFFIELD)
    ]
    return Agreement.model_validate(doc)


def first_agreement() -> Agreement:
    return Agreement.model_validate(agreement_document())


@dataclass
class World:
    ws: Workspace
    a: Agreement
    b: Agreement
    geo: Geography
    source: Path
    lead: User  # the discloser's DPO: leads on rights
    greenwich: User  # Greenwich's DPO: receives the objection
    greenwich_iao: User  # Greenwich, but not a handler
    stranger: User  # a DPO of a party to neither agreement

    def at(self, when: datetime) -> World:
        self.ws.clock.set(when)  # type: ignore[attr-defined]
        return self


def make_world(tmp_path: Path) -> World:
    geo = Geography.load(write_directory(tmp_path / "nspl.csv"))
    source = write_source(tmp_path / "people.csv")
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(DECLARED))
    a, b = first_agreement(), second_agreement()
    for ag in (a, b):
        agreements.create(ws, ag)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, ag.id, target)

    def user(email: str, party: str, role: str) -> User:
        return users.add_user(ws, email, email.split("@")[0], party, [role], PASSWORD)

    return World(
        ws,
        a,
        b,
        geo,
        source,
        lead=user("dpo@nhse.example", DISCLOSER, "dpo"),
        greenwich=user("dpo@greenwich.example", GREENWICH, "dpo"),
        greenwich_iao=user("iao@greenwich.example", GREENWICH, "iao"),
        stranger=user("dpo@elsewhere.example", "gss:E06000002", "dpo"),
    )


def day(d: int, month: int = 3) -> datetime:
    return datetime(2025, month, d, 9, 0, tzinfo=UTC)
