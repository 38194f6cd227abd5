"""The Delta Sharing REST protocol under ``/delta-sharing`` (PROTOCOL.md), for recipients.

Authenticate with ``Authorization: Bearer <token>`` (an accord API token; a profile file holds
one). The caller's party sees only its own shares (:mod:`accord.service.sharing` decides what,
and records every query and download); this module parses requests and renders the protocol's
lines. Anything the party may not see is 404, never a hint that it exists; its own agreement,
suspended or ended, is 403 saying so.

- **Formats**: the parquet response format by default; the delta format
  (``delta-sharing-capabilities: responseformat=delta``) when the client asks for it alone.
- **Versions**: ``GET .../version`` (with ``startingTimestamp``), snapshot queries by
  ``version`` or ``timestamp``, streaming queries by ``startingVersion``/``endingVersion``, and
  the change feed (``GET .../changes``) by version or timestamp.
- **Long reads**: a snapshot query with ``includeRefreshToken`` ends with an
  ``endStreamAction`` carrying a ``refreshToken``; the same query with that ``refreshToken``
  returns the same version's files with fresh links. ``maxFiles``/``pageToken`` page the
  files (``endStreamAction.nextPageToken``).

Errors are ``{"errorCode": ..., "message": ...}``. File URLs point back at accord, never at
storage. Predicate and limit hints are accepted and ignored: every row served was already
enforced by the agreement before it was delivered, so there is nothing for a hint to protect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from accord.errors import InputError, NotAuthenticated, NotFound, NotPermitted, Problem
from accord.server import auth
from accord.server.errors import as_accord_error, error_headers
from accord.server.sharing.schema import schema_string
from accord.service import sharing
from accord.service.sharing import FileChange, SharedFile, SharedTable, TableVersion
from accord.service.sharing_links import URL_LIFETIME, Link, parse_expiry
from accord.workspace import Workspace

PREFIX = "/delta-sharing"
NDJSON = "application/x-ndjson; charset=utf-8"
VERSION_HEADER = "delta-table-version"
CAPABILITIES_HEADER = "delta-sharing-capabilities"

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


@dataclass(frozen=True)
class Caller:
    party: str
    token_id: str


def _caller(request: Request) -> Caller:
    """The caller's party and token, from an accord API token (sessions are not accepted)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "send 'Authorization: Bearer <token>'", [Problem("authorization", "missing")]
        )
    user = auth.token_caller(request, token.strip())
    return Caller(user.party_org_id, token.strip().partition(".")[0])


Who = Annotated[Caller, Depends(_caller)]
Ws = Annotated[Workspace, Depends(auth.workspace)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)]
PageToken = Annotated[str | None, Query(alias="pageToken", max_length=100)]


def _offset(token: str | None, length: int, where: str = "pageToken") -> int:
    try:
        start = int(token) if token else 0
    except ValueError:
        start = -1
    if not 0 <= start <= length:
        raise InputError("the page token is not valid", [Problem(where, "not ours")])
    return start


def _page(items: Sequence[dict[str, Any]], max_results: int | None, token: str | None) -> Any:
    start = _offset(token, len(items))
    end = len(items) if max_results is None else min(len(items), start + max_results)
    body: dict[str, Any] = {"items": list(items[start:end])}
    if end < len(items):
        body["nextPageToken"] = str(end)
    return body


def _table_item(t: SharedTable, share_id: str) -> dict[str, Any]:
    return {"name": t.name, "schema": t.schema, "share": t.share, "shareId": share_id, "id": t.id}


@router.get("/shares")
def list_shares(ws: Ws, who: Who, max_results: MaxResults = None, page: PageToken = None) -> Any:
    items = [{"name": s.name, "id": s.id} for s in sharing.shares_for(ws, who.party)]
    return _page(items, max_results, page)


@router.get("/shares/{share}")
def get_share(ws: Ws, who: Who, share: str) -> Any:
    found = sharing.find_share(ws, who.party, share)
    return {"share": {"name": found.name, "id": found.id}}


