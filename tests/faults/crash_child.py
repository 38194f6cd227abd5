"""The process the crash tests kill: one accord operation on a workspace, through the services.

``python crash_child.py OP WORKSPACE`` with the point to die at in ``ACCORD_KILL_AT`` (see
``killpoints.py``). OP is one of :data:`OPERATIONS`; each is what a CLI command or a web
request does, in the same service call. The workspace's clock is fixed (``world.AT``), so an
operation repeated after a crash records the same events as one that was never interrupted.

OP ``serve`` runs the web server instead (uvicorn, as ``accord serve`` does) on 127.0.0.1 at
the port in ``ACCORD_TEST_PORT``, until it is killed at the point, by the test, or by a request.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import fault_world as world  # noqa: E402
import killpoints  # noqa: E402


def main(op: str, root: str) -> int:
    point = killpoints.install()
    with world.open_world(Path(root)) as ws:
        if op == "serve":
            import os

            import uvicorn

            from accord.server.app import create_app

            port = int(os.environ["ACCORD_TEST_PORT"])
            uvicorn.run(create_app(ws), host="127.0.0.1", port=port, log_level="warning")
            return 0
        world.OPERATIONS[op](ws)
    if point is not None and point.seen < point.nth:
        print(f"kill point never reached: seen {point.seen} of {point.nth}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
