"""accord.notifications: telling the people who must act, by email and by webhook.

Owns the notification model, what a delivery produces (:mod:`accord.notifications.deliver`;
the loop that sends pending ones is :func:`accord.service.notifications.deliver_pending`) and two
transports: SMTP through the standard library (:class:`SmtpTransport`) and HTTPS webhooks signed
with HMAC-SHA256 (:class:`WebhookTransport`). Notification rows are written by the services that
create them (disputes today) into the tables of :mod:`accord.store.disputes`; each delivery is
recorded per channel and as a ``notification-sent`` ledger event.

Imports ``accord.errors`` and ``accord.ledger``'s events; never the store, the workspace, the
server, the CLI, or the services that create notifications.
"""

from accord.notifications.deliver import Delivery
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
    "sign_body",
]
