"""`push` on a flow and `mesh_mailbox` on a party: what an agreement must say to be sent by MESH."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from accord.model import Agreement, agreement_hash, example_agreement


def _doc() -> dict[str, Any]:
    return example_agreement().model_dump(mode="json")


def _by_mesh(doc: dict[str, Any], *, mailbox: str | None = "X26ABC2") -> dict[str, Any]:
    flow = doc["flows"][0]
    flow.update(push="mesh", transfer_method="mesh", mesh_workflow_id="ACCORD_SPL")
    party = next(p for p in doc["parties"] if p["org_id"] == flow["recipient"])
    party["mesh_mailbox"] = mailbox
    return doc


def test_a_flow_sent_by_mesh_names_its_workflow_and_its_recipient_has_a_mailbox() -> None:
    a = Agreement.model_validate(_by_mesh(_doc()))
    assert a.flows[0].push == "mesh" and a.flows[0].mesh_workflow_id == "ACCORD_SPL"
    assert a.party(a.flows[0].recipient).mesh_mailbox == "X26ABC2"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["flows"][0].pop("mesh_workflow_id"), "needs the flow's mesh_workflow_id"),
        (lambda d: d["flows"][0].update(transfer_method="api"), "needs transfer_method: mesh"),
        (lambda d: d["flows"][0].update(push="outbox"), "only for a flow with push: mesh"),
        (lambda d: d["flows"][0].update(mesh_workflow_id="has space"), "mesh_workflow_id"),
    ],
)
def test_an_incomplete_mesh_flow_is_refused_naming_what_is_missing(change, said) -> None:
    doc = _by_mesh(_doc())
    change(doc)
    with pytest.raises(ValidationError, match=said):
        Agreement.model_validate(doc)


def test_a_mesh_flow_to_a_party_without_a_mailbox_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no mesh_mailbox to send to"):
        Agreement.model_validate(_by_mesh(_doc(), mailbox=None))


def test_push_changes_the_hash_only_where_it_is_used() -> None:
    a = example_agreement()
    assert agreement_hash(Agreement.model_validate(_doc())) == agreement_hash(a)
    doc = _doc()
    doc["flows"][0]["push"] = "outbox"
    assert agreement_hash(Agreement.model_validate(doc)) != agreement_hash(a)
