"""The settings a Spark session starts with (``spark.configuration``): the defaults a run needs,
local mode's own (shuffle partitions by core, a light codec for the driver's part files), and
the user's settings over every one of them. Pure functions: no JVM is started."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from accord.engine.backends.spark import DEFAULTS, LOCAL_DEFAULTS, configuration, local_cores

NAMES = st.sampled_from(
    [
        "spark.master",
        "spark.sql.shuffle.partitions",
        "spark.sql.parquet.compression.codec",
        "spark.sql.inMemoryColumnarStorage.compressed",
        "spark.sql.session.timeZone",
        "spark.driver.memory",
    ]
)


def test_local_two_cores_by_default() -> None:
    conf = configuration()
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.sql.shuffle.partitions"] == "4"
    assert conf["spark.sql.parquet.compression.codec"] == "uncompressed"
    assert conf["spark.hadoop.parquet.enable.dictionary"] == "false"
    assert conf["spark.sql.inMemoryColumnarStorage.compressed"] == "false"
    assert conf["spark.sql.session.timeZone"] == "UTC"


def test_a_cluster_gets_no_local_defaults() -> None:
    conf = configuration({"spark.master": "spark://spark-master:7077"})
    assert conf["spark.sql.shuffle.partitions"] == DEFAULTS["spark.sql.shuffle.partitions"]
    assert conf["spark.sql.parquet.compression.codec"] == "zstd"
    assert conf["spark.sql.timestampType"] == "TIMESTAMP_NTZ"


def test_local_masters_and_their_cores() -> None:
    assert local_cores("local") == 1
    assert local_cores("local[3]") == 3
    assert local_cores("local[4,2]") == 4
    assert local_cores("local[*]") == (os.cpu_count() or 1)
    assert local_cores("local[0]") is None
    assert local_cores("yarn") is None
    assert local_cores("k8s://https://host:443") is None
    assert configuration({"spark.master": "local[*]"})["spark.sql.shuffle.partitions"] == str(
        2 * (os.cpu_count() or 1)
    )


@given(st.integers(min_value=1, max_value=512))
def test_two_shuffle_partitions_per_local_core(cores: int) -> None:
    conf = configuration({"spark.master": f"local[{cores}]"})
    assert conf["spark.sql.shuffle.partitions"] == str(2 * cores)
    assert all(conf[k] == v for k, v in LOCAL_DEFAULTS.items())


@given(st.dictionaries(NAMES, st.text(min_size=1, max_size=12)))
def test_the_users_settings_win_over_every_default(settings: dict[str, str]) -> None:
    conf = configuration(settings)
    assert all(conf[k] == v for k, v in settings.items())
    assert set(DEFAULTS) <= set(conf)
