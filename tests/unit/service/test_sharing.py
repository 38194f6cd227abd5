"""The record of Delta Sharing access, on each store: one event per query, one per file link
however many requests are made under it, and what the discloser reads back."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.model import example_document, parse_agreement
from accord.service import agreements, runs, sharing, users
from accord.service.sharing_links import Link
from accord.synth import write_population, write_postcode_directory
from accord.workspace import Workspace

DOC = example_document()
DOC["dpia"]["due_by"] = "2026-04-01"
A = parse_agreement(DOC)
GREENWICH = "gss:E09000011"
TABLE = "spl-e09000011"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("data")
    directory, source = folder / "postcodes.parquet", folder / "people.parquet"
    write_postcode_directory(directory, postcodes=300, seed=7)
    write_population(source, rows=400, seed=7, postcode_directory=directory)
    return directory, source


def test_each_link_records_one_download_and_each_query_one_event(
    tmp_path: Path, database_url: str, data: tuple[Path, Path]
) -> None:
    assert A.incident is not None
    directory, source = data
    clock = FixedClock(A.incident.declared_at)
    with Workspace.init(tmp_path / "ws", database_url=database_url, clock=clock) as ws:
        shutil.copyfile(directory, runs.postcode_directory(ws))
        agreements.create(ws, A)
        for target in ("in_review", "approved", "active"):
            agreements.transition(ws, A.id, target)
        runs.run(ws, A.id, source=source, geography=runs.load_geography(ws))
        svc = users.add_user(ws, "svc@g.example", "Svc", GREENWICH, ["recipient_service"], "p" * 12)
        token = users.issue_token(ws, svc, "delta-sharing profile", timedelta(days=1))
        table = sharing.find_table(ws, GREENWICH, sharing.share_name(A.id), "deliveries", TABLE)
        sharing.record_query(ws, table, GREENWICH, token.id, "snapshot", 1, file_count=1)
        shown = table.versions[0].extract
        expires = int((clock.now() + timedelta(minutes=15)).timestamp())
        links = sharing.Links(ws, GREENWICH, token.id, expires)
        query = links.query(table, shown)
        link = Link(shown.file_id, GREENWICH, table.share, token.id, expires)
        for _ in range(3):  # a reader's range requests under one link
            assert sharing.open_file(ws, link, query["sig"]).path == shown.path
        names = [e.event.name for e in ws.ledger.entries_for_agreement(A.id)]
        assert names.count("sharing-queried") == 1
        assert names.count("sharing-file-downloaded") == 1
        # A fresh link (a later query) is another download.
        later = expires + 60
        fresh = Link(shown.file_id, GREENWICH, table.share, token.id, later)
        again = sharing.Links(ws, GREENWICH, token.id, later).query(table, shown)["sig"]
        sharing.open_file(ws, fresh, again)
        found = sharing.accesses(ws, A.id)
        assert [a.kind for a in found] == ["query", "download", "download"]
        assert found[1].detail == f"extract.parquet sha256:{shown.sha256}"
        assert sharing.accesses(ws, A.id, recipient="gss:E06000002") == []
        assert sharing.accesses(ws, A.id, until=clock.now() - timedelta(seconds=1)) == []
        # Another party's token under this party's link is refused.
        other = users.add_user(
            ws, "svc@m.example", "M", "gss:E06000002", ["recipient_service"], "p" * 12
        )
        theirs = users.issue_token(ws, other, "delta-sharing profile", timedelta(days=1))
        stolen = link._replace(token_id=theirs.id)
        sig = sharing.Links(ws, GREENWICH, theirs.id, expires).query(table, shown)["sig"]
        with pytest.raises(NotPermitted):
            sharing.open_file(ws, stolen, sig)
