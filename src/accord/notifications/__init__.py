"""accord.notifications: telling the people who must act, by email and by webhook.

Owns the notification model, the pending-delivery loop (:func:`deliver_pending`) and two
transports: SMTP through the standard library (:class:`SmtpTransport`) and HTTPS webhooks signed
with HMAC-SHA256 (:class:`WebhookTransport`). Notification rows are written by the services that
create them (disputes today) into the tables of :mod:`accord.store.disputes`; each delivery is
recorded per channel and as a ``notification-sent`` ledger event.

Imports ``accord.errors``, ``accord.store``, ``accord.ledger`` and the workspace; never the
server, the CLI, or the services that create notifications.
"""

from accord.notifications.deliver import Delivery, deliver_pending, pending
from accord.notifications.model import Notification, Transport
from accord.notifications.smtp import SmtpTransport
from accord.notifications.webhook import SIGNATURE_HEADER, WebhookTransport, sign_body

__all__ = [
    "SIGNATURE_HEADER",
    "Delivery",
    "Notification",
    "SmtpTransport",
    "Transport",
    "WebhookTransport",
    "deliver_pending",
    "pending",
    "sign_body",
]
