"""Fixtures for dispute tests (the builders live in ``dispute_builders``)."""

from __future__ import annotations

from dispute_builders import agreement, original, wider  # noqa: F401 (fixtures)
