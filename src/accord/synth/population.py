"""Stream a synthetic shielded-patient population, and its daily changes, to Parquet or CSV.

People are generated in fixed batches of person indices, each from its own seeded stream, and
written batch by batch: memory stays flat however many rows are asked for. The same seed and
parameters give byte-identical files.

Day 0 is the population written by :func:`write_population`. Day ``d`` (:func:`write_delta`)
is day ``d-1`` after one day of changes, each drawn from its own stream for that day:
``add_share`` of ``rows`` new people join (at the end of the file), ``remove_share`` of the
people present leave, and ``move_share`` move to a postcode in a different upper-tier
authority. ``write_delta(day=0)`` writes the same bytes as ``write_population``. Building day
``d`` replays ``d`` days of draws, so its cost grows with ``rows x d``.

NHS numbers are unique across every day: person ``i`` always has the ``i``-th number of the
seeded space (prefix ``999`` when ``rows`` is at most 450,000, else ``9``; override with
``nhs_prefix``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accord.errors import InputError, Problem
from accord.refdata import Geography
from accord.synth._random import check_seed, stream
from accord.synth._writer import BatchWriter, check_format
from accord.synth.directory import ResidentialPostcodes, load_residential
from accord.synth.nhs_numbers import NhsNumberSpace
from accord.synth.people import (
    SCHEMA,
    Batch,
    DataQuality,
    count_faults,
    draw_people,
    spell_people,
)
from accord.synth.summary import SynthSummary, file_sha256

__all__ = ["DailyChanges", "DataQuality", "write_delta", "write_population"]

BATCH_ROWS = 262_144
"""People per generated batch (part of the seeded layout: changing it changes the output)."""

_MAX_ROWS = 50_000_000
_SMALL_PREFIX_ROWS = 450_000

Progress = Callable[[int], None]


@dataclass(frozen=True)
class DailyChanges:
    """Shares of ``rows`` added, and of people present removed or moved, each day."""

    add_share: float = 0.004
    remove_share: float = 0.002
    move_share: float = 0.004

    def __post_init__(self) -> None:
        for name in ("add_share", "remove_share", "move_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 0.5:
                raise InputError(
                    "daily change share out of range", [Problem(name, "not in [0, 0.5]")]
                )

    def added_per_day(self, rows: int) -> int:
        return int(round(rows * self.add_share))


@dataclass(frozen=True)
class _Segment:
    key: tuple[int | str, ...]
    start: int  # first person index
    size: int
    added_on: int  # day the people joined (0 for the base population)


def _segments(rows: int, day: int, changes: DailyChanges) -> Iterator[_Segment]:
    for number, start in enumerate(range(0, rows, BATCH_ROWS)):
        yield _Segment(("base", number), start, min(BATCH_ROWS, rows - start), 0)
    per_day = changes.added_per_day(rows)
    for joined in range(1, day + 1):
        first = rows + (joined - 1) * per_day
        for number, offset in enumerate(range(0, per_day, BATCH_ROWS)):
            size = min(BATCH_ROWS, per_day - offset)
            yield _Segment(("added", joined, number), first + offset, size, joined)


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 0.5:
        raise InputError("share out of range", [Problem(name, "not in [0, 0.5]")])


def _move_elsewhere(
    rng: np.random.Generator, batch: Batch, homes: ResidentialPostcodes, movers: np.ndarray
) -> None:
    """Give each mover a home in a different upper-tier authority (when there is one)."""
    chosen = rng.integers(0, len(homes), size=len(batch.home))
    current = batch.home
    for _ in range(32):
        same = movers & (current >= 0) & (homes.utla[chosen] == homes.utla[np.maximum(current, 0)])
        if not same.any():
            break
        chosen = np.where(same, rng.integers(0, len(homes), size=len(chosen)), chosen)
    batch.home = np.where(movers, chosen, current)
    batch.postcode_fault = np.where(movers, 0, batch.postcode_fault).astype(np.int8)


def _write(
    path: str | os.PathLike[str],
    *,
    rows: int,
    seed: int,
    day: int,
    postcode_directory: str | os.PathLike[str],
    fmt: str,
    invalid_nhs_share: float,
    unknown_postcode_share: float,
    quality: DataQuality,
    changes: DailyChanges,
    nhs_prefix: str | None,
    geography: Geography | None,
    progress: Progress | None,
) -> SynthSummary:
    check_seed(seed)
    check_format(fmt)
    if not 1 <= rows <= _MAX_ROWS:
        raise InputError("row count out of range", [Problem("rows", f"must be 1 to {_MAX_ROWS}")])
    if day < 0:
        raise InputError("day must not be negative", [Problem("day", "negative")])
    _check_share("invalid_nhs_share", invalid_nhs_share)
    _check_share("unknown_postcode_share", unknown_postcode_share)
    prefix = nhs_prefix or ("999" if rows <= _SMALL_PREFIX_ROWS else "9")
    space = NhsNumberSpace(prefix=prefix, seed=seed)
    last_index = rows + day * changes.added_per_day(rows)
    if last_index > space.capacity:
        raise InputError(
            "too many people for the NHS number prefix",
            [Problem("nhs_prefix", f"'{prefix}' holds {space.capacity} numbers")],
        )
    homes = load_residential(postcode_directory, geography=geography)
    counts: dict[str, int] = {"added": 0, "removed": 0, "moved": 0}
    with BatchWriter(path, SCHEMA, fmt) as writer:
        for segment in _segments(rows, day, changes):
            rng = stream(seed, "people", *segment.key)
            indices = np.arange(segment.start, segment.start + segment.size, dtype=np.int64)
            batch = draw_people(
                rng,
                indices,
                space=space,
                homes=homes,
                invalid_nhs_share=invalid_nhs_share,
                unknown_postcode_share=unknown_postcode_share,
                quality=quality,
            )
            present = np.ones(segment.size, dtype=bool)
            for today in range(segment.added_on + 1, day + 1):
                events = stream(seed, "changes", today, *segment.key)
                u = events.random(segment.size)
                leaving = present & (u < changes.remove_share)
                moving = present & ~leaving & (u < changes.remove_share + changes.move_share)
                _move_elsewhere(events, batch, homes, moving)
                present &= ~leaving
                if today == day:
                    counts["removed"] += int(leaving.sum())
                    counts["moved"] += int(moving.sum())
            if segment.added_on == day and day > 0:
                counts["added"] += segment.size
            for name, value in count_faults(batch, present).items():
                counts[name] = counts.get(name, 0) + value
            writer.write(spell_people(batch, homes, present))
            if progress is not None:
                progress(int(present.sum()))
    out = Path(path)
    if day == 0:
        for name in ("added", "removed", "moved"):
            counts.pop(name)
    return SynthSummary(
        path=out,
        fmt=fmt,
        rows=writer.rows,
        seed=seed,
        sha256=file_sha256(out),
        counts=counts,
        details={"nhs_prefix": prefix, "day": str(day)},
    )


def write_population(
    path: str | os.PathLike[str],
    *,
    rows: int,
    seed: int,
    postcode_directory: str | os.PathLike[str],
    fmt: str = "parquet",
    invalid_nhs_share: float = 0.002,
    unknown_postcode_share: float = 0.005,
    quality: DataQuality | None = None,
    nhs_prefix: str | None = None,
    geography: Geography | None = None,
    progress: Progress | None = None,
) -> SynthSummary:
    """Write ``rows`` synthetic people living at postcodes of ``postcode_directory``.

    ``progress`` is called with the number of rows written after each batch.
    """
    return _write(
        path,
        rows=rows,
        seed=seed,
        day=0,
        postcode_directory=postcode_directory,
        fmt=fmt,
        invalid_nhs_share=invalid_nhs_share,
        unknown_postcode_share=unknown_postcode_share,
        quality=quality or DataQuality(),
        changes=DailyChanges(),
        nhs_prefix=nhs_prefix,
        geography=geography,
        progress=progress,
    )


def write_delta(
    path: str | os.PathLike[str],
    *,
    rows: int,
    seed: int,
    day: int,
    postcode_directory: str | os.PathLike[str],
    fmt: str = "parquet",
    invalid_nhs_share: float = 0.002,
    unknown_postcode_share: float = 0.005,
    quality: DataQuality | None = None,
    changes: DailyChanges | None = None,
    nhs_prefix: str | None = None,
    geography: Geography | None = None,
    progress: Progress | None = None,
) -> SynthSummary:
    """Write the population as it stands on ``day`` (``rows`` people on day 0).

    The summary counts the people ``added``, ``removed`` and ``moved`` on that day.
    """
    return _write(
        path,
        rows=rows,
        seed=seed,
        day=day,
        postcode_directory=postcode_directory,
        fmt=fmt,
        invalid_nhs_share=invalid_nhs_share,
        unknown_postcode_share=unknown_postcode_share,
        quality=quality or DataQuality(),
        changes=changes or DailyChanges(),
        nhs_prefix=nhs_prefix,
        geography=geography,
        progress=progress,
    )
