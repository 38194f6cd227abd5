"""Make the shared agreement builders (``law_builders.py``) importable by this folder's tests
under pytest's importlib import mode, which does not put test folders on ``sys.path``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
