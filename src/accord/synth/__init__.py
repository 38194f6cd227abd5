"""accord.synth: synthetic reference data and populations for exercises, tests and benchmarks.

Owns the synthetic postcode directory (NSPL layout, real English LSOAs and authorities), the
synthetic shielded-patient population with controlled shares of faulty values, its daily
changes, opt-out lists and unique valid synthetic NHS numbers. Everything is generated from a
seed (numpy ``Generator`` streams, never a global generator), vectorised, streamed to Parquet
or CSV in batches, and byte-identical for the same seed and parameters.

Imports nothing from accord except :mod:`accord.refdata` and :mod:`accord.errors`.

>>> nhs_numbers(2, seed=7)[0].startswith("999")
True
"""

from accord.synth.nhs_numbers import NhsNumberSpace, nhs_numbers
from accord.synth.opt_outs import write_opt_outs
from accord.synth.people import COLUMNS as POPULATION_COLUMNS
from accord.synth.population import DailyChanges, DataQuality, write_delta, write_population
from accord.synth.postcodes import SETTLED_BEFORE, write_postcode_directory
from accord.synth.summary import SynthSummary

__all__ = [
    "POPULATION_COLUMNS",
    "SETTLED_BEFORE",
    "DailyChanges",
    "DataQuality",
    "NhsNumberSpace",
    "SynthSummary",
    "nhs_numbers",
    "write_delta",
    "write_opt_outs",
    "write_population",
    "write_postcode_directory",
]
