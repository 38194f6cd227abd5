"""``/api/witness``: this instance as a witness for other parties' logs (C2SP tlog-witness).

``POST /api/witness/add-checkpoint`` takes the protocol's text body and answers with
cosignature lines, or with the protocol's status codes; the checks are in
:func:`accord.service.heads.add_checkpoint`. No sign-in: the checkpoint's signature by a
followed log's key is the authentication, as the protocol says.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from accord.errors import InputError, NotFound, NotPermitted, VerificationError, WitnessConflict
from accord.server import auth
from accord.service import heads

router = APIRouter(prefix="/api/witness", tags=["witness"])
MAX_BODY = 64 * 1024


@router.post(
    "/add-checkpoint",
    response_class=PlainTextResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "C2SP tlog-witness: `old N`, then the consistency proof's hashes one per line "
                "(base64), a blank line, then the signed checkpoint note"
            ),
            "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_BODY}}},
        }
    },
    responses={
        400: {"description": "malformed request"},
        403: {"description": "not signed by a followed key"},
        404: {"description": "unknown origin"},
        409: {
            "description": "old size is not the size last cosigned",
            "content": {"text/x.tlog.size": {}},
        },
        422: {"description": "the consistency proof does not verify"},
    },
)
async def add_checkpoint(request: Request) -> PlainTextResponse:
    """Cosign a checkpoint consistent with the last one this witness cosigned for its log."""
    raw = await request.body()
    try:
        if len(raw) > MAX_BODY:
            raise InputError("request body too large")
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return PlainTextResponse("the body is not UTF-8\n", status_code=400)
    except InputError as exc:
        return PlainTextResponse(exc.message + "\n", status_code=400)
    try:
        line = heads.add_checkpoint(auth.workspace(request), body)
    except WitnessConflict as exc:
        return PlainTextResponse(
            f"{exc.known_size}\n", status_code=409, media_type="text/x.tlog.size"
        )
    except NotFound as exc:
        return PlainTextResponse(exc.message + "\n", status_code=404)
    except NotPermitted as exc:
        return PlainTextResponse(exc.message + "\n", status_code=403)
    except InputError as exc:
        return PlainTextResponse(exc.message + "\n", status_code=400)
    except VerificationError as exc:
        return PlainTextResponse(exc.message + "\n", status_code=422)
    return PlainTextResponse(line)
