"""Shared synthetic files for the synth tests: one directory and one population per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.refdata import Geography
from accord.synth import SynthSummary, write_population, write_postcode_directory

POSTCODES = 40_000
ROWS = 30_000
SEED = 20200323


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="session")
def directory(synth_dir: Path) -> SynthSummary:
    return write_postcode_directory(synth_dir / "postcodes.parquet", postcodes=POSTCODES, seed=SEED)


@pytest.fixture(scope="session")
def geography(directory: SynthSummary) -> Geography:
    return Geography.load(directory.path)


@pytest.fixture(scope="session")
def population(synth_dir: Path, directory: SynthSummary) -> SynthSummary:
    return write_population(
        synth_dir / "people.parquet", rows=ROWS, seed=SEED, postcode_directory=directory.path
    )
