"""A field-by-field difference between two agreement documents, for the versions list.

>>> changes({"a": 1, "b": [1, 2]}, {"a": 2, "b": [1, 2], "c": "x"})
[{'path': 'a', 'before': '1', 'after': '2'}, {'path': 'c', 'before': '', 'after': 'x'}]
"""

from __future__ import annotations

import json
from typing import Any

# Fields every version differs in, which say nothing about what changed.
_IGNORED = {"version", "previous_hash", "status"}


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, inner in enumerate(value):
            _flatten(inner, f"{prefix}.{i}", out)
    else:
        out[prefix] = value if isinstance(value, str) else json.dumps(value)


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    """Each dotted path whose value differs, with the value before and after."""
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    _flatten({k: v for k, v in before.items() if k not in _IGNORED}, "", old)
    _flatten({k: v for k, v in after.items() if k not in _IGNORED}, "", new)
    return [
        {"path": path, "before": old.get(path, ""), "after": new.get(path, "")}
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]
