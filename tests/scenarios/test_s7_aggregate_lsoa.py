"""S7: aggregate publication by LSOA (domain/rules.md §i).

Weekly counts by LSOA published under ``nhs_secondary_care``: 0 stays 0, 1-7 withheld, 8 or
more rounded to the nearest 5, totals from the unrounded values. The first week's table (five
Greenwich LSOAs of 3, 12, 30, 40 and 50 residents) is released by two reviewers: the 3 is
withheld, and the 12 with it, or the total would give the 3 away. A second week's table of a
slightly different population (the 12 people of one LSOA gone) is safe alone (it withholds the
30 instead), but beside the first it gives the 3 away by subtraction (the second week's total
less the first week's 30, 40 and 50): the differencing check names the first table and the
approval is refused.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from accord.clock import FixedClock
from accord.disclosure import profile
from accord.errors import NotPermitted
from accord.model import Agreement, example_agreement
from accord.service import agreements, releases, runs, users
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

PASSWORD = "correct horse battery staple"
DISCLOSER, GREENWICH = "ods:X26", "gss:E09000011"
SIZES = (3, 12, 30, 40, 50)
PEOPLE = [
    ("req@nhs.example", ["requester"]),
    ("dpo@nhs.example", ["dpo"]),
    ("cg@nhs.example", ["caldicott_guardian"]),
]


def _by_lsoa() -> Agreement:
    doc = example_agreement().model_dump(mode="json")
    for f in doc["flows"]:
        f.update(
            identifiability="aggregate",
            projection=["postcode"],
            transforms=[{"op": "postcode_to", "field": "postcode", "level": "lsoa"}],
            aggregate={"group_by": ["postcode"], "profile": "nhs_secondary_care"},
        )
    return Agreement.model_validate(doc)


def _greenwich(ws: Workspace, run_id: str) -> str:
    (held,) = [
        r for r in releases.list_releases(ws) if r.recipient == GREENWICH and r.run_id == run_id
    ]
    return held.delivery_id


def _week1(ws: Workspace, tmp_path: Path, seed: int) -> tuple[Path, list[str]]:
    """Residents of five Greenwich LSOAs, :data:`SIZES` of them; and the LSOAs."""
    directory = runs.postcode_directory(ws)
    write_postcode_directory(directory, postcodes=3_000, seed=seed)
    pool = tmp_path / "pool.parquet"
    write_population(pool, rows=sum(SIZES), seed=seed, postcode_directory=directory)
    codes = pq.read_table(directory, columns=["pcds", "lsoa21", "laua"])
    greenwich = codes.filter(pc.equal(codes["laua"], GREENWICH.split(":")[1]))
    lsoas = sorted(set(greenwich["lsoa21"].to_pylist()))[: len(SIZES)]
    first_postcode = {}
    for row in greenwich.to_pylist():
        first_postcode.setdefault(row["lsoa21"], row["pcds"])
    postcodes = [
        first_postcode[lsoa] for lsoa, n in zip(lsoas, SIZES, strict=True) for _ in range(n)
    ]
    people = pq.read_table(pool)
    people = people.set_column(
        people.schema.get_field_index("postcode"), "postcode", pa.array(postcodes)
    )
    path = tmp_path / "week1.parquet"
    pq.write_table(people, path)
    return path, lsoas


def _approve(ws: Workspace, delivery_id: str) -> releases.Release:
    for email in ("dpo@nhs.example", "cg@nhs.example"):
        done = releases.review(ws, delivery_id, users.user_by_email(ws, email), "approve")
    return done


@pytest.fixture
def ws(tmp_path: Path):
    a = _by_lsoa()
    assert a.incident is not None
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as opened:
        agreements.create(opened, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(opened, a.id, target)
        for email, roles in PEOPLE:
            users.add_user(opened, email, email.split("@")[0], DISCLOSER, roles, PASSWORD)
        yield opened


def test_s7_a_second_release_that_differences_a_suppressed_cell_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    a = _by_lsoa()
    week1, lsoas = _week1(ws, tmp_path, seed=7)
    requester = users.user_by_email(ws, "req@nhs.example")
    geography = runs.load_geography(ws)
    first = runs.run(ws, a.id, source=week1, geography=geography, requested_by=requester)
    table1 = _greenwich(ws, first.run_id)
    view1 = releases.show(ws, table1)
    # The NHS secondary care rule on the first week's table.
    nhs = profile("nhs_secondary_care")
    published = [r["count"] for r in view1.rows if not r["suppressed"]]
    assert published and all(v == 0 or (v >= 8 and v % 5 == 0) for v in published)
    withheld = {s["row"]: s["kind"] for s in view1.disclosure["suppressed"]}
    assert withheld == {lsoas[0]: "primary", lsoas[1]: "secondary"}
    assert nhs.rule() in view1.disclosure["suppressed"][0]["rule"]
    total = [r["count"] for r in view1.rows if r["is_total"]]
    assert total == [nhs.rounded(sum(SIZES))]
    assert view1.differencing == ()  # nothing released before it
    assert _approve(ws, table1).state == releases.RELEASED

    # Week two: the people of the LSOA withheld only to protect another are gone.
    gone = lsoas[1]
    lsoa_of = pq.read_table(runs.postcode_directory(ws), columns=["pcds", "lsoa21"])
    postcodes = pc.filter(lsoa_of["pcds"], pc.equal(lsoa_of["lsoa21"], gone))
    people = pq.read_table(week1)
    week2 = tmp_path / "week2.parquet"
    pq.write_table(people.filter(pc.invert(pc.is_in(people["postcode"], postcodes))), week2)
    second = runs.run(ws, a.id, source=week2, geography=geography, requested_by=requester)
    table2 = _greenwich(ws, second.run_id)
    view2 = releases.show(ws, table2)
    assert {r["postcode"] for r in view2.rows} == {r["postcode"] for r in view1.rows} - {gone}
    # Safe alone (its own suppression holds), but not beside the first week's table.
    withheld2 = {s["row"]: s["kind"] for s in view2.disclosure["suppressed"]}
    assert withheld2 == {lsoas[0]: "primary", lsoas[2]: "secondary"}
    # The 3 (withheld in both weeks) and the first week's 12 can now be worked out.
    assert [(f.table, f.cell) for f in view2.differencing] == [
        (table2, (lsoas[0],)),
        (table1, (lsoas[1],)),
    ]
    assert all(f.earlier == (table1,) for f in view2.differencing)
    assert any(f.line().startswith(table1) for f in view2.differencing)
    assert view2.as_dict()["differencing"][0]["why"]
    with pytest.raises(NotPermitted, match="subtraction") as err:
        releases.review(ws, table2, users.user_by_email(ws, "dpo@nhs.example"), "approve")
    assert all(p.where == "differencing" and table1 in p.reason for p in err.value.problems)
    # A reviewer can still withhold it for good, saying why.
    cg = users.user_by_email(ws, "cg@nhs.example")
    done = releases.review(ws, table2, cg, "reject", "differences week 1's table")
    assert done.state == releases.WITHHELD


def test_s7_the_same_table_released_again_differences_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    a = _by_lsoa()
    people, _ = _week1(ws, tmp_path, seed=8)
    requester = users.user_by_email(ws, "req@nhs.example")
    geography = runs.load_geography(ws)
    first = runs.run(ws, a.id, source=people, geography=geography, requested_by=requester)
    _approve(ws, _greenwich(ws, first.run_id))
    copy = tmp_path / "again.parquet"  # the same people in another order: a new run
    table = pq.read_table(people)
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), copy)
    again = runs.run(ws, a.id, source=copy, geography=geography, requested_by=requester)
    table = _greenwich(ws, again.run_id)
    assert releases.show(ws, table).differencing == ()
    assert _approve(ws, table).state == releases.RELEASED


KENT, MAIDSTONE, ASHFORD = "E10000016", "E07000110", "E07000105"


def _county_and_district() -> Agreement:
    """S7 by LSOA to Kent (its whole county) and to Maidstone (one of its districts)."""
    doc = _by_lsoa().model_dump(mode="json")
    template = doc["parties"][1]
    doc["parties"] = [
        doc["parties"][0],
        {**template, "org_id": f"gss:{KENT}", "name": "Kent", "org_type": "la_county"},
        {**template, "org_id": f"gss:{MAIDSTONE}", "name": "Maidstone", "org_type": "la_district"},
    ]
    flow = doc["flows"][0]
    doc["flows"] = [
        {**flow, "id": "kent", "recipient": f"gss:{KENT}"},
        {
            **flow,
            "id": "maidstone",
            "recipient": f"gss:{MAIDSTONE}",
            "row_filter": "lad(postcode) == recipient.gss",
        },
    ]
    return Agreement.model_validate(doc)


def test_s7_a_districts_table_differences_its_countys(tmp_path: Path) -> None:
    a = _county_and_district()
    assert a.incident is not None
    with Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at)) as ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        for email, roles in PEOPLE:
            users.add_user(ws, email, email.split("@")[0], DISCLOSER, roles, PASSWORD)
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=3_000, seed=9)
        codes = pq.read_table(directory, columns=["pcds", "lsoa21", "laua"]).to_pylist()
        first: dict[tuple[str, str], str] = {}
        for row in codes:
            first.setdefault((row["laua"], row["lsoa21"]), row["pcds"])
        maidstone = sorted(k for k in first if k[0] == MAIDSTONE)[:3]
        ashford = sorted(k for k in first if k[0] == ASHFORD)[:2]
        # Maidstone: 3, 12, 20; Ashford (Kent, not Maidstone): 10, 40.
        sizes = dict(zip(maidstone + ashford, (3, 12, 20, 10, 40), strict=True))
        postcodes = [first[k] for k, n in sizes.items() for _ in range(n)]
        pool = tmp_path / "pool.parquet"
        write_population(pool, rows=len(postcodes), seed=9, postcode_directory=directory)
        people = pq.read_table(pool)
        people = people.set_column(
            people.schema.get_field_index("postcode"), "postcode", pa.array(postcodes)
        )
        source = tmp_path / "people.parquet"
        pq.write_table(people, source)
        requester = users.user_by_email(ws, "req@nhs.example")
        runs.run(ws, a.id, source=source, geography=runs.load_geography(ws), requested_by=requester)
        held = {r.flow_id: r.delivery_id for r in releases.list_releases(ws)}
        county = releases.show(ws, held["kent"])
        withheld = {s["row"]: s["kind"] for s in county.disclosure["suppressed"]}
        assert withheld == {maidstone[0][1]: "primary", ashford[0][1]: "secondary"}
        assert _approve(ws, held["kent"]).state == releases.RELEASED
        # Maidstone's table withholds its 3 and its 12; Kent's published the 12.
        district = releases.show(ws, held["maidstone"])
        assert {s["row"] for s in district.disclosure["suppressed"]} == {
            maidstone[0][1],
            maidstone[1][1],
        }
        assert [(f.table, f.cell, f.earlier) for f in district.differencing][0] == (
            held["maidstone"],
            (maidstone[0][1],),
            (held["kent"],),
        )
        with pytest.raises(NotPermitted, match="subtraction"):
            releases.review(
                ws, held["maidstone"], users.user_by_email(ws, "dpo@nhs.example"), "approve"
            )
