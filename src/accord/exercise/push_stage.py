"""One council in the exercise is sent its delivery rather than pulling it: by MESH when the
exercise is given a MESH mailbox to send from, else into the outbox, and the report says which.

A MESH server is not something accord can honestly start for itself (NHS England's live and
integration services need an onboarded mailbox; their local sandbox is a separate program), so
``accord exercise --mesh FILE`` names one: the sending mailbox's settings, the council's mailbox
id and, to play the council too, that mailbox's password. With the password the exercise
collects the council's message as the council would (download, check the manifest, acknowledge)
and records the acknowledgement as the council's receipt. Without ``--mesh`` the same council's
delivery goes into ``outbox/`` for collection by SFTP, and the report says MESH was not used.

``FILE`` is JSON: ``{"sender": {MeshSettings...}, "recipient_mailbox": "X26ABC2",
"recipient_password": "...", "recipient_cert": "...", "recipient_key": "..."}``; the last three
are optional (without a certificate of its own the council's mailbox uses the sender's, as the
sandbox allows; NHS England's environments issue one per mailbox).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accord.errors import ConfigError, Problem
from accord.model import Agreement, Party
from accord.model.enums import PushMethod, TransferMethod
from accord.push import mesh
from accord.service import push
from accord.workspace import Workspace

PUSHED = "gss:E08000025"  # Birmingham is sent its delivery; the other councils pull theirs
WORKFLOW = "ACCORD_EXERCISE"


@dataclass(frozen=True)
class MeshExercise:
    sender: mesh.MeshSettings
    recipient_mailbox: str
    recipient_password: str | None = None
    recipient_cert: str | None = None
    recipient_key: str | None = None

    @classmethod
    def load(cls, path: Path) -> MeshExercise:
        try:
            value: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                "the exercise's MESH file cannot be read", [Problem(str(path), type(exc).__name__)]
            ) from None
        if not isinstance(value, dict) or not isinstance(value.get("sender"), dict):
            raise ConfigError("the exercise's MESH file needs a sender", [Problem("sender", "")])
        mailbox = value.get("recipient_mailbox")
        if not isinstance(mailbox, str) or not mailbox:
            raise ConfigError(
                "the exercise's MESH file needs the council's mailbox id",
                [Problem("recipient_mailbox", "missing")],
            )
        extra = {
            k: value.get(k) or None
            for k in ("recipient_password", "recipient_cert", "recipient_key")
        }
        return cls(mesh.MeshSettings.from_json(value["sender"]), mailbox, **extra)


def pushed_party(recipients: list[Party], avoid: set[str]) -> str:
    """The council whose delivery is pushed (Birmingham, else the first not otherwise busy)."""
    ids = [p.org_id for p in recipients]
    if PUSHED in ids:
        return PUSHED
    return next(i for i in ids if i not in avoid)


def with_push(agreement: Agreement, party: str, setup: MeshExercise | None) -> Agreement:
    """The agreement with ``party``'s flow pushed: by MESH under ``setup``, else the outbox."""
    flows = []
    for f in agreement.flows:
        if f.recipient != party:
            flows.append(f)
        elif setup is not None:
            flows.append(
                f.model_copy(
                    update={
                        "push": PushMethod.mesh,
                        "transfer_method": TransferMethod.mesh,
                        "mesh_workflow_id": WORKFLOW,
                    }
                )
            )
        else:
            flows.append(
                f.model_copy(
                    update={"push": PushMethod.outbox, "transfer_method": TransferMethod.sftp}
                )
            )
    parties = [
        p.model_copy(update={"mesh_mailbox": setup.recipient_mailbox})
        if setup is not None and p.org_id == party
        else p
        for p in agreement.parties
    ]
    doc = agreement.model_dump(mode="json") | {
        "flows": [f.model_dump(mode="json") for f in flows],
        "parties": [p.model_dump(mode="json") for p in parties],
    }
    return Agreement.model_validate(doc)


def collect_as_council(ws: Workspace, setup: MeshExercise, p: push.Push) -> bool:
    """Play the council: download its MESH message, check the manifest, acknowledge it; then
    record the acknowledgement. False when the exercise holds no password for its mailbox."""
    if setup.recipient_password is None or p.message_id is None:
        return False
    council = replace(
        setup.sender,
        mailbox=setup.recipient_mailbox,
        password=setup.recipient_password,
        cert=setup.recipient_cert or setup.sender.cert,
        key=setup.recipient_key or setup.sender.key,
    )
    with mesh.client(council) as inbox:
        message = inbox.retrieve_message(p.message_id)
        with zipfile.ZipFile(io.BytesIO(message.read())) as zf:
            manifest = zf.read("manifest.json")
        if hashlib.sha256(manifest).hexdigest() != p.manifest_sha256:
            raise ConfigError(
                "the council received another manifest than the one delivered",
                [Problem("manifest.json", p.delivery_id)],
            )
        message.acknowledge()  # type: ignore[no-untyped-call]
    push.poll_acknowledgements(ws)
    return True


def summary(ws: Workspace, agreement: Agreement, party: str, setup: MeshExercise | None) -> str:
    """What the report says of the pushed council's first delivery."""
    name = agreement.party(party).name
    pushes = [p for p in push.listing(ws, agreement_id=agreement.id) if p.recipient == party]
    if not pushes:
        return f"{name}'s delivery was not pushed."
    p = pushes[0]
    if p.method == "outbox":
        return (
            f"No MESH mailbox was given to this exercise (accord exercise --mesh FILE), so "
            f"MESH was not used: {name}'s delivery went into the outbox ({p.address}) for "
            f"collection by SFTP or a shared drive ({p.state})."
        )
    text = (
        f"{name}'s delivery was sent by MESH to mailbox {p.address} (workflow {p.workflow_id}, "
        f"MESH message {p.message_id or 'not yet sent'}; {p.state})"
    )
    if p.state == "acknowledged":
        text += (
            f"; the council collected and acknowledged it, recorded as its receipt of manifest "
            f"{p.manifest_sha256[:16]}…"
        )
    elif p.last_error:
        text += f"; last attempt: {p.last_error}"
    return text + "."
