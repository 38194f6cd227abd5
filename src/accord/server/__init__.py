"""accord.server: the web server (started by ``accord serve``).

Owns routes only: the JSON API under ``/api`` (documented in the OpenAPI document, stable),
the GOV.UK Design System pages for information-governance staff, and the public register. Every
page is also JSON (a ``.json`` suffix or ``Accept: application/json``). Authentication and
authorisation of requests live in :mod:`.auth`; the one exception handler in :mod:`.errors`.

Holds no business rules: every decision is made by the service functions the CLI also calls
(``accord.service``, ``accord.register``, ``accord.law``...). Nothing imports this package
except the CLI's ``serve`` command and tests.

>>> from accord.server.app import create_app  # create_app(workspace) -> FastAPI
"""

from accord.server.app import create_app

__all__ = ["create_app"]
