"""Webhook delivery: the notification as JSON, POSTed with an HMAC-SHA256 signature.

The receiver recomputes ``HMAC-SHA256(secret, body)`` over the exact bytes it received and
compares it with the ``X-Accord-Signature`` header (``sha256=<hex>``) in constant time.

>>> sign_body(b"secret", b'{"id":1}')
'sha256=03def589620c813f198fd03d7967e292b163ef0435ebf43071ce0e9519763cb7'
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from accord.errors import InputError, Problem
from accord.notifications.model import Notification

SIGNATURE_HEADER = "X-Accord-Signature"


def sign_body(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookTransport:
    url: str
    secret: bytes
    timeout: float = 10.0
    channel: str = "webhook"

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise InputError("a webhook URL is http(s)", [Problem("url", self.url)])
        if len(self.secret) < 16:
            raise InputError("a webhook secret needs at least 16 bytes", [Problem("secret", "")])

    def body(self, notification: Notification) -> bytes:
        return json.dumps(notification.as_dict(), sort_keys=True).encode()

    def send(self, notification: Notification) -> None:
        body = self.body(notification)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(self.secret, body),
            "X-Accord-Notification": str(notification.id),
        }
        response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        response.raise_for_status()