@router.get("/shares/{share}/schemas")
def list_schemas(
    ws: Ws, who: Who, share: str, max_results: MaxResults = None, page: PageToken = None
) -> Any:
    found = sharing.find_share(ws, who.party, share)
    return _page([{"name": sharing.SCHEMA, "share": found.name}], max_results, page)


@router.get("/shares/{share}/schemas/{schema}/tables")
def list_tables(
    ws: Ws,
    who: Who,
    share: str,
    schema: str,
    max_results: MaxResults = None,
    page: PageToken = None,
) -> Any:
    found = sharing.find_share(ws, who.party, share)
    if schema.lower() != sharing.SCHEMA:
        raise NotFound(f"no schema {schema} in share {found.name}")
    return _page([_table_item(t, found.id) for t in found.tables], max_results, page)


@router.get("/shares/{share}/all-tables")
def list_all_tables(
    ws: Ws, who: Who, share: str, max_results: MaxResults = None, page: PageToken = None
) -> Any:
    found = sharing.find_share(ws, who.party, share)
    return _page([_table_item(t, found.id) for t in found.tables], max_results, page)


@router.api_route("/shares/{share}/schemas/{schema}/tables/{table}/version", methods=["GET"])
def table_version(
    ws: Ws,
    who: Who,
    share: str,
    schema: str,
    table: str,
    starting_timestamp: Annotated[
        str | None, Query(alias="startingTimestamp", max_length=40)
    ] = None,
) -> Response:
    found = sharing.find_table(ws, who.party, share, schema, table)
    version = found.version
    if starting_timestamp is not None:
        version = sharing.version_since(found, starting_timestamp)
    return Response(headers={VERSION_HEADER: str(version)})


@router.head("/shares/{share}/schemas/{schema}/tables/{table}")
def table_version_head(ws: Ws, who: Who, share: str, schema: str, table: str) -> Response:
    """The deprecated HEAD form of "query table version"."""
    found = sharing.find_table(ws, who.party, share, schema, table)
    return Response(headers={VERSION_HEADER: str(found.version)})


# -- response formats ---------------------------------------------------------------------

Format = Literal["parquet", "delta"]


@dataclass(frozen=True)
class Capabilities:
    """What the client said it can take (``delta-sharing-capabilities``)."""

    format: Format
    end_stream: bool

    @classmethod
    def of(cls, request: Request) -> Capabilities:
        formats: set[str] = set()
        end_stream = False
        for capability in request.headers.get(CAPABILITIES_HEADER, "").lower().split(";"):
            key, _, values = capability.strip().partition("=")
            given = {v.strip() for v in values.split(",") if v.strip()}
            if key == "responseformat":
                formats |= given
            elif key == "includeendstreamaction":
                end_stream = "true" in given
        if formats and not formats & {"parquet", "delta"}:
            raise InputError(
                "this server sends the parquet or the delta response format",
                [Problem(CAPABILITIES_HEADER, "accept responseformat=parquet or delta")],
            )
        # Offered both, the plain tables accord shares need nothing that parquet lacks.
        chosen: Format = "delta" if formats == {"delta"} else "parquet"
        return cls(chosen, end_stream)

    def header(self, *, end_stream: bool = False) -> str:
        value = f"responseformat={self.format}"
        return value + (";includeendstreamaction=true" if end_stream else "")


def _ndjson(
    lines: Iterable[dict[str, Any]], version: int, caps: Capabilities, *, end_stream: bool = False
) -> Response:
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    headers = {
        VERSION_HEADER: str(version),
        CAPABILITIES_HEADER: caps.header(end_stream=end_stream),
    }
    return Response(text, media_type=NDJSON, headers=headers)


PROTOCOL_VERSION = {"minReaderVersion": 1}
DELTA_PROTOCOL = {"minReaderVersion": 1, "minWriterVersion": 4}


