"""Email delivery over SMTP with the standard library (``smtplib``, ``email``).

>>> t = SmtpTransport("127.0.0.1", 2525, sender="accord@instance.example")
>>> t.channel
'email'
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from accord.errors import InputError, Problem
from accord.notifications.model import Notification, utc


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    sender: str
    timeout: float = 10.0
    starttls: bool = False
    channel: str = "email"

    def message(self, n: Notification) -> EmailMessage:
        if not n.address:
            raise InputError(
                f"notification {n.id} has no email address",
                [Problem("address", f"no contact for the {n.role} of {n.party}")],
            )
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = n.address
        msg["Subject"] = n.subject
        msg["Date"] = format_datetime(utc(n.created_at))
        msg["Message-ID"] = make_msgid(idstring=f"accord-notification-{n.id}")
        msg["X-Accord-Notification"] = str(n.id)
        if n.dispute_id:
            msg["X-Accord-Dispute"] = n.dispute_id
        due = f"\n\nDeadline: {utc(n.deadline):%Y-%m-%d %H:%M} UTC" if n.deadline else ""
        body = (
            f"To the {n.role} of {n.party}\n\n{n.message}{due}\n\n"
            f"Agreement {n.agreement_id} version {n.agreement_version} "
            f"(hash {n.agreement_hash})\n"
        )
        msg.set_content(body)
        return msg

    def send(self, notification: Notification) -> None:
        msg = self.message(notification)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            smtp.send_message(msg)
