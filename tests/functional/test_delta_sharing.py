"""Recipients pull their deliveries with the real ``delta-sharing`` client (Delta Sharing
protocol), from a real uvicorn server over a real SQLite workspace where the example agreement
is active and has run twice (a full delivery, then a daily delta).

The client is used exactly as a recipient would: a profile file, ``SharingClient`` and
``load_as_pandas``; nothing in it is patched.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import re
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import delta_sharing
import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import uvicorn
from delta_sharing.protocol import CdfOptions, DeltaSharingProfile, Table
from delta_sharing.rest_client import DataSharingRestClient
from requests.exceptions import HTTPError

from accord.cli import main
from accord.clock import FixedClock
from accord.engine import RunResult
from accord.errors import UnsupportedClause
from accord.law import Findings
from accord.server.app import create_app
from accord.server.sharing.schema import delta_type, schema_string
from accord.service import agreements as agreement_service
from accord.service import lifecycle, retention, runs, users
from accord.synth import DailyChanges, write_delta, write_population, write_postcode_directory
from accord.workspace import Workspace

AGREEMENT_ID = "urn:accord:agreement:example-shielding"
SHARE = "urn_accord_agreement_example-shielding"
GREENWICH, MIDDLESBROUGH = "gss:E09000011", "gss:E06000002"
OWN_TABLE, OTHER_TABLE = "spl-e09000011", "spl-e06000002"
SERVICE = "svc@greenwich.example"  # recipient_service of Greenwich
OTHER_PERSON, OUTSIDER = "siro@middlesbrough.example", "siro@birmingham.example"
DAY0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
DAY1 = DAY0 + timedelta(days=1)
ROWS, POSTCODES, SEED = 12_000, 3_000, 3
PASSWORD = "correct horse battery staple"  # the functional conftest's


DAILY = DailyChanges(add_share=0.05, remove_share=0.05, move_share=0.02)


@dataclass
class World:
    """A workspace folder after two runs, and what they delivered."""

    root: Path
    day0: RunResult
    day1: RunResult


@pytest.fixture(scope="module")
def world(template_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("sharing")
    root = folder / "ws"
    shutil.copytree(template_workspace, root)
    clock = FixedClock(DAY0)
    with Workspace.open(root, clock=clock) as ws:
        for state in ("in_review", "approved", "active"):
            agreement_service.transition(ws, AGREEMENT_ID, state, actor="tests")
        directory = runs.postcode_directory(ws)
        write_postcode_directory(directory, postcodes=POSTCODES, seed=SEED)
        common = {"rows": ROWS, "seed": SEED, "postcode_directory": directory}
        write_population(folder / "day0.parquet", **common)
        write_delta(folder / "day1.parquet", day=1, changes=DAILY, **common)
        geography = runs.load_geography(ws)
        day0 = runs.run(ws, AGREEMENT_ID, source=folder / "day0.parquet", geography=geography)
        _edit_phones(folder / "day1.parquet", _extract(day0, OWN_TABLE)[:EDITED])
        clock.set(DAY1)
        day1 = runs.run(ws, AGREEMENT_ID, source=folder / "day1.parquet", geography=geography)
    return World(root, day0, day1)


EDITED = 4  # people of Greenwich's first delivery whose phone number changes the next day


def _edit_phones(source: Path, people: list[dict[str, Any]]) -> None:
    """Give ``people`` a new phone number in the source (the synthetic days only move them)."""
    table = pq.read_table(source)
    edited = pc.is_in(table["nhs_number"], pa.array([p["nhs_number"] for p in people]))
    phone = pc.if_else(edited, pa.scalar("07700 900999"), table["phone"])
    pq.write_table(table.set_column(table.schema.get_field_index("phone"), "phone", phone), source)


@dataclass
class LaterWorld:
    """The world after a third run, a day later."""

    root: Path
    days: tuple[RunResult, ...]


@pytest.fixture(scope="module")
def later_world(world: World, tmp_path_factory: pytest.TempPathFactory) -> LaterWorld:
    root = tmp_path_factory.mktemp("sharing-later") / "ws"
    shutil.copytree(world.root, root)
    with Workspace.open(root, clock=FixedClock(DAY1 + timedelta(days=1))) as ws:
        common = {"rows": ROWS, "seed": SEED, "postcode_directory": runs.postcode_directory(ws)}
        write_delta(root.parent / "day2.parquet", day=2, changes=DAILY, **common)
        geography = runs.load_geography(ws)
        day2 = runs.run(ws, AGREEMENT_ID, source=root.parent / "day2.parquet", geography=geography)
    return LaterWorld(root, (world.day0, world.day1, day2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    ws: Workspace
    clock: FixedClock
    endpoint: str
    folder: Path

    def profile(self, email: str = SERVICE, days: int = 30) -> str:
        """A profile file written by ``accord sharing profile``, as an operator would."""
        out = self.folder / f"{email}.share"
        argv = ["sharing", "profile", email, "--out", str(out), "--endpoint", self.endpoint]
        code = main(
            [*argv, "--days", str(days)], {"ACCORD_HOME": str(self.ws.root)}, clock=self.clock
        )
        assert code == 0
        return str(out)

    def bearer(self, email: str = SERVICE) -> dict[str, str]:
        token = json.loads(Path(self.profile(email)).read_text())["bearerToken"]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(world: World, tmp_path: Path) -> Iterator[Server]:
    with _serving(world.root, tmp_path, FixedClock(DAY1 + timedelta(hours=1))) as running:
        yield running


@pytest.fixture
def later_server(later_world: LaterWorld, tmp_path: Path) -> Iterator[Server]:
    clock = FixedClock(DAY1 + timedelta(days=1, hours=1))
    with _serving(later_world.root, tmp_path, clock) as running:
        yield running


@contextlib.contextmanager
def _serving(source: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Server]:
    """A real uvicorn server over a copy of the workspace at ``source``."""
    root = tmp_path / "ws"
    shutil.copytree(source, root)
    with Workspace.open(root, clock=clock) as ws:
        port = _free_port()
        config = uvicorn.Config(
            create_app(ws), host="127.0.0.1", port=port, log_level="warning", ws="none"
        )
        running = uvicorn.Server(config)
        thread = threading.Thread(target=running.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not running.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        try:
            yield Server(ws, clock, f"http://127.0.0.1:{port}/delta-sharing", tmp_path)
        finally:
            running.should_exit = True
            thread.join(timeout=10)


def _records(df: Any) -> list[dict[str, Any]]:
    return [{k: (None if v != v else v) for k, v in row.items()} for row in df.to_dict("records")]


def _extract(result: RunResult, flow: str, name: str = "extract.parquet") -> list[dict[str, Any]]:
    return pq.read_table(result.delivery(flow).directory / name).to_pylist()


def test_a_recipient_lists_only_its_own_tables(server: Server) -> None:
    tables = delta_sharing.SharingClient(server.profile()).list_all_tables()
    assert [(t.share, t.schema, t.name) for t in tables] == [(SHARE, "deliveries", OWN_TABLE)]
    other = delta_sharing.SharingClient(server.profile("siro@middlesbrough.example"))
    assert [t.name for t in other.list_all_tables()] == [OTHER_TABLE]
    # A party that receives nothing under the agreement sees no share at all.
    outsider = delta_sharing.SharingClient(server.profile("siro@birmingham.example"))
    assert outsider.list_shares() == [] and outsider.list_all_tables() == []


def test_load_as_pandas_returns_exactly_the_extract(server: Server, world: World) -> None:
    url = f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}"
    df = delta_sharing.load_as_pandas(url)
    extract = world.day1.delivery(OWN_TABLE).directory / "extract.parquet"
    expected = pq.read_table(extract)
    assert list(df.columns) == expected.schema.names
    assert len(df) == expected.num_rows > 20
    assert _records(df) == expected.to_pylist()
    # Every row is Greenwich's: none of Middlesbrough's people leak in.
    other = {r["nhs_number"] for r in _extract(world.day1, OTHER_TABLE)}
    assert other and not other & set(df["nhs_number"])


def test_versions_are_deliveries_and_history_can_be_read(server: Server, world: World) -> None:
    url = f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}"
    assert delta_sharing.get_table_version(url) == 2
    assert _records(delta_sharing.load_as_pandas(url, version=1)) == _extract(world.day0, OWN_TABLE)
    at_day0 = (DAY0 + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert _records(delta_sharing.load_as_pandas(url, timestamp=at_day0)) == _extract(
        world.day0, OWN_TABLE
    )
    metadata = delta_sharing.get_table_metadata(url)
    fields = json.loads(metadata.schema_string)["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("nhs_number", "string"),
        ("given_name", "string"),
        ("family_name", "string"),
        ("date_of_birth", "date"),
        ("postcode", "string"),
        ("phone", "string"),
    ]


CDF_COLUMNS = ["_change_type", "_commit_version", "_commit_timestamp"]


def _rows(records: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset (each row's values in column order)."""
    return Counter(tuple(r.values()) for r in records)