def _protocol(caps: Capabilities) -> dict[str, Any]:
    if caps.format == "delta":
        return {"protocol": {"deltaProtocol": DELTA_PROTOCOL}}
    return {"protocol": PROTOCOL_VERSION}


def _metadata(
    t: SharedTable, shown: TableVersion | None, version: int | None, caps: Capabilities
) -> dict[str, Any]:
    source = shown or t.versions[-1]
    schema = schema_string(pq.read_schema(source.extract.path))
    size = {"size": shown.extract.size if shown else 0, "numFiles": 1 if shown else 0}
    if caps.format == "delta":
        body: dict[str, Any] = {
            "deltaMetadata": {
                "id": t.id,
                "name": t.name,
                "format": {"provider": "parquet", "options": {}},
                "schemaString": schema,
                "partitionColumns": [],
                "configuration": {"delta.enableChangeDataFeed": "true"},
                "createdTime": t.versions[0].timestamp_ms,
            },
            **size,
        }
    else:
        body = {
            "id": t.id,
            "name": t.name,
            "format": {"provider": "parquet"},
            "schemaString": schema,
            "partitionColumns": [],
            "configuration": {"enableChangeDataFeed": "true"},
            **size,
        }
    if version is not None:
        body["version"] = version
    return {"metaData": body}


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/metadata")
def table_metadata(
    request: Request, ws: Ws, who: Who, share: str, schema: str, table: str
) -> Response:
    caps = Capabilities.of(request)
    found = sharing.find_table(ws, who.party, share, schema, table)
    latest = found.at_version(found.version)
    return _ndjson([_protocol(caps), _metadata(found, latest, None, caps)], found.version, caps)


class _Files:
    """Renders file actions with signed, expiring links for one request's caller."""

    def __init__(
        self, request: Request, ws: Workspace, who: Caller, t: SharedTable, caps: Capabilities
    ) -> None:
        self.base = str(request.url_for("sharing_file", file_id="FILE_ID"))
        self.expires = int((ws.clock.now() + URL_LIFETIME).timestamp())
        self.links = sharing.Links(ws, who.party, who.token_id, self.expires)
        self.table = t
        self.caps = caps

    def url(self, f: SharedFile) -> str:
        query = urlencode(self.links.query(self.table, f))
        return self.base.replace("FILE_ID", f.file_id) + "?" + query

    def _stats(self, f: SharedFile) -> str:
        return json.dumps({"numRecords": f.rows})

    def snapshot(self, f: SharedFile, version: TableVersion | None) -> dict[str, Any]:
        """A ``file`` line of a snapshot (with its version when the query named one)."""
        if self.caps.format == "delta":
            add = {
                "path": self.url(f),
                "partitionValues": {},
                "size": f.size,
                "modificationTime": (version or self.table.versions[-1]).timestamp_ms,
                "dataChange": True,
                "stats": self._stats(f),
            }
            body: dict[str, Any] = {
                "id": f.file_id,
                "size": f.size,
                "expirationTimestamp": self.expires * 1000,
                "deltaSingleAction": {"add": add},
            }
        else:
            body = {
                "url": self.url(f),
                "id": f.file_id,
                "partitionValues": {},
                "size": f.size,
                "stats": self._stats(f),
                "expirationTimestamp": self.expires * 1000,
            }
        if version is not None:
            body["version"] = version.version
            body["timestamp"] = version.timestamp_ms
        return {"file": body}

    def change(self, c: FileChange) -> dict[str, Any]:
        """An ``add`` or ``remove`` line of a version range."""
        v = c.version
        if self.caps.format == "delta":
            action: dict[str, Any] = {
                "path": self.url(c.file),
                "partitionValues": {},
                "size": c.file.size,
                "dataChange": True,
            }
            if c.action == "add":
                action |= {"modificationTime": v.timestamp_ms, "stats": self._stats(c.file)}
            else:
                action |= {"deletionTimestamp": v.timestamp_ms, "extendedFileMetadata": True}
            return {
                "file": {
                    "id": c.file.file_id,
                    "size": c.file.size,
                    "version": v.version,
                    "timestamp": v.timestamp_ms,
                    "expirationTimestamp": self.expires * 1000,
                    "deltaSingleAction": {c.action: action},
                }
            }
        body = {
            "url": self.url(c.file),
            "id": c.file.file_id,
            "partitionValues": {},
            "size": c.file.size,
            "timestamp": v.timestamp_ms,
            "version": v.version,
            "expirationTimestamp": self.expires * 1000,
        }
        if c.action == "add":
            body["stats"] = self._stats(c.file)
        return {c.action: body}


