"""Benchmark a MESH push: one large delivery packaged and sent to NHS England's sandbox.

    .venv/bin/python benchmarks/push_mesh.py --mib 200

Starts ``mesh-sandbox`` on 127.0.0.1 over mutual TLS the way the tests do (it needs
``.venv-mesh``, made by ``scripts/test.sh``), writes a delivery folder holding an extract of
``--mib`` MiB that does not compress, and prints, each against a plain ``shutil.copyfile`` of the
same extract on the same disk (the baseline, measured in the same run):

- packaging the delivery (the ZIP a MESH message carries);
- sending it with ``mesh-client`` at each ``--chunk-mib`` size (how many chunks, and the time);
- the recipient downloading it whole.

Timings are figures to compare runs on one machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mesh_client import MeshClient  # noqa: E402
from mesh_sandbox import RECIPIENT, sandbox_python, start  # noqa: E402

from accord.push import mesh  # noqa: E402
from accord.push.package import write_package  # noqa: E402

MiB = 1024 * 1024


def _timed(fn):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=200, help="extract size in MiB")
    parser.add_argument("--chunk-mib", type=int, nargs="+", default=[20, 75])
    args = parser.parse_args()
    python = sandbox_python()
    if python is None:
        print("mesh-sandbox is not installed (.venv-mesh): nothing measured")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        delivery = base / "delivery"
        delivery.mkdir()
        extract = delivery / "extract.parquet"
        with extract.open("wb") as fh:
            for _ in range(args.mib):
                fh.write(os.urandom(MiB))
        (delivery / "manifest.json").write_text('{"rows": 0}')
        copy_s, _ = _timed(lambda: shutil.copyfile(extract, base / "copy.parquet"))
        print(f"baseline: copy {args.mib} MiB: {copy_s:.2f} s")
        pack_s, _ = _timed(lambda: write_package(delivery, base / "delivery.zip"))
        print(f"package (ZIP, stored): {pack_s:.2f} s = {pack_s / copy_s:.1f}x the copy")
        servers = start(python, base / "mesh")
        server = next(servers)
        try:
            for chunk in args.chunk_mib:
                settings = server.settings(max_chunk_size=chunk * MiB)
                send_s, message_id = _timed(
                    lambda s=settings, c=chunk: mesh.send(
                        s, recipient=RECIPIENT, package=base / "delivery.zip",
                        workflow_id="ACCORD_BENCH", local_id=f"bench-{c}", subject="bench",
                    )
                )  # fmt: skip
                chunks = -(-(base / "delivery.zip").stat().st_size // (chunk * MiB))
                r = server.settings(RECIPIENT)
                with MeshClient(
                    r.url, r.mailbox, r.password, shared_key=r.shared_key.encode(),
                    cert=(r.cert, r.key), verify=r.ca, max_retries=0,
                ) as inbox:  # fmt: skip

                    def fetch(inbox: MeshClient = inbox, mid: str = message_id) -> int:
                        message = inbox.retrieve_message(mid)
                        size = 0
                        while block := message.read(8 * MiB):
                            size += len(block)
                        message.acknowledge()
                        return size

                    get_s, size = _timed(fetch)
                print(
                    f"send, {chunk} MiB chunks ({chunks} chunks): {send_s:.2f} s = "
                    f"{send_s / copy_s:.1f}x the copy, {args.mib / send_s:.0f} MiB/s; "
                    f"download {size // MiB} MiB: {get_s:.2f} s = {get_s / copy_s:.1f}x"
                )
        finally:
            servers.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
