"""The Delta Sharing REST protocol under ``/delta-sharing`` (PROTOCOL.md), for recipients.

Authenticate with ``Authorization: Bearer <token>`` (an accord API token; ``accord sharing
profile`` writes one into a profile file). The caller's party sees only its own shares: an
agreement's share exists for a party only while the agreement is active and the party receives
a flow under it. Anything else is 404, never a hint that it exists.

Responses use the parquet response format (``delta-sharing-capabilities:
responseformat=parquet``). Errors are ``{"errorCode": ..., "message": ...}``. File URLs point
back at accord (:mod:`accord.server.sharing.urls`), never at storage.

Predicate and limit hints are accepted and ignored: every row served was already enforced by
the agreement before it was delivered, so there is nothing for a hint to protect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from accord.errors import InputError, NotAuthenticated, NotFound, NotPermitted, Problem
from accord.server import auth
from accord.server.errors import as_accord_error, error_headers
from accord.server.sharing import catalog
from accord.server.sharing.catalog import SharedFile, SharedTable, TableVersion
from accord.server.sharing.schema import schema_string
from accord.server.sharing.urls import URL_LIFETIME, UrlSigner, parse_expiry, url_secret
from accord.workspace import Workspace

PREFIX = "/delta-sharing"
NDJSON = "application/x-ndjson; charset=utf-8"
VERSION_HEADER = "delta-table-version"
CAPABILITIES_HEADER = "delta-sharing-capabilities"
RESPONSE_FORMAT = "responseformat=parquet"

_ERROR_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    429: "TOO_MANY_REQUESTS",
}


def error_response(exc: Exception) -> JSONResponse:
    """Any error as the protocol's ``{"errorCode", "message"}`` body."""
    err = as_accord_error(exc)
    status = 400 if isinstance(err, InputError) else err.http_status
    message = "; ".join([err.message, *(str(p) for p in err.problems)])
    return JSONResponse(
        {"errorCode": _ERROR_CODES.get(status, "INTERNAL_ERROR"), "message": message},
        status_code=status,
        headers=error_headers(err),
    )


class SharingRoute(APIRoute):
    """Routes whose errors take the Delta Sharing shape, not accord's JSON envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every error leaves as errorCode + message
                return error_response(exc)

        return run


router = APIRouter(prefix=PREFIX, route_class=SharingRoute, include_in_schema=False)


def _party(request: Request) -> str:
    """The caller's party, from an accord API token (sessions are not accepted here)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "send 'Authorization: Bearer <token>'", [Problem("authorization", "missing")]
        )
    return auth.token_caller(request, token.strip()).party_org_id


Party = Annotated[str, Depends(_party)]
Ws = Annotated[Workspace, Depends(auth.workspace)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0)]
PageToken = Annotated[str | None, Query(alias="pageToken")]


def _page(items: Sequence[dict[str, Any]], max_results: int | None, token: str | None) -> Any:
    try:
        start = int(token) if token else 0
    except ValueError:
        start = -1
    if not 0 <= start <= len(items):
        raise InputError("the page token is not valid", [Problem("pageToken", "not ours")])
    end = len(items) if max_results is None else min(len(items), start + max_results)
    body: dict[str, Any] = {"items": list(items[start:end])}
    if end < len(items):
        body["nextPageToken"] = str(end)
    return body


def _table_item(t: SharedTable, share_id: str) -> dict[str, Any]:
    return {"name": t.name, "schema": t.schema, "share": t.share, "shareId": share_id, "id": t.id}


@router.get("/shares")
def list_shares(
    ws: Ws, party: Party, max_results: MaxResults = None, page: PageToken = None
) -> Any:
    items = [{"name": s.name, "id": s.id} for s in catalog.shares_for(ws, party)]
    return _page(items, max_results, page)


@router.get("/shares/{share}")
def get_share(ws: Ws, party: Party, share: str) -> Any:
    found = catalog.find_share(ws, party, share)
    return {"share": {"name": found.name, "id": found.id}}


@router.get("/shares/{share}/schemas")
def list_schemas(
    ws: Ws, party: Party, share: str, max_results: MaxResults = None, page: PageToken = None
) -> Any:
    found = catalog.find_share(ws, party, share)
    return _page([{"name": catalog.SCHEMA, "share": found.name}], max_results, page)


@router.get("/shares/{share}/schemas/{schema}/tables")
def list_tables(
    ws: Ws,
    party: Party,
    share: str,
    schema: str,
    max_results: MaxResults = None,
    page: PageToken = None,
) -> Any:
    found = catalog.find_share(ws, party, share)
    if schema.lower() != catalog.SCHEMA:
        raise NotFound(f"no schema {schema} in share {found.name}")
    return _page([_table_item(t, found.id) for t in found.tables], max_results, page)


@router.get("/shares/{share}/all-tables")
def list_all_tables(
    ws: Ws, party: Party, share: str, max_results: MaxResults = None, page: PageToken = None
) -> Any:
    found = catalog.find_share(ws, party, share)
    return _page([_table_item(t, found.id) for t in found.tables], max_results, page)


