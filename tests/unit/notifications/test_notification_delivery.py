"""Notifications delivered for real: a local SMTP server (aiosmtpd) and a local HTTP server."""

from __future__ import annotations

import hmac
import json
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from accord.clock import FixedClock
from accord.disputes.model import Actor, ActorRole, Ground, Variant
from accord.model import example_agreement
from accord.notifications import SIGNATURE_HEADER, SmtpTransport, WebhookTransport, sign_body
from accord.service import agreements
from accord.service import disputes as service
from accord.service.notifications import deliver_pending, pending
from accord.workspace import Workspace

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
SECRET = b"webhook-secret-0123456789"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = _free_port()  # aiosmtpd checks readiness on the port it was given, so not 0
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def http_server():
    received: list[tuple[dict[str, str], bytes]] = []
    status = {"code": 204}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received, status
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", clock=FixedClock(T0)) as ws:
        a = example_agreement()
        agreements.create(ws, a, actor="test")
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target, actor="test")
        flow = a.flow("spl-e09000011")
        service.raise_dispute(
            ws,
            agreement_id=a.id,
            flow_id=flow.id,
            actor=Actor(party="gss:E09000011", role=ActorRole.dpo, name="Greenwich DPO"),
            ground=Ground.excessive_data,
            statement="We do not need dates of birth.",
            offer=Variant.from_flow(flow).model_copy(
                update={"projection": ("nhs_number", "postcode")}
            ),
            disputed_fields=["date_of_birth"],
        )
        yield ws


def test_email_goes_to_the_contacts_that_have_an_address(ws, smtp_server) -> None:
    inbox, port = smtp_server
    transport = SmtpTransport("127.0.0.1", port, sender="accord@instance.example")
    results = deliver_pending(ws, transport)
    sent = [r for r in results if r.sent]
    failed = [r for r in results if not r.sent]
    # NHS England's DPO has an address in the agreement; the other roles have none.
    assert len(sent) == 1 and len(inbox.messages) == 1
    assert all("no email address" in r.error for r in failed)
    mail_from, rcpt, content = inbox.messages[0]
    msg = message_from_bytes(content)
    assert (mail_from, rcpt) == ("accord@instance.example", ["dpo@nhs.example"])
    assert "tier 1" in msg["Subject"] and "Deadline: 2026-03-16 11:00 UTC" in content.decode()
    # Delivered once: a second run sends nothing more; failures stay pending.
    assert [r.sent for r in deliver_pending(ws, transport)] == [False] * len(failed)
    assert len(inbox.messages) == 1
    names = [e.event.name for e in ws.ledger.entries_for_agreement(example_agreement().id)]
    assert names.count("notification-sent") == 1


def test_webhooks_are_signed_and_retried_until_accepted(ws, http_server) -> None:
    url, received, status = http_server
    transport = WebhookTransport(url, SECRET)
    status["code"] = 503
    assert not any(r.sent for r in deliver_pending(ws, transport))
    waiting = len(pending(ws, "webhook"))
    assert waiting == 4  # IG lead and DPO of each side, still pending after the failure
    status["code"] = 204
    received.clear()
    assert all(r.sent for r in deliver_pending(ws, transport))
    assert pending(ws, "webhook") == [] and len(received) == waiting
    headers, body = received[0]
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], sign_body(SECRET, body))
    note = json.loads(body)
    assert note["deadline"] == "2026-03-16T11:00:00Z" and note["role"] in {"ig_lead", "dpo"}
    # The email channel is independent: these are still pending for email.
    assert len(pending(ws, "email")) == waiting
