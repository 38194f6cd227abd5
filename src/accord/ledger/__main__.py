"""``python -m accord.ledger verify DIR``: verify an exported ledger with nothing but the ledger.

The auditor's entry point. It needs only the ledger's own dependencies (``cryptography`` and
``rfc8785``), not the command line's or the data stack's, so a log can be checked offline in a
venv made with ``pip install --no-deps accord`` plus those two. It prints the same one-line
verdict as ``accord verify DIR`` and exits 0, or 6 naming the first bad index.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from accord.errors import VerificationError
from accord.ledger.verify import verify_export


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m accord.ledger",
        description="Verify an exported accord ledger offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a folder written by `accord ledger export`")
    verify.add_argument("directory", help="a folder written by `accord ledger export`")
    verify.add_argument(
        "--instance-key",
        default=None,
        help="the instance's published verifier key (name+hash+base64); without it the key in"
        " the export is trusted",
    )
    args = parser.parse_args(list(argv))
    try:
        summary = verify_export(args.directory, trusted_instance_key=args.instance_key)
    except VerificationError as exc:
        print(f"FAILED: {exc.message}")
        return VerificationError.exit_code
    print(summary.verdict())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