def _parse_time(value: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InputError(
            "not a timestamp", [Problem(where, "use ISO 8601 with a zone: 2026-03-16T09:00:00Z")]
        )
    return when


@router.api_route("/shares/{share}/schemas/{schema}/tables/{table}/version", methods=["GET"])
def table_version(
    ws: Ws,
    party: Party,
    share: str,
    schema: str,
    table: str,
    starting_timestamp: Annotated[str | None, Query(alias="startingTimestamp")] = None,
) -> Response:
    found = catalog.find_table(ws, party, share, schema, table)
    version = found.version
    if starting_timestamp is not None:
        when = _parse_time(starting_timestamp, "startingTimestamp")
        later = [v.version for v in found.versions if v.at >= when]
        if not later:
            raise InputError(
                "no version at or after that time",
                [Problem("startingTimestamp", f"the latest version is {found.version}")],
            )
        version = later[0]
    return Response(headers={VERSION_HEADER: str(version)})


@router.head("/shares/{share}/schemas/{schema}/tables/{table}")
def table_version_head(ws: Ws, party: Party, share: str, schema: str, table: str) -> Response:
    """The deprecated HEAD form of "query table version"."""
    found = catalog.find_table(ws, party, share, schema, table)
    return Response(headers={VERSION_HEADER: str(found.version)})


def _check_capabilities(request: Request) -> None:
    """Serve parquet; a client that will take only the delta format gets a clear 400."""
    for capability in request.headers.get(CAPABILITIES_HEADER, "").lower().split(";"):
        key, _, values = capability.strip().partition("=")
        formats = {v.strip() for v in values.split(",")}
        if key == "responseformat" and "parquet" not in formats:
            raise InputError(
                "this server sends the parquet response format only",
                [Problem(CAPABILITIES_HEADER, "accept responseformat=parquet")],
            )


def _ndjson(lines: Iterable[dict[str, Any]], version: int) -> Response:
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    headers = {VERSION_HEADER: str(version), CAPABILITIES_HEADER: RESPONSE_FORMAT}
    return Response(text, media_type=NDJSON, headers=headers)


def _metadata(t: SharedTable, shown: TableVersion | None, version: int | None) -> dict[str, Any]:
    source = shown or t.versions[-1]
    body: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "format": {"provider": "parquet"},
        "schemaString": schema_string(pq.read_schema(source.extract.path)),
        "partitionColumns": [],
        "configuration": {"enableChangeDataFeed": "true"},
        "size": shown.extract.size if shown else 0,
        "numFiles": 1 if shown else 0,
    }
    if version is not None:
        body["version"] = version
    return {"metaData": body}


PROTOCOL_LINE = {"protocol": {"minReaderVersion": 1}}


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/metadata")
def table_metadata(
    request: Request, ws: Ws, party: Party, share: str, schema: str, table: str
) -> Response:
    _check_capabilities(request)
    found = catalog.find_table(ws, party, share, schema, table)
    latest = found.at_version(found.version)
    return _ndjson([PROTOCOL_LINE, _metadata(found, latest, None)], found.version)


class QueryRequest(BaseModel):
    """The body of "read data from a table"; unknown fields are ignored, as the spec allows."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    predicate_hints: list[str] | None = Field(None, alias="predicateHints")
    json_predicate_hints: str | None = Field(None, alias="jsonPredicateHints")
    limit_hint: int | None = Field(None, alias="limitHint", ge=0)
    version: int | None = Field(None, ge=0)
    timestamp: str | None = None
    starting_version: int | None = Field(None, alias="startingVersion", ge=0)
    ending_version: int | None = Field(None, alias="endingVersion", ge=0)


class _Urls:
    """Signed, expiring file URLs for one request's party."""

    def __init__(self, request: Request, ws: Workspace, party: str) -> None:
        self.base = str(request.url_for("sharing_file", file_id="FILE_ID"))
        self.signer = UrlSigner(url_secret(ws.keys_dir))
        self.party = party
        self.expires = int((ws.clock.now() + URL_LIFETIME).timestamp())

    def file(self, f: SharedFile, version: TableVersion | None = None) -> dict[str, Any]:
        query = urlencode(
            {
                "party": self.party,
                "exp": self.expires,
                "sig": self.signer.sign(f.file_id, self.party, self.expires),
            }
        )
        body: dict[str, Any] = {
            "url": self.base.replace("FILE_ID", f.file_id) + "?" + query,
            "id": f.file_id,
            "partitionValues": {},
            "size": f.size,
            "stats": json.dumps({"numRecords": f.rows}),
            "expirationTimestamp": self.expires * 1000,
        }
        if version is not None:
            body["version"] = version.version
            body["timestamp"] = version.timestamp_ms
        return body


