"""S8: research output from an SDE (domain/rules.md §i).

A table by ten-year age band with a cell of 6 and another of 12 under the ``opensafely``
profile: the 6 is redacted, every count rounded to the nearest 5, and the total recomputed from
the published cells (marked partial). Two independent reviewers must approve before release
(never the requester, never one person twice); the release is in the ledger and in the public
register, naming the table, its recipient and its profile.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.ledger.events import ReleaseReviewed, TableReleased
from accord.model.examples import example_counts_agreement
from accord.service import agreements, releases, runs, users
from accord.service.register import register_rows
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

AGREEMENT_ID = "urn:accord:agreement:s8-sde-output"
GREENWICH = "gss:E09000011"
PASSWORD = "correct horse battery staple"
# Born so that, on the agreement's day in 2026, they are in their 30s, 50s and 70s.
BANDS = {"1990-06-01": 6, "1970-06-01": 12, "1950-06-01": 30}


def test_s8_small_cell_redacted_rounded_two_reviewers_and_logged(tmp_path: Path) -> None:
    a = example_counts_agreement(AGREEMENT_ID)
    assert a.incident is not None
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(a.incident.declared_at))
    with ws:
        agreements.create(ws, a)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, a.id, target)
        for email, roles in (
            ("analyst@nhs.example", ["requester", "dpo"]),
            ("checker1@nhs.example", ["dpo"]),
            ("checker2@nhs.example", ["caldicott_guardian"]),
        ):
            users.add_user(ws, email, email.split("@")[0], "ods:X26", roles, PASSWORD)
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=2_000, seed=8)
        codes = pq.read_table(directory, columns=["pcds", "laua"])
        postcode = pc.filter(codes["pcds"], pc.equal(codes["laua"], "E09000011"))[0].as_py()
        pool = tmp_path / "pool.parquet"
        write_population(pool, rows=sum(BANDS.values()), seed=8, postcode_directory=directory)
        people = pq.read_table(pool)
        births = [day for day, n in BANDS.items() for _ in range(n)]
        for name, column in (
            ("postcode", pa.array([postcode] * people.num_rows)),
            ("date_of_birth", pc.cast(pa.array(births), people.schema.field("date_of_birth").type)),
        ):
            people = people.set_column(people.schema.get_field_index(name), name, column)
        source = tmp_path / "people.parquet"
        pq.write_table(people, source)
        analyst = users.user_by_email(ws, "analyst@nhs.example")
        result = runs.run(
            ws, a.id, source=source, geography=runs.load_geography(ws), requested_by=analyst
        )
        (held,) = [r for r in releases.list_releases(ws) if r.recipient == GREENWICH]
        view = releases.show(ws, held.delivery_id)
        cells = {r["date_of_birth"]: (r["count"], r["partial"]) for r in view.rows}
        assert cells == {
            "30-39": (None, False),  # 6 redacted
            "50-59": (10, False),  # 12 rounded to the nearest 5
            "70-79": (30, False),
            None: (40, True),  # 12 + 30 recomputed from the published cells, rounded
        }
        (why,) = view.disclosure["suppressed"]
        assert (why["row"], why["kind"]) == ("30-39", "primary")
        assert view.disclosure["profile"] == "opensafely"
        # Nobody but two independent reviewers releases it.
        with pytest.raises(NotPermitted, match="requested"):
            releases.review(ws, held.delivery_id, analyst, "approve")
        first = users.user_by_email(ws, "checker1@nhs.example")
        assert releases.review(ws, held.delivery_id, first, "approve").state == releases.PENDING
        with pytest.raises(NotPermitted, match="already reviewed"):
            releases.review(ws, held.delivery_id, first, "approve")
        second = users.user_by_email(ws, "checker2@nhs.example")
        assert releases.review(ws, held.delivery_id, second, "approve").state == "released"
        # Logged: two reviews and the release, in the ledger and the public register.
        logged = [e.event for e in ws.ledger.entries_for_agreement(a.id)]
        assert [e.decision for e in logged if isinstance(e, ReleaseReviewed)] == ["approve"] * 2
        (released,) = [e for e in logged if isinstance(e, TableReleased)]
        assert released.reviewers == ("checker1@nhs.example", "checker2@nhs.example")
        assert released.manifest_sha256 == result.delivery(held.flow_id).manifest_sha256
        rows = register_rows(ws, now=ws.clock.now() + timedelta(days=2))
        (entry,) = [r.as_dict() for r in rows if r.as_dict()["released_tables"]]
        day = ws.clock.now().date().isoformat()
        assert entry["released_tables"] == [
            f"{held.delivery_id} to {GREENWICH} under opensafely on {day}"
        ]
