"""Builders for dispute tests: the example agreement, its parties' people, and offers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.disputes.model import Actor, ActorRole, Offer, Variant
from accord.model import Agreement, DataItem, example_agreement

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
NHSE = "ods:X26"
GREENWICH = "gss:E09000011"
FLOW = "spl-e09000011"
ETHNICITY = DataItem(
    name="ethnicity",
    classification="special_category_other",
    justification="Target culturally appropriate support",
)


def person(party: str, role: ActorRole, name: str = "A. Person") -> Actor:
    return Actor(party=party, role=role, name=name)


def offer(party: str, terms: Variant | None, *, role: ActorRole = ActorRole.dpo, at=T0, items=()):
    return Offer(
        party=party, made_by=person(party, role), terms=terms, made_at=at, data_items=items
    )


@pytest.fixture
def agreement() -> Agreement:
    return example_agreement()


@pytest.fixture
def original(agreement: Agreement) -> Variant:
    return Variant.from_flow(agreement.flow(FLOW))


@pytest.fixture
def wider(original: Variant) -> Variant:
    """What Greenwich asks for: the current terms plus ethnicity."""
    return original.model_copy(update={"projection": (*original.projection, "ethnicity")})
