"""Reading ONSPD/NSPL-layout postcode files: the five columns, checks, formats."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.errors import SourceError
from accord.refdata import read_postcode_directory

HEADER = "pcd,pcds,dointr,doterm,usertype,lsoa21,laua\n"


def _write(tmp_path: Path, body: str, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_reads_the_five_columns_sorted_and_normalised(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "CB2 1AA,cb2 1aa,198001,,0,E01017943,E07000008\n"
        "AB1 0AA,AB1 0AA,199912,202001,0,S00090303,S12000033\n",
    )
    table = read_postcode_directory(path)
    assert table.column_names == ["postcode", "dointr", "doterm", "lsoa21", "laua"]
    assert table.to_pylist() == [
        {
            "postcode": "AB1 0AA",
            "dointr": 199912,
            "doterm": 202001,
            "lsoa21": "S00090303",
            "laua": "S12000033",
        },
        {
            "postcode": "CB2 1AA",
            "dointr": 198001,
            "doterm": None,
            "lsoa21": "E01017943",
            "laua": "E07000008",
        },
    ]


def test_parquet_with_integer_months(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(
        pa.table(
            {
                "pcds": ["M1 1AE"],
                "dointr": [198001],
                "doterm": pa.array([None], pa.int64()),
                "lsoa21": ["E01005061"],
                "laua": ["E08000003"],
            }
        ),
        path,
    )
    assert read_postcode_directory(path).to_pylist()[0]["dointr"] == 198001


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("pcds,dointr,lsoa21\nM1 1AE,198001,E01005061\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_postcode_directory(path)
    assert [p.where for p in caught.value.problems] == ["doterm", "laua"]


def test_bad_rows_are_counted_without_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "x,SECRET1,198001,,0,E01017943,E07000008\n"
        "x,CB2 1AB,198013,,0,E01017943,E07000008\n"
        "x,CB2 1AD,198001,2020,0,E01017943,E07000008\n",
    )
    with pytest.raises(SourceError) as caught:
        read_postcode_directory(path)
    text = caught.value.diagnostics()
    assert "pcds: 1 rows are not a valid postcode (first at file rows 2)" in text
    assert "dointr: 1 rows" in text and "doterm: 1 rows" in text
    assert "SECRET1" not in text


def test_duplicates_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "x,CB2 1AA,198001,,0,E01017943,E07000008\nx,cb21aa,198001,,0,E01017943,E07000008\n",
    )
    with pytest.raises(SourceError, match="repeats postcodes"):
        read_postcode_directory(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot tell"):
        read_postcode_directory(tmp_path / "d.txt")
    with pytest.raises(SourceError, match="not found"):
        read_postcode_directory(tmp_path / "absent.csv")
    with pytest.raises(SourceError, match="unknown postcode directory format"):
        read_postcode_directory(tmp_path / "d.csv", fmt="xlsx")
    garbage = tmp_path / "g.parquet"
    garbage.write_bytes(b"not parquet")
    with pytest.raises(SourceError, match="cannot be read"):
        read_postcode_directory(garbage)