def _feed(df: Any, version: int, change: str) -> list[dict[str, Any]]:
    picked = df[(df["_commit_version"] == version) & (df["_change_type"] == change)]
    return _records(picked.drop(columns=CDF_COLUMNS))


def _applied(held: Counter[tuple[Any, ...]], df: Any, version: int) -> Counter[tuple[Any, ...]]:
    """What a reader holds once it applies the feed's rows for ``version``: every deleted row
    must be one it holds."""
    deleted = _rows(_feed(df, version, "delete"))
    assert not deleted - held, "a delete row the reader does not hold"
    return held - deleted + _rows(_feed(df, version, "insert"))


def test_the_change_feed_turns_version_1_into_version_2(server: Server, world: World) -> None:
    """Issue: the feed served a by-key delta's additions as inserts and its key-only removals
    as deletes, so an edited or moved person gained a row and kept the old one, and a removed
    person's delete row was null but for the key. The deletes are now the earlier rows, whole."""
    url = f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}"
    changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=2)
    delivery = world.day1.delivery(OWN_TABLE)
    delta = json.loads(delivery.manifest_path.read_bytes())["delta"]
    assert (delta["apply"], delta["key"], delta["since"]) == (
        "replace-by-key", "nhs_number", world.day0.run_id,
    )  # fmt: skip
    assert set(changes["_commit_version"]) == {2}
    before, after = _extract(world.day0, OWN_TABLE), _extract(world.day1, OWN_TABLE)
    inserted, deleted = _feed(changes, 2, "insert"), _feed(changes, 2, "delete")
    assert _rows(inserted) == _rows(_extract(world.day1, OWN_TABLE, "additions.parquet"))
    assert len(deleted) == delta["replaced"] > 0
    # Applying the feed to version 1 gives version 2 exactly, as a multiset of rows.
    assert _applied(_rows(before), changes, 2) == _rows(after)
    # The data has edited or moved people (deleted and inserted) and removed ones (deleted
    # only, in full: the rows they had).
    removed = {r["nhs_number"] for r in _extract(world.day1, OWN_TABLE, "removals.parquet")}
    edited = {r["nhs_number"] for r in deleted} & {r["nhs_number"] for r in inserted}
    assert removed and edited
    assert {r["phone"] for r in inserted if r["nhs_number"] in edited} == {"07700 900999"}
    had = [r for r in before if r["nhs_number"] in removed]
    assert _rows([r for r in deleted if r["nhs_number"] in removed]) == _rows(had)
    assert all(r["family_name"] is not None for r in had)
    first = delta_sharing.load_table_changes_as_pandas(url, starting_version=1, ending_version=1)
    assert set(first["_change_type"]) == {"insert"}
    assert len(first) == world.day0.delivery(OWN_TABLE).rows


