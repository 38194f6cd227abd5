"""A real MESH server for the tests: NHS England's ``mesh-sandbox``, over mutual TLS.

``mesh-client`` 5 speaks version 2 of the MESH API. ``fake-mesh`` 0.4.0 (the older test server
on PyPI) cannot answer it: it imports ``werkzeug.wsgi.pop_path_info``, gone since Werkzeug 2.3
(``mesh-client`` needs Werkzeug 3), and, run apart on an old Werkzeug, it still speaks only
version 1 (it refuses a message without a ``Mex-From`` header, which version 2 dropped, with
417, and answers ``messageID`` where version 2 says ``message_id``). So the tests run NHS
England's own sandbox, which speaks version 2. It pins FastAPI and uvicorn versions of its own,
so it lives in its own virtual environment (``.venv-mesh``, made by ``scripts/test.sh``; or name
its Python in ``ACCORD_MESH_SANDBOX_PYTHON``) and runs as a subprocess on 127.0.0.1, with a CA,
a server and a client certificate made here with ``cryptography``, checking the mailbox
password and the shared key (``AUTH_MODE=full``) and keeping messages on disk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from accord.push.mesh import MeshSettings

REPO = Path(__file__).resolve().parents[1]
SHARED_KEY = "accord-test-shared-key"
PASSWORD = "password"  # the sandbox's canned mailboxes all have this password
SENDER, RECIPIENT, OTHER = "X26ABC1", "X26ABC2", "X26ABC3"


def sandbox_python() -> Path | None:
    named = os.environ.get("ACCORD_MESH_SANDBOX_PYTHON")
    path = Path(named) if named else REPO / ".venv-mesh" / "bin" / "python"
    return path if path.exists() else None


SKIP_REASON = (
    "mesh-sandbox is not installed (scripts/test.sh makes .venv-mesh with it; or set "
    "ACCORD_MESH_SANDBOX_PYTHON): the MESH tests are SKIPPED"
)


@dataclass(frozen=True)
class MeshServer:
    url: str
    ca: Path
    cert: Path
    key: Path
    log: Path

    def settings(self, mailbox: str = SENDER, **kw: int) -> MeshSettings:
        return MeshSettings(
            url=self.url,
            mailbox=mailbox,
            password=PASSWORD,
            shared_key=SHARED_KEY,
            cert=str(self.cert),
            key=str(self.key),
            ca=str(self.ca),
            max_retries=1,
            backoff_factor=0.1,
            timeout=120.0,
            **kw,
        )


def _write(
    folder: Path, name: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> None:
    (folder / f"{name}.key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / f"{name}.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_certificates(folder: Path) -> None:
    """A CA, a server certificate for 127.0.0.1 and a client certificate for the mailboxes."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2120, 1, 1, tzinfo=dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accord test MESH CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    _write(folder, "ca", ca_key, ca)
    for name, serial, usage in (
        ("server", 2, ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", 3, ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = "127.0.0.1" if name == "server" else SENDER
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if name == "server":
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        _write(folder, name, key, builder.sign(ca_key, hashes.SHA256()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(server: MeshServer, proc: subprocess.Popen[bytes]) -> None:
    from accord.push import mesh

    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"mesh-sandbox exited: {server.log.read_text()[-2000:]}")
        try:
            with mesh.client(server.settings()) as session:
                session.handshake()  # type: ignore[no-untyped-call]
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@dataclass
class Running:
    server: MeshServer
    proc: subprocess.Popen[bytes]


def start(python: Path, folder: Path) -> Iterator[MeshServer]:
    """Run the sandbox until the generator is closed."""
    folder.mkdir(parents=True, exist_ok=True)
    make_certificates(folder)
    store = folder / "store"
    store.mkdir()
    port = _free_port()
    server = MeshServer(
        url=f"https://127.0.0.1:{port}",
        ca=folder / "ca.cert.pem",
        cert=folder / "client.cert.pem",
        key=folder / "client.key.pem",
        log=folder / "sandbox.log",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AUTH_MODE": "full",
        "STORE_MODE": "file",
        "MAILBOXES_DATA_DIR": str(store),
        "SHARED_KEY": SHARED_KEY,
    }
    command = [
        str(python), "-m", "uvicorn", "mesh_sandbox.api:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--ssl-keyfile", str(folder / "server.key.pem"),
        "--ssl-certfile", str(folder / "server.cert.pem"),
        "--ssl-ca-certs", str(server.ca), "--ssl-cert-reqs", "2",
    ]  # fmt: skip
    with server.log.open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(server, proc)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
