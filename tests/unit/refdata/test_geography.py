"""Effective-dated geography: packaged data, abolished 2023 districts, 2025 recodes, postcodes."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.errors import ConfigError, InputError, NotFound
from accord.refdata import Geography

BEFORE_2023 = date(2023, 3, 31)
REORGANISED = date(2023, 4, 1)
BEFORE_2025 = date(2025, 3, 31)
RECODED = date(2025, 4, 1)

# pcds, dointr, doterm, lsoa21, laua: one row per behaviour under test.
ROWS = [
    ("CA1 1AA", "198001", None, "E01019078", "E07000026"),  # Allerdale LSOA, pre-2023 LAD code
    ("CA1 1AB", "198001", None, "E01019079", "E06000063"),  # Allerdale LSOA, 2023 code
    ("S70 1AA", "198001", None, "E01007317", "E08000038"),  # Barnsley, LAD 2025 code
    ("S1 1AA", "198001", None, "E01007823", "E08000019"),  # Sheffield, LAD 2024 code
    ("CB2 1AA", "198001", None, "E01017943", "E07000008"),  # Cambridge: two tiers
    ("TS24 7AA", "198001", "202003", "E01011949", "E06000001"),  # terminated March 2020
    ("TS24 7AB", "202306", None, "E01011950", "E06000001"),  # introduced June 2023
    ("TS24 7AD", "198001", None, "E01011949", "E09000011"),  # laua disagrees with the LSOA
    ("CF10 1AA", "198001", None, "W01001770", "W06000015"),  # Wales: not in English data
    ("BA5 1AA", "198001", None, "E01029018", "E06000066"),  # Mendip LSOA in Somerset
]


def _table(rows: list[tuple[str, str, str | None, str, str]]) -> pa.Table:
    names = ("pcds", "dointr", "doterm", "lsoa21", "laua")
    return pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})


@pytest.fixture(scope="module")
def geo(tmp_path_factory: pytest.TempPathFactory) -> Geography:
    path = tmp_path_factory.mktemp("geo") / "directory.parquet"
    pq.write_table(_table(ROWS), path)
    return Geography.load(path)


def test_packaged_files_are_complete_and_attributed() -> None:
    folder = resources.files("accord.refdata").joinpath("data", "geography")
    lines = {
        name: folder.joinpath(name).read_text(encoding="utf-8").count("\n")
        for name in (
            "local_authorities.csv",
            "lsoa21_to_lad.csv",
            "boundary_changes_2023.csv",
            "lad_code_changes_2025.csv",
        )
    }
    assert lines == {
        "local_authorities.csv": 297,
        "lsoa21_to_lad.csv": 33_756,
        "boundary_changes_2023.csv": 22,
        "lad_code_changes_2025.csv": 3,
    }
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in readme
    assert "Contains OS data © Crown copyright" in readme


def test_authorities_by_era() -> None:
    geo = Geography.load()
    now = geo.authorities()
    assert now.num_rows == 296
    assert len(set(now["utla_code"].to_pylist())) == 153
    assert now.column_names == [
        "lad_code",
        "lad_name",
        "lad_type",
        "utla_code",
        "utla_name",
        "region_code",
        "region_name",
    ]
    old = geo.authorities(BEFORE_2023)
    codes = set(old["lad_code"].to_pylist())
    assert old.num_rows == 296 - 4 + 17
    assert {"E07000026", "E07000246"} <= codes and "E06000063" not in codes
    assert len(set(old["utla_code"].to_pylist())) == 153 - 4 + 3
    new = set(geo.authorities(RECODED)["lad_code"].to_pylist())
    assert {"E08000038", "E08000039"} <= new and not {"E08000016", "E08000019"} & new
    assert geo.authorities(BEFORE_2025).equals(now)


def test_abolished_district_maps_to_successor_from_2023() -> None:
    geo = Geography.load()
    after = geo.authority("E07000026", on=REORGANISED)
    assert (after.lad_code, after.utla_code, after.lad_type) == (
        "E06000063",
        "E06000063",
        "unitary",
    )
    before = geo.authority("E07000026", on=BEFORE_2023)
    assert (before.lad_code, before.lad_name, before.utla_code, before.utla_name) == (
        "E07000026",
        "Allerdale",
        "E10000006",
        "Cumbria",
    )
    assert geo.authority("E07000031", on=BEFORE_2023).utla_code == "E10000006"
    assert geo.authority("E07000031", on=REORGANISED).lad_code == "E06000064"
    with pytest.raises(NotFound, match="did not exist"):
        geo.authority("E06000063", on=BEFORE_2023)


@pytest.mark.parametrize("code", ["E08000016", "E08000038"])
def test_barnsley_codes_follow_the_date_whichever_code_is_given(code: str) -> None:
    geo = Geography.load()
    assert geo.authority(code, on=BEFORE_2025).lad_code == "E08000016"
    recoded = geo.authority(code, on=RECODED)
    assert (recoded.lad_code, recoded.utla_code, recoded.lad_name) == (
        "E08000038",
        "E08000038",
        "Barnsley",
    )


def test_unknown_and_malformed_lad_codes() -> None:
    geo = Geography.load()
    with pytest.raises(NotFound):
        geo.authority("E07999999", on=REORGANISED)
    with pytest.raises(InputError):
        geo.authority("E1000000", on=REORGANISED)
    with pytest.raises(InputError):
        geo.authority("E10000003", on=REORGANISED)  # a county is not a LAD


def test_resolve_two_tier_area(geo: Geography) -> None:
    area = geo.resolve("cb21aa", on=REORGANISED)
    assert area is not None
    assert (area.postcode, area.lsoa21_code, area.lad_code, area.utla_code) == (
        "CB2 1AA",
        "E01017943",
        "E07000008",
        "E10000003",
    )
    assert (area.lad_name, area.utla_name, area.region_code) == (
        "Cambridge",
        "Cambridgeshire",
        "E12000006",
    )
    assert area.authority.lad_type == "non_metropolitan_district"


@pytest.mark.parametrize("postcode", ["CA1 1AA", "CA1 1AB"])
def test_resolve_reorganised_area_by_date(geo: Geography, postcode: str) -> None:
    before = geo.resolve(postcode, on=BEFORE_2023)
    after = geo.resolve(postcode, on=REORGANISED)
    assert before is not None and after is not None
    assert (before.lad_code, before.utla_code) == ("E07000026", "E10000006")
    assert (after.lad_code, after.utla_code) == ("E06000063", "E06000063")


def test_resolve_somerset_lsoa_to_its_old_district(geo: Geography) -> None:
    before = geo.resolve("BA5 1AA", on=BEFORE_2023)
    assert before is not None
    assert (before.lad_name, before.utla_code) == ("Mendip", "E10000027")


def test_resolve_2025_codes(geo: Geography) -> None:
    for postcode, old, new in (
        ("S70 1AA", "E08000016", "E08000038"),
        ("S1 1AA", "E08000019", "E08000039"),
    ):
        early, late = geo.resolve(postcode, on=BEFORE_2025), geo.resolve(postcode, on=RECODED)
        assert early is not None and late is not None
        assert (early.lad_code, early.utla_code) == (old, old)
        assert (late.lad_code, late.utla_code) == (new, new)


def test_terminated_and_new_postcodes(geo: Geography) -> None:
    assert geo.resolve("TS24 7AA", on=date(2020, 2, 29)) is not None
    assert geo.resolve("TS24 7AA", on=date(2020, 3, 1)) is None
    assert geo.resolve("TS24 7AB", on=date(2023, 5, 31)) is None
    assert geo.resolve("TS24 7AB", on=date(2023, 6, 1)) is not None


def test_unresolvable_rows_never_guess(geo: Geography) -> None:
    assert geo.resolve("TS24 7AD", on=REORGANISED) is None  # LSOA and laua disagree
    assert geo.resolve("CF10 1AA", on=REORGANISED) is None  # not English
    assert geo.resolve("ZZ1 1ZZ", on=REORGANISED) is None  # not in the directory
    assert geo.unresolvable_postcode_count == 2
    with pytest.raises(InputError):
        geo.resolve("not a postcode", on=REORGANISED)


def test_postcode_table_by_date(geo: Geography) -> None:
    table = geo.postcode_table(date(2025, 6, 1))
    assert table.column_names == ["postcode", "lsoa21", "lad_code", "utla_code"]
    rows = {r["postcode"]: r for r in table.to_pylist()}
    assert set(rows) == {
        "CA1 1AA",
        "CA1 1AB",
        "S70 1AA",
        "S1 1AA",
        "CB2 1AA",
        "TS24 7AB",
        "BA5 1AA",
    }
    assert rows["S1 1AA"]["lad_code"] == "E08000039"
    assert rows["CB2 1AA"]["utla_code"] == "E10000003"
    early = {r["postcode"]: r for r in geo.postcode_table(date(2020, 1, 1)).to_pylist()}
    assert "TS24 7AA" in early and "TS24 7AB" not in early
    assert early["CA1 1AB"]["lad_code"] == "E07000026"


def test_postcode_table_joins_in_duckdb(geo: Geography) -> None:
    from accord.refdata import postcode_normalise_sql

    routes = geo.postcode_table(REORGANISED)
    people = pa.table({"pc": ["cb2 1aa", "S11AA", "ZZ1 1ZZ", None, "TS24 7AD"]})
    con = duckdb.connect()
    con.register("routes", routes)
    con.register("people", people)
    got = con.execute(
        f"SELECT p.pc, r.utla_code FROM people p LEFT JOIN routes r "
        f"ON r.postcode = {postcode_normalise_sql('p.pc')} ORDER BY p.pc NULLS LAST"
    ).fetchall()
    assert got == [
        ("S11AA", "E08000019"),
        ("TS24 7AD", None),
        ("ZZ1 1ZZ", None),
        ("cb2 1aa", "E10000003"),
        (None, None),
    ]


def test_lsoa_lookups() -> None:
    geo = Geography.load()
    area = geo.resolve_lsoa("E01019078", on=BEFORE_2023)
    assert area is not None and area.lad_name == "Allerdale" and area.postcode is None
    assert geo.resolve_lsoa("E01999999", on=REORGANISED) is None
    table = geo.lsoa_table(RECODED)
    assert table.num_rows == 33_755
    assert len(set(table["utla_code"].to_pylist())) == 153


def test_resolve_needs_a_directory() -> None:
    with pytest.raises(ConfigError):
        Geography.load().resolve("CB2 1AA", on=REORGANISED)


def test_dates_must_be_dates(geo: Geography) -> None:
    with pytest.raises(InputError):
        geo.postcode_table("2024-01-01")  # type: ignore[arg-type]


def test_csv_and_parquet_give_the_same_lookups(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv

    csv_path = tmp_path / "d.csv"
    pacsv.write_csv(_table(ROWS), csv_path)
    parquet_path = tmp_path / "d.parquet"
    pq.write_table(_table(ROWS), parquet_path)
    on = date(2024, 1, 1)
    assert (
        Geography.load(csv_path)
        .postcode_table(on)
        .equals(Geography.load(parquet_path).postcode_table(on))
    )