def test_the_change_feed_replays_every_version_from_the_empty_table(
    later_server: Server, later_world: LaterWorld
) -> None:
    url = f"{later_server.profile()}#{SHARE}.deliveries.{OWN_TABLE}"
    assert delta_sharing.get_table_version(url) == 3
    changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=1)
    held: Counter[tuple[Any, ...]] = Counter()
    for version, result in enumerate(later_world.days, 1):
        delivery = result.delivery(OWN_TABLE)
        if version > 1:
            assert delivery.since_run == later_world.days[version - 2].run_id
        held = _applied(held, changes, version)
        assert held == _rows(_extract(result, OWN_TABLE)), version
    # The range 2..3 starts from version 1 and ends at the same rows.
    tail = delta_sharing.load_table_changes_as_pandas(url, starting_version=2, ending_version=3)
    start = _rows(_extract(later_world.days[0], OWN_TABLE))
    assert _applied(_applied(start, tail, 2), tail, 3) == held


def _derived(server: Server) -> list[Path]:
    return sorted((server.ws.root / "cache" / "sharing").rglob("*.parquet"))


def test_the_feeds_delete_rows_are_derived_once_and_served_as_a_recorded_file(
    server: Server, world: World
) -> None:
    headers = server.bearer()
    table = f"{server.endpoint}/shares/{SHARE}/schemas/deliveries/tables/{OWN_TABLE}"
    assert _derived(server) == []
    delivery = world.day1.delivery(OWN_TABLE)
    folder = server.ws.root / delivery.directory.relative_to(world.root)
    published = sorted(folder.rglob("*"))
    got = httpx.get(f"{table}/changes", params={"startingVersion": 2}, headers=headers)
    assert got.status_code == 200, got.text
    (add, remove) = [json.loads(line) for line in got.text.splitlines()[2:]]
    (derived,) = _derived(server)
    made = derived.stat()
    assert remove["remove"]["size"] == made.st_size
    # A second query names the same file, and reads it back rather than deriving it again.
    again = httpx.get(f"{table}/changes", params={"startingVersion": 2}, headers=headers)
    assert json.loads(again.text.splitlines()[3])["remove"]["id"] == remove["remove"]["id"]
    assert _derived(server) == [derived]
    kept = derived.stat()
    assert (kept.st_ino, kept.st_mtime_ns) == (made.st_ino, made.st_mtime_ns)
    # Nothing is written into the published delivery's folder.
    assert sorted(folder.rglob("*")) == published
    manifest = json.loads((folder / "manifest.json").read_bytes())
    # The file is served by its signed link, and its download recorded like any other.
    served = httpx.get(remove["remove"]["url"])
    assert served.status_code == 200 and served.content == derived.read_bytes()
    rows = pq.read_table(derived)
    assert rows.schema == pq.read_schema(folder / "extract.parquet")
    assert rows.num_rows == manifest["delta"]["replaced"]
    (download,) = _events(server, "sharing-file-downloaded")
    assert (download.file, download.version) == ("replaced.parquet", 2)
    assert download.file_sha256 == hashlib.sha256(derived.read_bytes()).hexdigest()
    assert httpx.get(_with(remove["remove"]["url"], sig="A" * 43)).status_code == 403
    # The links stop with the flow, as the delivered files' do.
    retention.cease(server.ws, AGREEMENT_ID, party=GREENWICH, reason="the response has ended")
    refused = httpx.get(remove["remove"]["url"])
    assert refused.status_code == 403 and "has ended" in refused.json()["message"]


def test_another_partys_table_is_not_found(server: Server) -> None:
    profile = server.profile()
    for target in (
        f"{SHARE}.deliveries.{OTHER_TABLE}",
        f"no_such_share.deliveries.{OWN_TABLE}",
        f"{SHARE}.other_schema.{OWN_TABLE}",
    ):
        with pytest.raises(HTTPError) as caught:
            delta_sharing.load_as_pandas(f"{profile}#{target}")
        assert caught.value.response.status_code == 404
        assert caught.value.response.json()["errorCode"] == "RESOURCE_DOES_NOT_EXIST"
    # The same answer over plain HTTP, with nothing that hints the table exists.
    response = httpx.post(
        f"{server.endpoint}/shares/{SHARE}/schemas/deliveries/tables/{OTHER_TABLE}/query",
        json={},
        headers=server.bearer(),
    )
    assert response.status_code == 404
    assert OTHER_TABLE in response.json()["message"] and "E06000002" not in response.text


def test_an_expired_or_missing_token_is_refused(server: Server) -> None:
    profile = server.profile(days=1)
    assert len(delta_sharing.SharingClient(profile).list_shares()) == 1
    server.clock.advance(timedelta(days=2))
    with pytest.raises(HTTPError) as caught:
        delta_sharing.SharingClient(profile).list_shares()
    assert caught.value.response.status_code == 401
    body = httpx.get(f"{server.endpoint}/shares").json()
    assert body["errorCode"] == "UNAUTHENTICATED"


