"""Fixtures for dispute tests. The builders live in ``dispute_builders.py``; this folder goes on
``sys.path`` so the tests can import them under pytest's importlib import mode."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from dispute_builders import agreement, original, wider  # noqa: E402, F401 (fixtures)
