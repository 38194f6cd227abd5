"""``/api/me`` and the caller's own API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.server import auth
from accord.server.api.schemas import ERRORS, MeOut, OkOut, TokenOut, TokensOut, UserOut
from accord.service import users as user_service

router = APIRouter(prefix="/api", tags=["me"], responses=ERRORS)


@router.get("/me", response_model=MeOut)
def me(user: auth.CurrentUser) -> MeOut:
    """Who the token or session acts for: party and roles."""
    return MeOut(user=UserOut(**user.as_dict()))


@router.get("/tokens", response_model=TokensOut)
def my_tokens(request: Request, user: auth.CurrentUser) -> TokensOut:
    """The caller's API tokens (never the secret values)."""
    tokens = user_service.list_tokens(auth.workspace(request), user)
    return TokensOut(
        tokens=[
            TokenOut(
                id=t.id,
                name=t.name,
                created_at=t.created_at.isoformat(),
                expires_at=t.expires_at.isoformat(),
                revoked_at=t.revoked_at.isoformat() if t.revoked_at else None,
            )
            for t in tokens
        ]
    )


@router.delete("/tokens/{token_id}", response_model=OkOut)
def revoke_my_token(request: Request, user: auth.CurrentUser, token_id: str) -> OkOut:
    """Revoke one of the caller's own tokens; another user's token is 'not found'."""
    auth.check_csrf(request, None)
    user_service.revoke_token(auth.workspace(request), token_id, owner=user)
    return OkOut()