def _file_url(server: Server, headers: dict[str, str] | None = None) -> str:
    response = httpx.post(
        f"{server.endpoint}/shares/{SHARE}/schemas/deliveries/tables/{OWN_TABLE}/query",
        json={},
        headers=headers or server.bearer(),
    )
    assert response.status_code == 200
    assert response.headers["delta-table-version"] == "2"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [next(iter(line)) for line in lines] == ["protocol", "metaData", "file"]
    url: str = lines[2]["file"]["url"]
    assert url.startswith(f"{server.endpoint}/files/")
    return url


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_file_urls_are_signed_bound_to_the_party_and_expire(server: Server, world: World) -> None:
    url = _file_url(server)
    extract = world.day1.delivery(OWN_TABLE).directory / "extract.parquet"
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == extract.read_bytes()
    part = httpx.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"PAR1"
    file_id = urlsplit(url).path.rsplit("/", 1)[1]
    tampered = [
        _with(url, sig="A" + parse_qs(urlsplit(url).query)["sig"][0][1:]),
        _with(url, party=MIDDLESBROUGH),
        _with(url, exp=str(int(parse_qs(urlsplit(url).query)["exp"][0]) + 3600)),
        url.replace(file_id, file_id[::-1]),
        url.split("?")[0],
    ]
    for bad in tampered:
        response = httpx.get(bad)
        assert response.status_code == 403, bad
        assert response.json()["errorCode"] == "PERMISSION_DENIED"
    server.clock.advance(timedelta(minutes=16))
    expired = httpx.get(url)
    assert expired.status_code == 403 and "expired" in expired.json()["message"]


def test_suspending_the_agreement_stops_everything_and_says_why(server: Server) -> None:
    profile = server.profile()
    url = _file_url(server)
    agreement_service.transition(
        server.ws, AGREEMENT_ID, "suspended", actor="tests", reason="dispute 7 narrowed the flow"
    )
    client = delta_sharing.SharingClient(profile)
    assert client.list_shares() == [] and client.list_all_tables() == []
    with pytest.raises(HTTPError) as caught:
        delta_sharing.load_as_pandas(f"{profile}#{SHARE}.deliveries.{OWN_TABLE}")
    assert caught.value.response.status_code == 403
    message = caught.value.response.json()["message"]
    assert "suspended since 2026-03-21T10:00:00" in message
    assert "dispute 7 narrowed the flow" in message
    # A link handed out before the suspension no longer serves the file, and says why.
    refused = httpx.get(url)
    assert refused.status_code == 403 and "is suspended" in refused.json()["message"]
    # Another party is not told the agreement exists.
    other = httpx.get(f"{server.endpoint}/shares/{SHARE}", headers=server.bearer(OTHER_PERSON))
    assert other.status_code == 403  # Middlesbrough is a recipient of the same agreement
    outsider = httpx.get(f"{server.endpoint}/shares/{SHARE}", headers=server.bearer(OUTSIDER))
    assert outsider.status_code == 404 and "suspended" not in outsider.text


def test_ending_sharing_with_a_recipient_stops_its_tables_and_links(server: Server) -> None:
    url = _file_url(server)
    other = server.profile(OTHER_PERSON)
    retention.cease(server.ws, AGREEMENT_ID, party=GREENWICH, reason="the response has ended")
    with pytest.raises(HTTPError) as caught:
        delta_sharing.load_as_pandas(f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}")
    assert caught.value.response.status_code == 403
    assert "has ended" in caught.value.response.json()["message"]
    refused = httpx.get(url)
    assert refused.status_code == 403 and "has ended" in refused.json()["message"]
    # Middlesbrough, still sharing, reads its own table as before.
    assert len(delta_sharing.load_as_pandas(f"{other}#{SHARE}.deliveries.{OTHER_TABLE}")) > 0


def test_a_flow_the_sweep_suspends_is_refused_until_it_resumes(server: Server) -> None:
    """The sweep's re-check suspends one flow (here: Greenwich's DSPT lapsed); its table and
    links are refused, saying why, and served again once the flow resumes."""
    url = _file_url(server)
    active = agreement_service.active_version(server.ws, AGREEMENT_ID)
    reason = "Greenwich's DSPT status lapsed"
    block = lifecycle.Block("dspt", reason, (OWN_TABLE,), (GREENWICH,))
    now = server.clock.now()
    lifecycle.reconcile(server.ws, active, lifecycle.Recheck(Findings(), (block,)), now)
    refused = httpx.get(url)
    assert refused.status_code == 403 and reason in refused.json()["message"]
    with pytest.raises(HTTPError) as caught:
        delta_sharing.load_as_pandas(f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}")
    assert "suspended" in caught.value.response.json()["message"]
    lifecycle.reconcile(server.ws, active, lifecycle.Recheck(Findings(), ()), now)
    assert httpx.get(url).status_code == 200


def test_revoking_a_profile_stops_its_token_and_its_links_at_once(server: Server) -> None:
    profile = server.profile()
    token = json.loads(Path(profile).read_text())["bearerToken"]
    url = _file_url(server, {"Authorization": f"Bearer {token}"})
    assert httpx.get(url).status_code == 200
    users.revoke_token(server.ws, token.partition(".")[0])
    refused = httpx.get(url)
    assert refused.status_code == 403 and "revoked" in refused.json()["message"]
    with pytest.raises(HTTPError) as caught:
        delta_sharing.SharingClient(profile).list_shares()
    assert caught.value.response.status_code == 401


def test_a_link_is_bound_to_the_token_and_party_it_was_issued_to(server: Server) -> None:
    url = _file_url(server)
    other_token = server.bearer(OTHER_PERSON)["Authorization"].split()[1].partition(".")[0]
    for bad in (_with(url, tok=other_token), _with(url, share="another_share")):
        response = httpx.get(bad)
        assert response.status_code == 403, bad


def _events(server: Server, name: str) -> list[Any]:
    return [
        e.event
        for e in server.ws.ledger.entries_for_agreement(AGREEMENT_ID)
        if e.event.name == name
    ]


