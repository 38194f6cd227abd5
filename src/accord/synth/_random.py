"""Seeded random streams: one independent numpy ``Generator`` per (seed, purpose, batch...).

Every random draw in :mod:`accord.synth` comes from a stream named by the caller's seed and a
path of keys (text or integers), so a batch can be regenerated on its own and two purposes
never share draws. There is no global generator.
"""

from __future__ import annotations

import hashlib

import numpy as np

from accord.errors import InputError, Problem


def _key(part: int | str) -> int:
    if isinstance(part, int) and not isinstance(part, bool) and part >= 0:
        return part
    if isinstance(part, str):
        return int.from_bytes(hashlib.sha256(part.encode("utf-8")).digest()[:8], "big")
    raise InputError("bad random stream key", [Problem("key", "not text or a non-negative int")])


def check_seed(seed: int) -> int:
    """Return ``seed`` if it is a non-negative integer, else raise :class:`InputError`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed must be a non-negative integer", [Problem("seed", "bad value")])
    return seed


def stream(seed: int, *path: int | str) -> np.random.Generator:
    """An independent generator for ``seed`` and the purpose named by ``path``."""
    sequence = np.random.SeedSequence(
        entropy=check_seed(seed), spawn_key=tuple(_key(p) for p in path)
    )
    return np.random.Generator(np.random.PCG64(sequence))
