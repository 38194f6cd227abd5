"""The S1 workload for the engine benchmark: synthetic files and a 153-recipient agreement.

Files come from :mod:`accord.synth` (same seed, same bytes) and are cached in the work folder:
a postcode directory (NSPL layout), the population on day 0, the population on day 1 (about 1%
of people added, removed or moved), and an NDOO opt-out list holding 3% of people.

The agreement is the packaged example with one flow per upper-tier authority in force on the
run date (``utla(postcode) == recipient.gss``) and the NDOO applied (so opt-outs are removed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.compute as pc

from accord.model import Agreement, example_document
from accord.refdata import Geography
from accord.synth import (
    DailyChanges,
    write_delta,
    write_opt_outs,
    write_population,
    write_postcode_directory,
)

RUN_DAY = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
NEXT_DAY = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
SECRET = b"benchmark-instance-secret-32byte"
SEED = 2020
# About 1% of people touched per day: 0.4% added, 0.2% removed, 0.4% moved authority.
CHANGES = DailyChanges(add_share=0.004, remove_share=0.002, move_share=0.004)


@dataclass(frozen=True)
class Workload:
    rows: int
    directory: Path
    day0: Path
    day1: Path
    ndoo: Path


def build(folder: Path, rows: int, postcodes: int) -> Workload:
    folder.mkdir(parents=True, exist_ok=True)
    w = Workload(
        rows,
        folder / f"nspl-{postcodes}.parquet",
        folder / f"population-{rows}-day0.parquet",
        folder / f"population-{rows}-day1.parquet",
        folder / f"ndoo-{rows}.parquet",
    )
    if not w.directory.exists():
        write_postcode_directory(w.directory, postcodes=postcodes, seed=SEED)
    common = {"rows": rows, "seed": SEED, "postcode_directory": w.directory}
    if not w.day0.exists():
        write_population(w.day0, **common)
    if not w.day1.exists():
        write_delta(w.day1, day=1, changes=CHANGES, **common)
    if not w.ndoo.exists():
        write_opt_outs(
            w.ndoo,
            population=w.day0,
            share=0.03,
            seed=SEED,
            kind="ndoo",
            version="NDOO-2026-03-19",
            list_date=date(2026, 3, 19),
        )
    return w


def upper_tier_codes(geography: Geography, on: date) -> list[str]:
    table = geography.authorities(on=on)
    return sorted(set(pc.unique(table["utla_code"]).to_pylist()))


COUNTS = {
    "identifiability": "aggregate",
    "projection": ["date_of_birth", "postcode"],
    "transforms": [
        {"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"},
        {"op": "postcode_to", "field": "postcode", "level": "lsoa"},
    ],
    "aggregate": {"group_by": ["date_of_birth", "postcode"]},
}
"""An aggregate flow: counts by 10-year age band and LSOA (the aggregate stage's workload)."""


def agreement(codes: list[str], *, counts: bool = False) -> Agreement:
    """The S1 agreement to every authority in ``codes``; with ``counts`` each flow delivers
    disclosure-controlled counts by age band and LSOA instead of the list."""
    doc = example_document()
    template = {**doc["flows"][0], **(COUNTS if counts else {})}
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": f"Authority {c}", "org_type": "la_unitary", **la}
        for c in codes
    ]
    doc["flows"] = [{**template, "id": f"spl-{c.lower()}", "recipient": f"gss:{c}"} for c in codes]
    doc["opt_out_policy"] = {
        "apply_ndoo": True,
        "apply_type1": False,
        "rationale": "benchmark: remove NDOO opt-outs to exercise the anti-join",
    }
    return Agreement.model_validate(doc)
