"""The scenario suite's shared helpers sit beside this file; tests/ has no packages."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
