"""What a synth writer produced: :class:`SynthSummary`, with the file's SHA-256 and counts."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True)
class SynthSummary:
    """A file written by :mod:`accord.synth`.

    ``counts`` holds named tallies (for a population: ``invalid_nhs_number``,
    ``unknown_postcode``...; for a delta: ``added``, ``removed``, ``moved``). ``details`` holds
    other facts as text (the NHS number prefix used, a list version...).
    """

    path: Path
    fmt: str
    rows: int
    seed: int
    sha256: str
    counts: Mapping[str, int] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
