"""The postcodes a synthetic population lives at, read from a directory file.

People are placed only at postcodes that will resolve on any date from 2020-01-01: English
LSOA, introduced before :data:`accord.synth.postcodes.SETTLED_BEFORE` and never terminated.
Works with a synthetic directory or a real ONSPD/NSPL extract.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.errors import InputError, NotFound, Problem
from accord.refdata import Geography, read_postcode_directory
from accord.synth.postcodes import SETTLED_BEFORE, SLOT_CAPACITY, postcode_slots

_ON = date(2024, 1, 1)
_WIDTH = 8  # the longest normalised postcode, "AB12 3CD"


def _fixed_width(postcodes: pa.Array) -> np.ndarray:
    """Postcodes as a numpy ``S8`` array (space padded: the sort order is unchanged)."""
    padded = pc.utf8_rpad(postcodes.fill_null(""), _WIDTH, " ").cast(pa.string())
    _, offsets, data = padded.buffers()
    start = np.frombuffer(offsets, dtype=np.int32)[padded.offset]
    raw = np.frombuffer(data, dtype=np.uint8)[start : start + _WIDTH * len(padded)]
    return raw.view(f"S{_WIDTH}").copy()


@dataclass(frozen=True)
class ResidentialPostcodes:
    """Postcodes people can live at, with what a synthetic person needs to know of each."""

    postcodes: pa.Array  # normalised text
    lsoa21: pa.Array  # text
    utla: np.ndarray  # int32 index of the upper-tier authority (for "moved elsewhere")
    taken: np.ndarray  # every postcode in the directory, live or not: sorted, fixed width

    def _clashes(self, spelled: pa.Array) -> np.ndarray:
        keys = _fixed_width(spelled)
        at = np.minimum(np.searchsorted(self.taken, keys), len(self.taken) - 1)
        return np.asarray(self.taken[at] == keys)

    def __len__(self) -> int:
        return len(self.postcodes)

    def unknown(self, rng: np.random.Generator, n: int) -> pa.Array:
        """``n`` postcodes valid in format but absent from the directory."""
        slots = rng.integers(0, SLOT_CAPACITY, size=n)
        for _ in range(64):
            spelled = postcode_slots(slots)
            clash = self._clashes(spelled)
            if not clash.any():
                return spelled
            slots = np.where(clash, rng.integers(0, SLOT_CAPACITY, size=n), slots)
        raise InputError(  # pragma: no cover - needs a directory holding most of the slot space
            "cannot find postcodes absent from the directory",
            [Problem("postcode_directory", "too full")],
        )


def load_residential(
    path: str | os.PathLike[str], *, geography: Geography | None = None
) -> ResidentialPostcodes:
    """Read a directory file and keep the postcodes that people are placed at."""
    table = read_postcode_directory(path)
    settled = pc.and_(
        pc.less(table["dointr"], SETTLED_BEFORE),
        pc.and_(pc.is_null(table["doterm"]), pc.starts_with(table["lsoa21"], "E01")),
    )
    kept = table.filter(pc.fill_null(settled, False))
    if kept.num_rows == 0:
        raise InputError(
            "postcode directory has no settled English postcodes",
            [Problem("postcode_directory", "no live E01 rows introduced before 2020")],
        )
    geography = geography or Geography.load()
    lauas = kept["laua"].combine_chunks()
    codes = pc.unique(lauas)
    upper_tier: dict[str, int] = {}
    per_code: list[int] = []
    for code in codes.to_pylist():
        try:
            utla = geography.authority(code or "", on=_ON).utla_code
        except (NotFound, InputError):
            utla = f"unknown:{code}"
        per_code.append(upper_tier.setdefault(utla, len(upper_tier)))
    index = pc.index_in(lauas, value_set=codes).to_numpy(zero_copy_only=False)
    utla = np.asarray(per_code, dtype=np.int32)[index]
    return ResidentialPostcodes(
        postcodes=kept["postcode"].combine_chunks(),
        lsoa21=kept["lsoa21"].combine_chunks(),
        utla=utla,
        taken=np.sort(_fixed_width(table["postcode"].combine_chunks())),
    )