def _chosen(found: SharedTable, query: QueryRequest) -> tuple[int, bool]:
    """The version a query reads, and whether the caller asked for one."""
    if query.starting_version is not None:
        raise InputError(
            "streaming queries are not served; read the change feed instead",
            [Problem("startingVersion", "use GET .../changes?startingVersion=N")],
        )
    if query.version is not None and query.timestamp is not None:
        raise InputError(
            "give a version or a timestamp, not both", [Problem("timestamp", "drop one")]
        )
    if query.version is not None:
        found.at_version(query.version)
        return query.version, True
    if query.timestamp is not None:
        when = _parse_time(query.timestamp, "timestamp")
        earlier = [v.version for v in found.versions if v.at <= when]
        if not earlier:
            raise InputError(
                "the table has no version at or before that time",
                [Problem("timestamp", f"version 1 was delivered at {found.versions[0].at}")],
            )
        return earlier[-1], True
    return found.version, False


@router.post("/shares/{share}/schemas/{schema}/tables/{table}/query")
def query_table(
    request: Request,
    ws: Ws,
    party: Party,
    share: str,
    schema: str,
    table: str,
    query: QueryRequest | None = None,
) -> Response:
    _check_capabilities(request)
    found = catalog.find_table(ws, party, share, schema, table)
    number, asked = _chosen(found, query or QueryRequest())
    shown = found.at_version(number)
    lines = [PROTOCOL_LINE, _metadata(found, shown, number if asked else None)]
    if shown is not None:
        urls = _Urls(request, ws, party)
        lines.append({"file": urls.file(shown.extract, shown if asked else None)})
    return _ndjson(lines, number)


def _bound(
    found: SharedTable, version: int | None, timestamp: str | None, where: str, *, start: bool
) -> int | None:
    if version is not None and timestamp is not None:
        raise InputError("give a version or a timestamp, not both", [Problem(where, "drop one")])
    if timestamp is not None:
        when = _parse_time(timestamp, where)
        picked = [v.version for v in found.versions if (v.at >= when if start else v.at <= when)]
        if not picked:
            raise InputError("no version in that range", [Problem(where, timestamp)])
        return picked[0] if start else picked[-1]
    return version


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/changes")
def table_changes(
    request: Request,
    ws: Ws,
    party: Party,
    share: str,
    schema: str,
    table: str,
    starting_version: Annotated[int | None, Query(alias="startingVersion", ge=0)] = None,
    ending_version: Annotated[int | None, Query(alias="endingVersion", ge=0)] = None,
    starting_timestamp: Annotated[str | None, Query(alias="startingTimestamp")] = None,
    ending_timestamp: Annotated[str | None, Query(alias="endingTimestamp")] = None,
) -> Response:
    """The change feed: each delivery's additions as ``add`` and removals as ``remove`` files.

    A delivery with no delta against the version before it (the first one, or a reset)
    removes the previous extract and adds its own.
    """
    _check_capabilities(request)
    found = catalog.find_table(ws, party, share, schema, table)
    start = _bound(found, starting_version, starting_timestamp, "startingVersion", start=True)
    end = _bound(found, ending_version, ending_timestamp, "endingVersion", start=False)
    if start is None:
        raise InputError("say where the changes start", [Problem("startingVersion", "missing")])
    end = found.version if end is None else end
    if not start <= end <= found.version:
        raise InputError(
            "the version range is not valid",
            [Problem("endingVersion", f"need {start} <= end <= {found.version}")],
        )
    urls = _Urls(request, ws, party)
    lines: list[dict[str, Any]] = [PROTOCOL_LINE, _metadata(found, found.at_version(end), None)]
    for number in range(max(start, 1), end + 1):
        v = found.versions[number - 1]
        before = found.versions[number - 2] if number > 1 else None
        if (
            before is not None
            and v.additions is not None
            and v.removals is not None
            and not v.reset
            and v.since_run == before.run_id
        ):
            lines.append({"add": urls.file(v.additions, v)})
            lines.append({"remove": urls.file(v.removals, v)})
            continue
        if before is not None:
            lines.append({"remove": urls.file(before.extract, v)})
        lines.append({"add": urls.file(v.extract, v)})
    return _ndjson(lines, start)


@router.api_route("/files/{file_id}", methods=["GET", "HEAD"], name="sharing_file")
def get_file(ws: Ws, file_id: str, party: str = "", exp: str = "", sig: str = "") -> Response:
    """One data file, for a signed link that has not expired and a party that may still see it."""
    if not (party and sig and exp):
        raise NotPermitted("this file link is not valid", [Problem("url", "incomplete")])
    UrlSigner(url_secret(ws.keys_dir)).verify(
        file_id, party, parse_expiry(exp), sig, now=int(ws.clock.now().timestamp())
    )
    found = catalog.find_file(ws, party, file_id)
    return FileResponse(found.path, media_type="application/octet-stream")


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
def unknown(rest: str) -> Response:
    raise NotFound(f"no such Delta Sharing endpoint: /{rest}")