def test_every_query_and_download_is_one_ledger_event(server: Server, world: World) -> None:
    profile = server.profile()
    token_id = json.loads(Path(profile).read_text())["bearerToken"].partition(".")[0]
    url = f"{profile}#{SHARE}.deliveries.{OWN_TABLE}"
    before = server.ws.ledger.size()
    delta_sharing.load_as_pandas(url)
    delta_sharing.load_table_changes_as_pandas(url, starting_version=1)
    (snapshot, feed) = _events(server, "sharing-queried")
    assert (snapshot.recipient, snapshot.table, snapshot.query, snapshot.version) == (
        GREENWICH, OWN_TABLE, "snapshot", 2,
    )  # fmt: skip
    assert snapshot.file_count == 1 and snapshot.token_id == token_id
    assert (feed.query, feed.version, feed.ending_version, feed.file_count) == ("changes", 1, 2, 3)
    downloads = _events(server, "sharing-file-downloaded")
    # The reader's many range requests under one link are one download each.
    assert len(downloads) == 4 and server.ws.ledger.size() == before + 6
    manifest = json.loads(world.day1.delivery(OWN_TABLE).manifest_path.read_bytes())
    first = downloads[0]
    assert (first.file, first.version) == ("extract.parquet", 2)
    assert first.file_sha256 == manifest["files"]["extract.parquet"]
    # No row value in any access event.
    rows = _extract(world.day1, OWN_TABLE)
    text = json.dumps([e.to_payload() for e in _events(server, "sharing-queried") + downloads])
    assert not any(r["nhs_number"] in text or r["family_name"] in text for r in rows[:50])
    # The discloser's operator sees them per recipient, up to --at.
    home = {"ACCORD_HOME": str(server.ws.root)}
    out = _cli(["sharing", "accesses", AGREEMENT_ID, "--json"], home, server.clock)
    assert [(a["recipient"], a["kind"]) for a in out] == [(GREENWICH, "query")] + [
        (GREENWICH, "download")
    ] + [(GREENWICH, "query")] + [(GREENWICH, "download")] * 3
    earlier = (DAY1 - timedelta(days=1)).isoformat()
    assert (
        _cli(["sharing", "accesses", AGREEMENT_ID, "--json", "--at", earlier], home, server.clock)
        == []
    )
    assert (
        _cli(
            ["sharing", "accesses", AGREEMENT_ID, "--json", "--recipient", MIDDLESBROUGH],
            home,
            server.clock,
        )
        == []
    )


def _cli(argv: list[str], environ: dict[str, str], clock: FixedClock) -> Any:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv, environ, clock=clock) == 0
    return json.loads(buffer.getvalue())


def test_a_streaming_query_reads_the_tables_log_by_version(server: Server, world: World) -> None:
    headers = server.bearer()
    table = f"{server.endpoint}/shares/{SHARE}/schemas/deliveries/tables/{OWN_TABLE}"
    got = httpx.post(f"{table}/query", json={"startingVersion": 1}, headers=headers)
    assert got.status_code == 200 and got.headers["delta-table-version"] == "1"
    lines = [json.loads(line) for line in got.text.splitlines()][2:]
    steps = [(next(iter(line)), line[next(iter(line))]["version"]) for line in lines]
    assert steps == [("add", 1), ("remove", 2), ("add", 2)]
    assert lines[1]["remove"]["id"] == lines[0]["add"]["id"]  # version 2 replaces version 1
    only_two = httpx.post(
        f"{table}/query", json={"startingVersion": 2, "endingVersion": 2}, headers=headers
    )
    assert len(only_two.text.splitlines()) == 4


def test_long_reads_refresh_their_links_and_page_through_files(server: Server) -> None:
    headers = server.bearer()
    table = f"{server.endpoint}/shares/{SHARE}/schemas/deliveries/tables/{OWN_TABLE}"
    first = httpx.post(f"{table}/query", json={"includeRefreshToken": True}, headers=headers)
    assert "includeendstreamaction=true" in first.headers["delta-sharing-capabilities"]
    lines = [json.loads(line) for line in first.text.splitlines()]
    end = lines[-1]["endStreamAction"]
    old_url = lines[2]["file"]["url"]
    assert end["minUrlExpirationTimestamp"] == lines[2]["file"]["expirationTimestamp"]
    # Near the end of its links' lifetime, a long read asks for fresh links to version 2.
    server.clock.advance(timedelta(minutes=14))
    refreshed = httpx.post(
        f"{table}/query", json={"refreshToken": end["refreshToken"]}, headers=headers
    )
    again = [json.loads(line) for line in refreshed.text.splitlines()]
    assert refreshed.headers["delta-table-version"] == "2"
    assert again[2]["file"]["id"] == lines[2]["file"]["id"]
    assert again[2]["file"]["url"] != old_url
    server.clock.advance(timedelta(minutes=2))
    assert httpx.get(old_url).status_code == 403  # the old link expired
    assert httpx.get(again[2]["file"]["url"]).status_code == 200
    bad = httpx.post(f"{table}/query", json={"refreshToken": "x:2"}, headers=headers)
    assert bad.status_code == 400
    # maxFiles pages a range one file at a time, each page naming the next.
    seen, token = [], None
    while True:
        body: dict[str, Any] = {"startingVersion": 1, "maxFiles": 1}
        if token:
            body["pageToken"] = token
        page = [
            json.loads(x)
            for x in httpx.post(f"{table}/query", json=body, headers=headers).text.splitlines()
        ]
        seen += [next(iter(line)) for line in page[2:-1]]
        token = page[-1]["endStreamAction"].get("nextPageToken")
        if token is None:
            break
    assert seen == ["add", "remove", "add"]
    wrong = httpx.post(
        f"{table}/query", json={"startingVersion": 2, "maxFiles": 1, "pageToken": "v2@1"},
        headers=headers,
    )  # fmt: skip
    assert wrong.status_code == 400
    queried = _events(server, "sharing-queried")
    # One event per query: the paged query once, the refused ones not at all.
    assert [e.query for e in queried] == ["snapshot", "snapshot", "stream"]


