"""Sending a package to a MESH mailbox with NHS England's client library, ``mesh-client``.

accord never speaks the MESH protocol itself: :class:`mesh_client.MeshClient` signs each request
(the ``NHSMESH`` authorisation header, HMAC-SHA256 over mailbox, nonce, count, password and
time with the environment's shared key), presents the mailbox's client certificate (mutual TLS),
splits a large message into chunks of at most :attr:`MeshSettings.max_chunk_size` bytes (MESH
takes up to 100 MB a chunk; the client's default is 75 MiB), compresses in transit, and retries
a request that failed in a retryable way (connection errors, 429, 502-504) with exponential
backoff. accord's queue (:mod:`accord.service.push`) retries a whole message later, with its own
backoff, when all of that did not get it through.

Each message is sent under the flow's workflow id, with the delivery id as its local id and
the package's file name, and the sender keeps the message id MESH returns. The recipient's
acknowledgement (it downloads the message and marks it acknowledged) shows in the message's
tracking as ``acknowledged``: :func:`tracking_status` reads it.

>>> MeshSettings.from_json({"url": "https://localhost:8700", "mailbox": "X26ABC1",
...     "password": "pw", "shared_key": "k", "cert": "c.pem", "key": "k.pem"}).max_chunk_size
78643200
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mesh_client import MeshClient, MeshError

from accord.errors import ConfigError, Problem, PushError

DEFAULT_CHUNK = 75 * 1024 * 1024
ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class MeshSettings:
    """The sending mailbox: where MESH is, who accord is there, and the mailbox's certificate.

    ``ca`` is the CA bundle that signs the MESH server's certificate; leave it out for NHS
    England's own endpoints (the client ships their bundles). ``url`` is a full https URL (the
    integration environment is ``https://msg.intspineservices.nhs.uk``).
    """

    url: str
    mailbox: str
    password: str
    shared_key: str
    cert: str
    key: str
    ca: str | None = None
    max_chunk_size: int = DEFAULT_CHUNK
    max_retries: int = 3
    backoff_factor: float = 0.5
    timeout: float = 600.0

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> MeshSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        missing = sorted(
            k for k in ("url", "mailbox", "password", "shared_key", "cert", "key") if k not in value
        )
        if unknown or missing:
            raise ConfigError(
                "the MESH settings are incomplete",
                [Problem(k, "missing") for k in missing] + [Problem(k, "unknown") for k in unknown],
            )
        settings = cls(**dict(value))
        if not settings.url.startswith("https://"):
            raise ConfigError("MESH is reached over https only", [Problem("url", settings.url)])
        if settings.max_chunk_size < 1024 * 1024:
            raise ConfigError(
                "MESH chunks below 1 MiB are refused",
                [Problem("max_chunk_size", str(settings.max_chunk_size))],
            )
        return settings

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def client(settings: MeshSettings) -> Iterator[MeshClient]:
    """A MESH session for the sending mailbox (closed on exit)."""
    with MeshClient(
        settings.url,
        settings.mailbox,
        settings.password,
        shared_key=settings.shared_key.encode("utf-8"),
        cert=(settings.cert, settings.key),
        verify=settings.ca if settings.ca is not None else None,
        max_chunk_size=settings.max_chunk_size,
        max_retries=settings.max_retries,
        retry_backoff_factor=settings.backoff_factor,
        timeout=settings.timeout,
        application_name="accord",
    ) as session:
        yield session


def _failed(what: str, exc: Exception) -> PushError:
    # requests' errors are OSErrors; a refused message is a MeshError.
    # The exception's class, never its text: a server's error body could echo what was sent.
    return PushError(f"MESH {what} failed", [Problem("mesh", type(exc).__name__)])


def send(
    settings: MeshSettings,
    *,
    recipient: str,
    package: Path,
    workflow_id: str,
    local_id: str,
    subject: str,
) -> str:
    """Send the file ``package`` to the mailbox ``recipient``; return MESH's message id."""
    try:
        with client(settings) as session, package.open("rb") as data:
            session.handshake()  # type: ignore[no-untyped-call]
            message_id: str = session.send_message(
                recipient,
                data,
                workflow_id=workflow_id,
                filename=package.name,
                local_id=local_id,
                subject=subject,
                content_type="application/zip",
            )
    except (MeshError, OSError, KeyError, ValueError) as exc:
        raise _failed("send", exc) from exc
    return message_id


def tracking_status(settings: MeshSettings, message_id: str) -> str:
    """What MESH's tracking says of a sent message (``accepted``, ``acknowledged``...)."""
    try:
        with client(settings) as session:
            tracked = session.track_message(message_id)
    except (MeshError, OSError, ValueError) as exc:
        raise _failed("tracking", exc) from exc
    status = tracked.get("status") if isinstance(tracked, dict) else None
    return str(status).lower() if status else "unknown"
