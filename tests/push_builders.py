"""An agreement whose flows push: one by MESH to the sandbox's mailbox, one into the outbox."""

from __future__ import annotations

from typing import Any

from mesh_sandbox import RECIPIENT

from accord.model import Agreement, example_agreement

MESH_FLOW, OUTBOX_FLOW = "spl-e09000011", "spl-e06000002"
MESH_PARTY, OUTBOX_PARTY = "gss:E09000011", "gss:E06000002"


def pushing_agreement() -> Agreement:
    """The example agreement: one flow sent by MESH to the sandbox's mailbox, one to the outbox."""
    doc: dict[str, Any] = example_agreement().model_dump(mode="json")
    for f in doc["flows"]:
        if f["id"] == MESH_FLOW:
            f.update(push="mesh", transfer_method="mesh", mesh_workflow_id="ACCORD_TEST")
        else:
            f.update(push="outbox", transfer_method="sftp")
    for p in doc["parties"]:
        if p["org_id"] == MESH_PARTY:
            p["mesh_mailbox"] = RECIPIENT
    return Agreement.model_validate(doc)