def _rest(profile: str) -> DataSharingRestClient:
    return DataSharingRestClient(DeltaSharingProfile.read_from_file(profile))


def test_the_delta_response_format_when_the_client_asks_for_it(
    server: Server, world: World
) -> None:
    """``responseformat=delta`` gets Delta actions (the client's own REST layer asks for it).

    The client's kernel reader (delta-kernel-rust-sharing-wrapper 0.3.3) opens each ``add``
    path through the object store of its local temporary table, so it can only read files on
    its own disk; the test checks the actions and fetches the files the way any Delta reader
    would, over their links.
    """
    rest = _rest(server.profile())
    table = Table(OWN_TABLE, SHARE, "deliveries")
    rest.set_delta_format_header()
    files = rest.list_files_in_table(table)
    lines = [json.loads(line) for line in files.lines]
    assert files.delta_table_version == 2
    assert lines[0] == {
        "protocol": {"deltaProtocol": {"minReaderVersion": 1, "minWriterVersion": 4}}
    }
    meta = lines[1]["metaData"]["deltaMetadata"]
    assert json.loads(meta["schemaString"])["fields"][0]["name"] == "nhs_number"
    assert meta["configuration"] == {"delta.enableChangeDataFeed": "true"}
    (add,) = [line["file"]["deltaSingleAction"]["add"] for line in lines[2:]]
    extract = world.day1.delivery(OWN_TABLE).directory / "extract.parquet"
    assert add["size"] == extract.stat().st_size and add["dataChange"] is True
    assert httpx.get(add["path"]).content == extract.read_bytes()
    cdf = rest.list_table_changes(table, CdfOptions(starting_version=2))
    actions = [json.loads(line) for line in cdf.lines[2:]]
    assert [next(iter(a["file"]["deltaSingleAction"])) for a in actions] == ["add", "remove"]
    assert {a["file"]["version"] for a in actions} == {2}
    # Offered both formats, the server answers in parquet: these tables need nothing more.
    rest.remove_delta_format_header()
    assert rest.autoresolve_query_format(table) == "parquet"


def test_a_new_agreement_version_starts_a_new_history(server: Server) -> None:
    """Extracts delivered under version 1.0.0 are not served once 1.1.0 is the active version."""
    profile = server.profile()
    before = delta_sharing.SharingClient(profile).list_all_tables()
    current = agreement_service.get(server.ws, AGREEMENT_ID).agreement
    agreement_service.amend(
        server.ws, current.model_copy(update={"version": "1.1.0", "benefits": "more"})
    )
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(server.ws, AGREEMENT_ID, state, seq=2, actor="tests")
    assert [t.name for t in before] == [OWN_TABLE]
    assert delta_sharing.SharingClient(profile).list_all_tables() == []


def test_a_manifest_that_does_not_match_the_ledger_is_not_served(
    server: Server, world: World
) -> None:
    manifest = server.ws.root / world.day1.delivery(OWN_TABLE).manifest_path.relative_to(world.root)
    manifest.write_bytes(manifest.read_bytes().replace(b'"rows":', b'"rows": '))
    url = f"{server.profile()}#{SHARE}.deliveries.{OWN_TABLE}"
    with pytest.raises(HTTPError) as caught:
        delta_sharing.load_as_pandas(url)
    assert caught.value.response.status_code == 422
    assert "does not match the ledger" in caught.value.response.json()["message"]


