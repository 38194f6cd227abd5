"""accord's MESH sender against a real MESH server (NHS England's sandbox, over mutual TLS):
a message arrives whole in the recipient's inbox, chunked when large, under its workflow id,
and its acknowledgement shows in the sender's tracking."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from mesh_client import MeshClient
from mesh_sandbox import OTHER, RECIPIENT, MeshServer

from accord.errors import ConfigError, PushError
from accord.push import mesh

MiB = 1024 * 1024


def _inbox(server: MeshServer, mailbox: str = RECIPIENT) -> MeshClient:
    s = server.settings(mailbox)
    return MeshClient(
        s.url, s.mailbox, s.password, shared_key=s.shared_key.encode(), cert=(s.cert, s.key),
        verify=s.ca, max_retries=0,
    )  # fmt: skip


def _file(path: Path, size: int, seed: int) -> str:
    """A file of ``size`` bytes that do not compress; its SHA-256."""
    digest = hashlib.sha256()
    block = hashlib.sha256(str(seed).encode()).digest() * (MiB // 32)
    with path.open("wb") as fh:
        written = 0
        while written < size:
            part = hashlib.sha256(block[:64] + written.to_bytes(8, "big")).digest() * (MiB // 32)
            part = part[: size - written]
            fh.write(part)
            digest.update(part)
            written += len(part)
    return digest.hexdigest()


def test_a_message_arrives_whole_under_its_workflow_and_local_id(mesh_server, tmp_path) -> None:
    package = tmp_path / "delivery.zip"
    package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    message_id = mesh.send(
        mesh_server.settings(),
        recipient=RECIPIENT,
        package=package,
        workflow_id="ACCORD_TEST",
        local_id="run-1/flow-a",
        subject="accord delivery run-1/flow-a",
    )
    assert mesh.tracking_status(mesh_server.settings(), message_id) == "accepted"
    with _inbox(mesh_server) as inbox:
        assert message_id in inbox.list_messages()
        message = inbox.retrieve_message(message_id)
        assert message.read() == package.read_bytes()
        assert (message.workflow_id, message.local_id, message.filename) == (
            "ACCORD_TEST", "run-1/flow-a", "delivery.zip",
        )  # fmt: skip
        message.acknowledge()
    assert mesh.tracking_status(mesh_server.settings(), message_id) == mesh.ACKNOWLEDGED


@pytest.mark.slow
def test_a_200_mb_extract_goes_in_chunks_and_is_acknowledged(mesh_server, tmp_path) -> None:
    package = tmp_path / "big.zip"
    sha = _file(package, 200 * MiB, seed=1)
    settings = mesh_server.settings(max_chunk_size=20 * MiB)
    message_id = mesh.send(
        settings, recipient=RECIPIENT, package=package, workflow_id="ACCORD_TEST",
        local_id="big", subject="200 MB",
    )  # fmt: skip
    with _inbox(mesh_server) as inbox:
        message = inbox.retrieve_message(message_id)
        assert message.mex_header("chunk-range") == "1:10"  # ten chunks of 20 MiB
        digest, size = hashlib.sha256(), 0
        while block := message.read(8 * MiB):
            digest.update(block)
            size += len(block)
        assert (size, digest.hexdigest()) == (200 * MiB, sha)
        message.acknowledge()
    assert mesh.tracking_status(settings, message_id) == mesh.ACKNOWLEDGED


def test_a_wrong_password_is_refused_and_named_by_class_only(mesh_server, tmp_path) -> None:
    package = tmp_path / "p.zip"
    package.write_bytes(b"x")
    bad = mesh_server.settings().to_json() | {"password": "not-it"}
    with pytest.raises(PushError, match="MESH send failed") as caught:
        mesh.send(
            mesh.MeshSettings(**bad), recipient=OTHER, package=package, workflow_id="W",
            local_id="l", subject="s",
        )  # fmt: skip
    assert "not-it" not in str(caught.value.diagnostics())


def test_a_server_that_is_not_there_fails_as_a_push_error(tmp_path, mesh_server) -> None:
    package = tmp_path / "p.zip"
    package.write_bytes(b"x")
    gone = mesh_server.settings().to_json() | {"url": "https://127.0.0.1:9", "max_retries": 0}
    with pytest.raises(PushError, match="MESH send failed"):
        mesh.send(
            mesh.MeshSettings(**gone), recipient=RECIPIENT, package=package, workflow_id="W",
            local_id="l", subject="s",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"url": "http://mesh.example"}, "https only"),
        ({"max_chunk_size": 1000}, "below 1 MiB"),
        ({"colour": "red"}, "incomplete"),
    ],
)
def test_settings_are_checked_when_read(change, said) -> None:
    base = {"url": "https://m", "mailbox": "X", "password": "p", "shared_key": "k", "cert": "c",
            "key": "k"}  # fmt: skip
    with pytest.raises(ConfigError, match=said):
        mesh.MeshSettings.from_json(base | change)
    missing = dict(base)
    del missing["cert"]
    with pytest.raises(ConfigError, match="incomplete"):
        mesh.MeshSettings.from_json(missing)


def test_nothing_here_reads_the_environment_for_the_key() -> None:
    # mesh-client falls back to MESH_CLIENT_SHARED_KEY; accord always passes its own key.
    assert "MESH_CLIENT_SHARED_KEY" not in os.environ
