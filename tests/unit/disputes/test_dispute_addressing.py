"""Where a dispute's notice to a party's role goes when the agreement names no contact."""

from __future__ import annotations

from types import SimpleNamespace

from accord.disputes.journal import pick_address
from accord.disputes.model import ActorRole
from accord.model import Agreement, example_agreement

COUNCIL = "gss:E06000002"


def _rows(*users: tuple[str, str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(email=email, roles=roles) for email, roles in users]


def _without_contacts() -> Agreement:
    a = example_agreement()
    parties = [
        p.model_copy(update={"contacts": p.contacts.model_copy(update={"siro": None, "dpo": None})})
        if p.org_id == COUNCIL
        else p
        for p in a.parties
    ]
    return a.model_copy(update={"parties": parties})


def test_a_user_holding_several_roles_is_found_for_each() -> None:
    """Users store their roles space-separated (``service.users``): "dpo siro" holds both."""
    rows = _rows(("iao@council.example", "iao"), ("both@council.example", "dpo siro"))
    agreement = _without_contacts()
    assert pick_address(agreement, COUNCIL, ActorRole.siro, rows) == "both@council.example"
    assert pick_address(agreement, COUNCIL, ActorRole.dpo, rows) == "both@council.example"
    assert pick_address(agreement, COUNCIL, ActorRole.caldicott_guardian, rows) is None
