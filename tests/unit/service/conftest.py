"""Service tests. Shared builders (``push_builders.py``) live in this folder, which goes on
``sys.path`` so the tests can import them under pytest's importlib import mode."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
