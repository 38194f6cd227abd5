"""A synthetic postcode directory in the ONSPD/NSPL layout, generated from a seed.

The real ONS Postcode Directory is not shipped (licence, size), so exercises and benchmarks use
this one. Each postcode sits in a real English LSOA 2021 from the packaged reference data, so it
has a real LAD and upper-tier authority; LSOAs get postcodes in rough proportion (about equal
numbers each, with seeded variation), and all postcodes of an LSOA share an area and district.
Postcodes are unique and valid per the rules.md §h format; unit letters avoid C I K M O V.

Columns written, NSPL style: ``pcd`` (7-character form), ``pcds``, ``dointr``, ``doterm``,
``usertype``, ``lsoa21``, ``laua``, ``rgn``, ``ctry``. :mod:`accord.refdata` reads only ``pcds``,
``dointr``, ``doterm``, ``lsoa21`` and ``laua``.

Dates: about 95% were introduced in ``198001`` (ONS's date for postcodes older than 1980),
the rest between 1980 and 2024; :data:`SETTLED_BEFORE` marks the ones introduced before 2020.
A share (``terminated_share``, default 1%) is terminated, with a ``doterm`` from 1990 to 2024.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.errors import InputError, Problem
from accord.refdata import Geography
from accord.synth._random import check_seed, stream
from accord.synth._writer import BatchWriter, check_format
from accord.synth.summary import SynthSummary, file_sha256
from accord.synth.vocabulary import POSTCODE_AREAS, UNIT_LETTERS

__all__ = ["SETTLED_BEFORE", "postcode_slots", "write_postcode_directory"]

SETTLED_BEFORE = 202001
"""Postcodes introduced before this month and never terminated are used for people."""

_UNITS = len(UNIT_LETTERS) ** 2  # postcodes per sector
_SECTORS = 10
_DISTRICTS = 99
SLOT_CAPACITY = len(POSTCODE_AREAS) * _DISTRICTS * _SECTORS * _UNITS
"""How many distinct postcodes the slot scheme can spell."""

_SCHEMA = pa.schema(
    [(name, pa.string()) for name in ("pcd", "pcds", "dointr", "doterm", "usertype")]
    + [(name, pa.string()) for name in ("lsoa21", "laua", "rgn", "ctry")]
)
_BATCH = 262_144
# The LAD vintage written to ``laua``: LAD 2024 codes (in force 2023-04-01 to 2025-03-31).
_REFERENCE_DAY = date(2024, 1, 1)


def postcode_slots(slots: np.ndarray) -> pa.Array:
    """Spell postcode slot numbers (``0 <= slot < SLOT_CAPACITY``) as normalised postcodes.

    Slot order: unit fastest, then sector, then a district block; blocks rotate through the
    areas, so neighbouring blocks fall in different areas and districts are 1 to 99.
    """
    slots = np.asarray(slots, dtype=np.int64)
    block, within = np.divmod(slots, _SECTORS * _UNITS)
    sector, unit = np.divmod(within, _UNITS)
    area_index = block % len(POSTCODE_AREAS)
    district = 1 + ((block // len(POSTCODE_AREAS)) * 37) % _DISTRICTS
    areas = pa.array(POSTCODE_AREAS).take(pa.array(area_index))
    letters = pa.array(list(UNIT_LETTERS))
    first = letters.take(pa.array(unit // len(UNIT_LETTERS)))
    second = letters.take(pa.array(unit % len(UNIT_LETTERS)))
    outward = pc.binary_join_element_wise(areas, pc.cast(pa.array(district), pa.string()), "")
    inward = pc.binary_join_element_wise(pc.cast(pa.array(sector), pa.string()), first, second, "")
    return pc.binary_join_element_wise(outward, inward, " ")


def _allocate(total: int, lsoas: int, seed: int) -> np.ndarray:
    """Postcodes per LSOA: about equal, with seeded variation, summing to ``total``."""
    weights = stream(seed, "postcodes", "weights").gamma(6.0, size=lsoas)
    edges = np.floor(np.cumsum(weights) / weights.sum() * total + 0.5).astype(np.int64)
    edges[-1] = total
    return np.diff(np.concatenate(([0], edges)))


def _months(rng: np.random.Generator, n: int, first: int, last: int) -> np.ndarray:
    """Uniform months between two ``YYYYMM`` values, as ``YYYYMM`` integers."""
    lo = (first // 100) * 12 + first % 100 - 1
    hi = (last // 100) * 12 + last % 100 - 1
    m = rng.integers(lo, hi + 1, size=n)
    return (m // 12) * 100 + m % 12 + 1


def write_postcode_directory(
    path: str | os.PathLike[str],
    *,
    postcodes: int,
    seed: int,
    fmt: str = "parquet",
    terminated_share: float = 0.01,
    geography: Geography | None = None,
) -> SynthSummary:
    """Write a synthetic NSPL-layout directory of ``postcodes`` rows; same seed, same bytes."""
    check_seed(seed)
    check_format(fmt)
    if not 1 <= postcodes <= SLOT_CAPACITY // 2:
        raise InputError(
            "postcode count out of range",
            [Problem("postcodes", f"must be 1 to {SLOT_CAPACITY // 2}")],
        )
    if not 0.0 <= terminated_share < 1.0:
        raise InputError("share out of range", [Problem("terminated_share", "not in [0, 1)")])
    geography = geography or Geography.load()
    lsoa = geography.lsoa_table(on=_REFERENCE_DAY)
    authorities = geography.authorities(on=_REFERENCE_DAY)
    region_of = dict(
        zip(
            authorities["lad_code"].to_pylist(), authorities["region_code"].to_pylist(), strict=True
        )
    )
    order = pc.sort_indices(lsoa, sort_keys=[("lad_code", "ascending"), ("lsoa21", "ascending")])
    lsoa = lsoa.take(order)
    lsoa_codes = lsoa["lsoa21"].combine_chunks()
    lad_codes = lsoa["lad_code"].combine_chunks()
    regions = pa.array([region_of[c] for c in lad_codes.to_pylist()], pa.string())
    per_lsoa = _allocate(postcodes, len(lsoa_codes), seed)
    owner = np.repeat(np.arange(len(lsoa_codes), dtype=np.int64), per_lsoa)

    counts = {"terminated": 0, "settled": 0}
    with BatchWriter(path, _SCHEMA, fmt) as writer:
        for number, start in enumerate(range(0, postcodes, _BATCH)):
            stop = min(start + _BATCH, postcodes)
            rng = stream(seed, "postcodes", "batch", number)
            n = stop - start
            idx = pa.array(owner[start:stop])
            pcds = postcode_slots(np.arange(start, stop, dtype=np.int64))
            outward = pc.utf8_slice_codeunits(pcds, 0, -4)
            pcd = pc.binary_join_element_wise(
                pc.utf8_rpad(outward, 4, " "), pc.utf8_slice_codeunits(pcds, -3), ""
            )
            kind = rng.random(n)
            dointr = np.where(
                kind < 0.95,
                198001,
                np.where(
                    kind < 0.99, _months(rng, n, 198002, 201912), _months(rng, n, 202001, 202412)
                ),
            )
            terminated = rng.random(n) < terminated_share
            doterm = _months(rng, n, 199001, 202412)
            doterm = np.where(doterm <= dointr, np.minimum(dointr + 100, 202412), doterm)
            terminated &= doterm > dointr
            counts["terminated"] += int(terminated.sum())
            counts["settled"] += int(((dointr < SETTLED_BEFORE) & ~terminated).sum())
            doterm_text = pc.if_else(
                pa.array(terminated),
                pc.cast(pa.array(doterm), pa.string()),
                pa.scalar(None, pa.string()),
            )
            batch = pa.record_batch(
                [
                    pcd,
                    pcds,
                    pc.cast(pa.array(dointr), pa.string()),
                    doterm_text,
                    pa.array(["0"] * n, pa.string()),
                    lsoa_codes.take(idx),
                    lad_codes.take(idx),
                    regions.take(idx),
                    pa.array(["E92000001"] * n, pa.string()),
                ],
                schema=_SCHEMA,
            )
            writer.write(batch)
    out = Path(path)
    return SynthSummary(
        path=out,
        fmt=fmt,
        rows=postcodes,
        seed=seed,
        sha256=file_sha256(out),
        counts=counts,
        details={"lad_vintage": "LAD 2024", "settled_before": str(SETTLED_BEFORE)},
    )
