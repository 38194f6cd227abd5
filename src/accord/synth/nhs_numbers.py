"""Unique, valid synthetic NHS numbers, generated vectorised from an index.

Person ``i`` gets the ``i``-th number of a seeded permutation of a space of valid numbers that
share a prefix. By convention synthetic and test NHS numbers start with 9, which is never
issued to patients; ``999`` gives 900,000 numbers, ``9`` gives 90,000,000. The first 8 digits
are the prefix and a counter; digit 9 is chosen among the (at least nine) values whose check
digit is not 10; digit 10 is the check digit (rules.md §h). So the mapping from index to
number is a bijection onto valid numbers: unique without remembering which were used.

>>> from accord.refdata import validate_nhs_number
>>> [validate_nhs_number(n) == n for n in nhs_numbers(3, seed=1)]
[True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.errors import InputError, Problem
from accord.synth._random import check_seed, stream

__all__ = ["NhsNumberSpace", "nhs_numbers"]

_ROUNDS = 4
_HEAD_WEIGHTS = np.array([10, 9, 8, 7, 6, 5, 4, 3], dtype=np.int64)


@dataclass(frozen=True)
class NhsNumberSpace:
    """A seeded permutation of the valid NHS numbers starting with ``prefix``."""

    prefix: str
    seed: int

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not (self.prefix.isascii() and self.prefix.isdigit() and 1 <= len(self.prefix) <= 7):
            raise InputError("bad NHS number prefix", [Problem("prefix", "not 1 to 7 digits")])
        if self.prefix[0] == "0":
            raise InputError("bad NHS number prefix", [Problem("prefix", "starts with 0")])

    @property
    def capacity(self) -> int:
        """How many distinct valid numbers the space holds."""
        return int(9 * 10 ** (8 - len(self.prefix)))

    def _keys(self) -> np.ndarray:
        rng = stream(self.seed, "nhs-number-space", self.prefix)
        return rng.integers(1, 1 << 30, size=(_ROUNDS, 2), dtype=np.int64)

    def _permute(self, values: np.ndarray) -> np.ndarray:
        """A seeded bijection of ``[0, capacity)``: a Feistel network with cycle walking."""
        bits = max(2, (self.capacity - 1).bit_length())
        bits += bits % 2
        half = bits // 2
        mask = (1 << half) - 1
        keys = self._keys()

        def feistel(x: np.ndarray) -> np.ndarray:
            left, right = x >> half, x & mask
            for k1, k2 in keys:
                mixed = ((right * k1 + k2) ^ (right >> 3)) & mask
                left, right = right, left ^ mixed
            return (left << half) | right

        out = feistel(values)
        outside = out >= self.capacity
        while outside.any():
            out[outside] = feistel(out[outside])
            outside = out >= self.capacity
        return out

    def numbers(self, indices: np.ndarray) -> pa.Array:
        """The numbers of the given person indices (each in ``[0, capacity)``), as text."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= self.capacity):
            raise InputError(
                "too many people for this NHS number prefix",
                [Problem("prefix", f"holds {self.capacity} numbers; use a shorter prefix")],
            )
        j = self._permute(indices.copy())
        counter, k = np.divmod(j, 9)
        head = int(self.prefix) * 10 ** (8 - len(self.prefix)) + counter
        digits = (head[:, None] // 10 ** np.arange(7, -1, -1, dtype=np.int64)) % 10
        partial = digits @ _HEAD_WEIGHTS
        candidates = np.arange(10, dtype=np.int64)
        allowed = (partial[:, None] + 2 * candidates) % 11 != 1
        rank = np.cumsum(allowed, axis=1)
        d9 = np.argmax(allowed & (rank == (k + 1)[:, None]), axis=1).astype(np.int64)
        check = (11 - (partial + 2 * d9) % 11) % 11
        value = head * 100 + d9 * 10 + check
        return pc.cast(pa.array(value, pa.int64()), pa.string())


def nhs_numbers(count: int, *, seed: int, start: int = 0, prefix: str = "999") -> list[str]:
    """``count`` unique valid NHS numbers for person indices ``start .. start+count-1``."""
    if count < 0 or start < 0:
        raise InputError("count and start must not be negative", [Problem("count", "negative")])
    space = NhsNumberSpace(prefix=prefix, seed=seed)
    numbers: list[str] = space.numbers(np.arange(start, start + count, dtype=np.int64)).to_pylist()
    return numbers
