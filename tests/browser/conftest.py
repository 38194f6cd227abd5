"""A real accord server (uvicorn on 127.0.0.1, a free port, a real SQLite workspace) and Debian's
Chromium driven headless by Playwright, with axe-core run on every page the tests visit.

Browser tests skip, saying why, only when ``/usr/bin/chromium`` is absent (the project's setup
installs it: ``apt-get install -y chromium``). Playwright's own browsers are never downloaded.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from accord.clock import FixedClock
from accord.server.app import create_app
from accord.service import users as user_service
from accord.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
ASSETS = Path(__file__).parent / "assets"
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = (ASSETS / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)

PEOPLE = [
    ("req@nhse.example", "Rae Requester", "ods:X26", ["requester"]),
    ("siro@nhse.example", "Sam Siro", "ods:X26", ["siro"]),
    ("cg@nhse.example", "Cal Guardian", "ods:X26", ["caldicott_guardian"]),
    ("siro@greenwich.example", "Gwen Siro", "gss:E09000011", ["siro"]),
    ("siro@middlesbrough.example", "Mo Siro", "gss:E06000002", ["siro"]),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason="/usr/bin/chromium is absent: install it with `apt-get install -y chromium`"
        )
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    ws: Workspace
    clock: FixedClock
    base: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    clock = FixedClock(START)
    with Workspace.init(tmp_path / "ws", clock=clock) as ws:
        for email, name, party, roles in PEOPLE:
            user_service.add_user(ws, email, name, party, roles, PASSWORD)
        port = _free_port()
        config = uvicorn.Config(create_app(ws), host="127.0.0.1", port=port, log_level="warning")
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not uv.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        try:
            yield Server(ws, clock, f"http://127.0.0.1:{port}")
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


@dataclass
class Browser:
    page: Any
    base: str
    axe_results: dict[str, int] = field(default_factory=dict)
    # Console messages reporting a Content-Security-Policy violation; the fixture fails on any.
    csp_violations: list[str] = field(default_factory=list)

    def visit(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check_accessibility()

    def check_accessibility(self) -> None:
        """Run axe-core with the WCAG 2.2 AA tags; fail on any violation.

        axe is evaluated through the DevTools protocol, which the page's CSP does not govern
        (a ``<script>`` tag of it would be, rightly, refused as inline script).
        """
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE)
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        violations = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
        ]
        url = self.page.url.removeprefix(self.base)
        self.axe_results[url] = len(result["passes"])
        assert violations == [], f"axe found violations on {url}: {violations}"

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in(self, email: str) -> None:
        self.page.context.clear_cookies()
        self.visit("/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.page.click("button:has-text('Sign in')")
        self.page.wait_for_url(self.base + "/")
        self.check_accessibility()


@pytest.fixture
def browser(server: Server) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        driven = Browser(page, server.base)

        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                driven.csp_violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        try:
            yield driven
        finally:
            context.close()
            chromium.close()
        assert driven.csp_violations == [], driven.csp_violations