def test_protocol_edges_over_plain_http(server: Server) -> None:
    headers = server.bearer()
    base = server.endpoint
    page = httpx.get(f"{base}/shares", params={"maxResults": 0}, headers=headers).json()
    assert page == {"items": [], "nextPageToken": "0"}
    page = httpx.get(f"{base}/shares", params={"maxResults": 1}, headers=headers).json()
    assert [s["name"] for s in page["items"]] == [SHARE] and "nextPageToken" not in page
    share = httpx.get(f"{base}/shares/{SHARE.upper()}", headers=headers).json()
    assert share["share"]["name"] == SHARE  # names are case-insensitive
    table = f"{base}/shares/{SHARE}/schemas/deliveries/tables/{OWN_TABLE}"
    assert httpx.head(table, headers=headers).headers["delta-table-version"] == "2"
    day1 = DAY1.isoformat().replace("+00:00", "Z")
    since = httpx.get(f"{table}/version", params={"startingTimestamp": day1}, headers=headers)
    assert since.headers["delta-table-version"] == "2"
    bad = httpx.get(f"{base}/shares", params={"pageToken": "x"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["errorCode"] == "INVALID_PARAMETER_VALUE"
    both = httpx.post(f"{table}/query", json={"version": 1, "timestamp": day1}, headers=headers)
    assert both.status_code == 400 and "not both" in both.json()["message"]
    missing = httpx.get(f"{base}/no/such/endpoint", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "RESOURCE_DOES_NOT_EXIST"


def test_a_recipient_acknowledges_a_manifest_with_a_signed_receipt(
    server: Server, world: World
) -> None:
    delivery = world.day1.delivery(OWN_TABLE)
    url = f"{server.endpoint.removesuffix('/delta-sharing')}/api/deliveries/"
    url += f"{world.day1.run_id}/{OWN_TABLE}/receipt"
    body = {"manifest_sha256": delivery.manifest_sha256}
    wrong = httpx.post(url, json={"manifest_sha256": "0" * 64}, headers=server.bearer())
    assert wrong.status_code == 422 and not wrong.json()["ok"]
    other = httpx.post(url, json=body, headers=server.bearer("siro@middlesbrough.example"))
    assert other.status_code == 404
    before = server.ws.ledger.size()
    first = httpx.post(url, json=body, headers=server.bearer())
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert receipt["new"] and receipt["recipient"] == GREENWICH and receipt["unstable"]
    assert server.ws.ledger.size() == before + 1
    (entry,) = [
        e
        for e in server.ws.ledger.entries_for_agreement(AGREEMENT_ID)
        if e.event_id == receipt["event_id"]
    ]
    assert entry.event.name == "delivery-receipt"
    server.ws.keystore.public_keys().verify_event(entry.event)  # signed by Greenwich's key
    again = httpx.post(url, json=body, headers=server.bearer()).json()
    assert not again["new"] and again["event_id"] == receipt["event_id"]
    assert server.ws.ledger.size() == before + 1


def test_arrow_types_are_described_in_deltas_schema_language() -> None:
    schema = pa.schema(
        [
            pa.field("n", pa.int32(), nullable=False),
            pa.field("when", pa.timestamp("us", tz="UTC")),
            pa.field("amount", pa.decimal128(12, 2)),
            pa.field("codes", pa.list_(pa.string())),
            pa.field(
                "area",
                pa.struct([("lad", pa.string()), ("utla", pa.dictionary(pa.int8(), pa.string()))]),
            ),
            pa.field("counts", pa.map_(pa.string(), pa.uint32())),
        ]
    )
    fields = json.loads(schema_string(schema))["fields"]
    assert [(f["name"], f["type"], f["nullable"]) for f in fields] == [
        ("n", "integer", False),
        ("when", "timestamp", True),
        ("amount", "decimal(12,2)", True),
        ("codes", {"type": "array", "elementType": "string", "containsNull": True}, True),
        (
            "area",
            {
                "type": "struct",
                "fields": [
                    {"name": "lad", "type": "string", "nullable": True, "metadata": {}},
                    {"name": "utla", "type": "string", "nullable": True, "metadata": {}},
                ],
            },
            True,
        ),
        (
            "counts",
            {"type": "map", "keyType": "string", "valueType": "long", "valueContainsNull": True},
            True,
        ),
    ]
    for unsupported in (pa.uint64(), pa.null(), pa.duration("s")):
        with pytest.raises(UnsupportedClause):
            delta_type(unsupported)


def test_a_bad_expiry_on_a_file_url_is_a_clear_403_not_a_500(server: Server) -> None:
    """Issue 22.8: a 5,000-digit or non-numeric ``exp`` was a 500 (int() refused it)."""
    url = _file_url(server)
    for exp in ("9" * 5000, "soon", "\u00b2", "-5", "1e9"):
        response = httpx.get(_with(url, exp=exp))
        assert response.status_code == 403, exp
        assert response.json()["errorCode"] == "PERMISSION_DENIED"


def test_a_real_deliverys_manifest_can_be_fetched_by_its_id(server: Server, world: World) -> None:
    """Issue 22.11: delivery ids contain '/', so the manifest route could never match."""
    listed = httpx.get(
        server.endpoint.replace("/delta-sharing", "/api/deliveries"), headers=server.bearer()
    )
    assert listed.status_code == 200
    ids = [d["id"] for d in listed.json()["deliveries"]]
    assert ids and all("/" in i for i in ids)
    base = server.endpoint.replace("/delta-sharing", "/api/deliveries")
    got = httpx.get(f"{base}/{ids[0]}/manifest", headers=server.bearer())
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["delivery"]["id"] == ids[0]
    assert body["manifest"], "the manifest is empty"
    missing = httpx.get(f"{base}/{ids[0]}x/manifest", headers=server.bearer())
    assert missing.status_code == 404


def test_a_pending_amendment_changes_nothing_a_recipient_sees_until_it_is_active(
    server: Server, world: World
) -> None:
    """Issue 12.1: shares, deliveries, manifests and receipts follow the version in force.

    The amendment drops Greenwich's flow. While it is drafted, reviewed and approved, Greenwich
    still pulls, lists, reads and acknowledges what it received under the active version; once
    the amendment is active, none of it is offered any more.
    """
    current = agreement_service.get(server.ws, AGREEMENT_ID).agreement
    flows = [f for f in current.flows if f.recipient != GREENWICH]
    agreement_service.amend(
        server.ws, current.model_copy(update={"version": "1.1.0", "flows": flows})
    )
    profile, headers = server.profile(), server.bearer()
    api = server.endpoint.replace("/delta-sharing", "/api/deliveries")
    delivery = world.day1.delivery(OWN_TABLE)
    receipt = f"{api}/{world.day1.run_id}/{OWN_TABLE}/receipt"
    ids = {f"{r.run_id}/{OWN_TABLE}" for r in (world.day0, world.day1)}
    for state in ("draft", "in_review", "approved"):
        if state != "draft":
            agreement_service.transition(server.ws, AGREEMENT_ID, state, seq=2, actor="tests")
        tables = delta_sharing.SharingClient(profile).list_all_tables()
        assert [t.name for t in tables] == [OWN_TABLE], state
        df = delta_sharing.load_as_pandas(f"{profile}#{SHARE}.deliveries.{OWN_TABLE}")
        assert len(df) == len(_extract(world.day1, OWN_TABLE)), state
        listed = httpx.get(api, headers=headers).json()["deliveries"]
        assert {d["id"] for d in listed} == ids, state
        got = httpx.get(f"{api}/{world.day1.run_id}/{OWN_TABLE}/manifest", headers=headers)
        assert got.status_code == 200, (state, got.text)
    acknowledged = httpx.post(
        receipt, json={"manifest_sha256": delivery.manifest_sha256}, headers=headers
    )
    assert acknowledged.status_code == 200, acknowledged.text
    agreement_service.transition(server.ws, AGREEMENT_ID, "active", seq=2, actor="tests")
    assert delta_sharing.SharingClient(profile).list_all_tables() == []
    assert httpx.get(api, headers=headers).json()["deliveries"] == []
    gone = httpx.get(f"{api}/{world.day0.run_id}/{OWN_TABLE}/manifest", headers=headers)
    assert gone.status_code == 404
    day0 = world.day0.delivery(OWN_TABLE)
    late = f"{api}/{world.day0.run_id}/{OWN_TABLE}/receipt"
    refused = httpx.post(late, json={"manifest_sha256": day0.manifest_sha256}, headers=headers)
    assert refused.status_code == 404
    # The discloser's staff still see the agreement's whole delivery history.
    staff = httpx.get(api, headers=server.bearer("siro@nhs.example")).json()["deliveries"]
    assert ids <= {d["id"] for d in staff}


@pytest.fixture
def sign_in(server: Server) -> Iterator[Callable[[str], httpx.Client]]:
    """Sign people in to the web app; their clients are closed after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda email: _signed_in(server, stack.enter_context(_client(server)), email)


def _client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.endpoint.removesuffix("/delta-sharing"))


def _signed_in(server: Server, client: httpx.Client, email: str) -> httpx.Client:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    assert client.post("/sign-in", data=form).status_code == 303
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_a_recipient_siro_issues_and_revokes_a_profile_in_the_web_app(
    server: Server, world: World, sign_in: Callable[[str], httpx.Client]
) -> None:
    siro = sign_in("siro@greenwich.example")
    page = siro.get("/sharing/profiles")
    assert page.status_code == 200 and SERVICE in page.text
    service_id = users.user_by_email(server.ws, SERVICE).id
    issued = siro.post(
        "/sharing/profiles",
        data={"service": str(service_id), "days": "7", "csrf_token": _csrf(page.text)},
    )
    assert issued.status_code == 201, issued.text
    shown = siro.get("/sharing/profiles.json").json()
    (svc,) = shown["services"]
    (profile,) = svc["profiles"]
    # The profile is on the answer's page once, as the JSON file the client reads.
    text = html.unescape(
        re.search(
            r'<pre class="accord-pre" id="issued-profile">(.*?)</pre>', issued.text, re.S
        ).group(1)
    )
    document = json.loads(text)
    assert document["bearerToken"].startswith(profile["id"] + ".")
    assert document["endpoint"] == server.endpoint
    assert document["expirationTime"].startswith(
        (server.clock.now() + timedelta(days=7)).date().isoformat()
    )
    file = server.folder / "web.share"
    file.write_text(text)
    df = delta_sharing.load_as_pandas(f"{file}#{SHARE}.deliveries.{OWN_TABLE}")
    assert len(df) == len(_extract(world.day1, OWN_TABLE))
    # The discloser's SIRO sees Greenwich's query and download on the agreement's page.
    nhs = sign_in("siro@nhs.example")
    record = nhs.get(f"/agreements/{AGREEMENT_ID}/accesses.json").json()
    per_recipient = {r["recipient"]: (r["queries"], r["downloads"]) for r in record["recipients"]}
    assert per_recipient == {GREENWICH: (1, 1), MIDDLESBROUGH: (0, 0)}
    assert {a["token_id"] for a in record["accesses"]} == {profile["id"]}
    assert "sha256:" in nhs.get(f"/agreements/{AGREEMENT_ID}/accesses").text
    # The same record through the documented API, for Greenwich's only and up to a time.
    api = f"{server.endpoint.removesuffix('/delta-sharing')}/api/agreements/{AGREEMENT_ID}/accesses"
    headers = server.bearer("siro@nhs.example")
    listed = httpx.get(api, params={"recipient": GREENWICH}, headers=headers).json()
    assert [a["event_id"] for a in listed["accesses"]] == [
        a["event_id"] for a in record["accesses"]
    ]
    before = (server.clock.now() - timedelta(days=1)).isoformat()
    assert httpx.get(api, params={"until": before}, headers=headers).json()["accesses"] == []
    mine = server.bearer(OTHER_PERSON)
    assert httpx.get(api, params={"recipient": GREENWICH}, headers=mine).status_code == 422
    # Middlesbrough's SIRO sees only Middlesbrough's accesses (none).
    other = sign_in(OTHER_PERSON).get(f"/agreements/{AGREEMENT_ID}/accesses.json")
    assert other.json()["accesses"] == [] and GREENWICH not in json.dumps(
        other.json()["recipients"]
    )
    # Middlesbrough's SIRO cannot revoke Greenwich's profile; Greenwich's can.
    other_page = sign_in(OTHER_PERSON)
    refused = other_page.post(
        f"/sharing/profiles/{profile['id']}/revoke",
        data={"csrf_token": _csrf(other_page.get("/sharing/profiles").text)},
    )
    assert refused.status_code == 404
    page = siro.get("/sharing/profiles")
    revoked = siro.post(
        f"/sharing/profiles/{profile['id']}/revoke", data={"csrf_token": _csrf(page.text)}
    )
    assert revoked.status_code == 303
    with pytest.raises(HTTPError) as caught:
        delta_sharing.SharingClient(str(file)).list_shares()
    assert caught.value.response.status_code == 401
    assert siro.get("/sharing/profiles.json").json()["services"][0]["profiles"][0]["revoked"]
