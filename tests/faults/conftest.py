"""The crash tests' helpers (``killpoints``, ``fault_world``) sit beside them: put this folder
on ``sys.path`` so they import under pytest's importlib import mode."""

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