class QueryRequest(BaseModel):
    """The body of "read data from a table"; unknown fields are ignored, as the spec allows."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    predicate_hints: list[str] | None = Field(None, alias="predicateHints")
    json_predicate_hints: str | None = Field(None, alias="jsonPredicateHints")
    limit_hint: int | None = Field(None, alias="limitHint", ge=0)
    version: int | None = Field(None, ge=0)
    timestamp: str | None = Field(None, max_length=40)
    starting_version: int | None = Field(None, alias="startingVersion", ge=0)
    ending_version: int | None = Field(None, alias="endingVersion", ge=0)
    max_files: int | None = Field(None, alias="maxFiles", ge=1, le=100_000)
    page_token: str | None = Field(None, alias="pageToken", max_length=200)
    include_refresh_token: bool | None = Field(None, alias="includeRefreshToken")
    refresh_token: str | None = Field(None, alias="refreshToken", max_length=200)


def _refresh_token(t: SharedTable, version: int) -> str:
    return f"{t.id}:{version}"


def _refreshed_version(t: SharedTable, token: str) -> int:
    """The version a refresh token names, for the same table (history) only."""
    table_id, _, number = token.rpartition(":")
    if table_id != t.id or not number.isascii() or not number.isdigit():
        raise InputError(
            "the refresh token is not valid for this table",
            [Problem("refreshToken", "query the table again without it")],
        )
    version = int(number)
    t.at_version(version)
    return version


def _paged(
    lines: list[dict[str, Any]], query: QueryRequest, window: str
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of file lines; the token names the window it belongs to, then the offset."""
    start = 0
    if query.page_token is not None:
        token_window, _, offset = query.page_token.rpartition("@")
        if token_window != window:
            raise InputError("the page token is not valid", [Problem("pageToken", "not ours")])
        start = _offset(offset, len(lines))
    end = len(lines) if query.max_files is None else min(len(lines), start + query.max_files)
    return lines[start:end], (f"{window}@{end}" if end < len(lines) else None)


