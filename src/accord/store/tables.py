"""Every table accord persists, gathered on one ``MetaData`` for Alembic and tests.

Subsystem modules declare their own tables; importing them here registers them.
"""

from __future__ import annotations

import importlib
import pkgutil

import accord.store as _store_pkg
from accord.store.base import metadata

_NOT_TABLES = {"base", "tables", "migrate", "migrations"}
for _mod in pkgutil.iter_modules(_store_pkg.__path__):
    if _mod.name not in _NOT_TABLES:
        importlib.import_module(f"accord.store.{_mod.name}")

__all__ = ["metadata"]
