"""Write the OpenAPI document of accord's API: ``python -m accord.server.openapi FILE``.

The committed copy is ``docs/reference/openapi.json``; a test fails when it is stale.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from accord.server.app import create_app
from accord.workspace import Workspace


def document() -> dict[str, Any]:
    """The OpenAPI document (it does not depend on a workspace's contents)."""
    with tempfile.TemporaryDirectory() as folder, Workspace.init(Path(folder) / "ws") as ws:
        doc: dict[str, Any] = create_app(ws).openapi()
        return doc


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m accord.server.openapi FILE", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(text(), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