@router.post("/shares/{share}/schemas/{schema}/tables/{table}/query")
def query_table(
    request: Request,
    ws: Ws,
    who: Who,
    share: str,
    schema: str,
    table: str,
    query: QueryRequest | None = None,
) -> Response:
    caps = Capabilities.of(request)
    query = query or QueryRequest()
    found = sharing.find_table(ws, who.party, share, schema, table)
    files = _Files(request, ws, who, found, caps)
    if query.starting_version is not None:
        if query.version is not None or query.timestamp is not None:
            raise InputError(
                "a streaming query takes no version or timestamp",
                [Problem("startingVersion", "drop version and timestamp")],
            )
        start, end = sharing.version_range(found, query.starting_version, query.ending_version)
        head = [_protocol(caps), _metadata(found, found.at_version(end), None, caps)]
        body = [files.change(c) for c in sharing.stream_files(found, start, end)]
        window, header = f"s{start}-{end}", start
        kind: Literal["snapshot", "stream"] = "stream"
        recorded: tuple[int, int | None] = (start, end)
    else:
        if query.refresh_token is not None:
            number, asked = _refreshed_version(found, query.refresh_token), False
        else:
            number = sharing.snapshot_version(found, query.version, query.timestamp)
            asked = query.version is not None or query.timestamp is not None
        shown = found.at_version(number)
        head = [_protocol(caps), _metadata(found, shown, number if asked else None, caps)]
        body = [files.snapshot(shown.extract, shown if asked else None)] if shown else []
        window, header, kind = f"v{number}", number, "snapshot"
        recorded = (number, None)
    page, next_token = _paged(body, query, window)
    if query.page_token is None:  # one event per query, not per page
        sharing.record_query(
            ws,
            found,
            who.party,
            who.token_id,
            kind,
            recorded[0],
            ending_version=recorded[1],
            file_count=len(body),
        )
    end_stream = caps.end_stream or query.max_files is not None or bool(query.include_refresh_token)
    if end_stream:
        action: dict[str, Any] = {"minUrlExpirationTimestamp": files.expires * 1000}
        if next_token is not None:
            action["nextPageToken"] = next_token
        if kind == "snapshot" and (query.include_refresh_token or query.refresh_token):
            action["refreshToken"] = _refresh_token(found, header)
        page = [*page, {"endStreamAction": action}]
    return _ndjson([*head, *page], header, caps, end_stream=end_stream)


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/changes")
def table_changes(
    request: Request,
    ws: Ws,
    who: Who,
    share: str,
    schema: str,
    table: str,
    starting_version: Annotated[
        int | None, Query(alias="startingVersion", ge=0, le=2**63 - 1)
    ] = None,
    ending_version: Annotated[int | None, Query(alias="endingVersion", ge=0, le=2**63 - 1)] = None,
    starting_timestamp: Annotated[
        str | None, Query(alias="startingTimestamp", max_length=40)
    ] = None,
    ending_timestamp: Annotated[str | None, Query(alias="endingTimestamp", max_length=40)] = None,
) -> Response:
    """The change feed (:func:`accord.service.sharing.changes`): for each version, ``add``
    files of the rows it inserts and ``remove`` files of the rows it deletes from the version
    before, so that applying them to that version gives this one.

    The client reads an ``add`` file's rows as inserts and a ``remove`` file's as deletes.
    """
    caps = Capabilities.of(request)
    found = sharing.find_table(ws, who.party, share, schema, table)
    start, end = sharing.version_range(
        found,
        sharing.bound(found, starting_version, starting_timestamp, "startingVersion", start=True),
        sharing.bound(found, ending_version, ending_timestamp, "endingVersion", start=False),
    )
    files = _Files(request, ws, who, found, caps)
    lines = [_protocol(caps), _metadata(found, found.at_version(end), None, caps)]
    if caps.format == "delta":
        lines[1]["metaData"]["version"] = start
    body = [files.change(c) for c in sharing.changes(ws, found, start, end)]
    sharing.record_query(
        ws, found, who.party, who.token_id, "changes", start, ending_version=end,
        file_count=len(body),
    )  # fmt: skip
    return _ndjson([*lines, *body], start, caps)


@router.api_route("/files/{file_id}", methods=["GET", "HEAD"], name="sharing_file")
def get_file(
    ws: Ws,
    file_id: str,
    party: Annotated[str, Query(max_length=200)] = "",
    share: Annotated[str, Query(max_length=200)] = "",
    tok: Annotated[str, Query(max_length=64)] = "",
    exp: Annotated[str, Query(max_length=5000)] = "",
    sig: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """One data file, for a signed link that has not expired, issued to a token that still
    stands, under an agreement still active, to a party that may still see the file."""
    if not (party and share and tok and sig and exp):
        raise NotPermitted("this file link is not valid", [Problem("url", "incomplete")])
    link = Link(file_id, party, share, tok, parse_expiry(exp))
    found = sharing.open_file(ws, link, sig)
    return FileResponse(found.path, media_type="application/octet-stream")


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
def unknown(rest: str) -> Response:
    raise NotFound(f"no such Delta Sharing endpoint: /{rest}")
