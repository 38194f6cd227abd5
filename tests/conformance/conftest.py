"""The conformance suite's helpers sit beside this file and in ``tests/spec``; tests/ has no
packages, so both folders go on the path (the cases reuse the spec suite's agreement builder)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "spec"))
sys.path.insert(0, str(Path(__file__).parent))
