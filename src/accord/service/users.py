"""User accounts, browser sessions and API tokens.

A user belongs to one party (a typed organisation id such as ``gss:E09000011``) and holds one or
more roles. Passwords are hashed with argon2; a session id or API token is a random value given
to its holder once and stored only as its SHA-256, so a copy of the database lets nobody in.

>>> sorted(r.value for r in parse_roles("siro, dpo"))
['dpo', 'siro']
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, select, update

from accord.errors import InputError, NotAuthenticated, NotFound, NotPermitted, Problem
from accord.model.enums import ApprovalRole
from accord.model.ids import parse_org_id
from accord.store.users import api_tokens, user_sessions, users
from accord.workspace import Workspace

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=8)
TOKEN_LIFETIME = timedelta(days=30)
MAX_TOKEN_LIFETIME = timedelta(days=366)

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("accord: no such user")


class Role(StrEnum):
    """What a user may do for their party (domain/rules.md §c.1)."""

    requester = "requester"
    iao = "iao"
    dpo = "dpo"
    caldicott_guardian = "caldicott_guardian"
    siro = "siro"
    legal = "legal"
    arbiter = "arbiter"
    recipient_service = "recipient_service"

    @property
    def approval_role(self) -> ApprovalRole | None:
        """The agreement approval role this user role signs as, if any."""
        try:
            return ApprovalRole(self.value)
        except ValueError:
            return None


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    party_org_id: str
    roles: frozenset[Role]
    disabled: bool = False

    def holds(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    def require_role(self, *roles: Role) -> None:
        """Raise :class:`NotPermitted` unless the user holds at least one of ``roles``."""
        if not any(r in self.roles for r in roles):
            raise NotPermitted(
                "you do not hold a role that may do this",
                [Problem("role", "needs one of: " + ", ".join(r.value for r in roles))],
            )

    @property
    def is_recipient_service(self) -> bool:
        """A machine account that only collects its own party's deliveries."""
        return self.roles == frozenset({Role.recipient_service})

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "party": self.party_org_id,
            "roles": sorted(r.value for r in self.roles),
        }


@dataclass(frozen=True)
class IssuedToken:
    """A new API token. ``token`` is shown once; only its hash is kept."""

    id: str
    token: str
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Session:
    id: str
    user: User
    csrf_token: str
    expires_at: datetime


def parse_roles(raw: str | Iterable[str]) -> frozenset[Role]:
    names = [r.strip() for r in raw.split(",")] if isinstance(raw, str) else list(raw)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in Role.__members__]
    if unknown or not names:
        raise InputError(
            "unknown or missing roles" if names else "a user needs at least one role",
            [Problem("roles", "choose from: " + ", ".join(r.value for r in Role))],
        )
    return frozenset(Role(n) for n in names)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: Any) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        email=m["email"],
        name=m["name"],
        party_org_id=m["party_org_id"],
        roles=frozenset(Role(r) for r in m["roles"].split()),
        disabled=bool(m["disabled"]),
    )


def _normal_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email:
        raise InputError(
            "not an email address", [Problem("email", "enter an address like name@example.gov.uk")]
        )
    return email


def add_user(
    ws: Workspace,
    email: str,
    name: str,
    party_org_id: str,
    roles: Iterable[Role | str],
    password: str,
) -> User:
    """Create a user of ``party_org_id`` holding ``roles``; the password is stored as argon2."""
    problems: list[Problem] = []
    try:
        email = _normal_email(email)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        party = parse_org_id(party_org_id)
    except ValueError as exc:
        problems.append(Problem("party", str(exc)))
    try:
        role_set = parse_roles([str(r) for r in roles])
    except InputError as exc:
        problems.extend(exc.problems)
    if not name.strip():
        problems.append(Problem("name", "enter the person's or service's name"))
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password", f"must be at least {MIN_PASSWORD} characters"))
    if problems:
        raise InputError("cannot add this user", problems)
    with ws.engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise InputError("cannot add this user", [Problem("email", "already has an account")])
        result = conn.execute(
            users.insert().values(
                email=email,
                name=name.strip(),
                party_org_id=party,
                roles=" ".join(sorted(r.value for r in role_set)),
                password_hash=_hasher.hash(password),
                disabled=False,
                created_at=ws.clock.now(),
            )
        )
        key = result.inserted_primary_key
        if key is None:  # pragma: no cover - every supported database returns the key
            raise RuntimeError("the database did not return the user's id")
        return _get(conn, int(key[0]))


def _get(conn: Connection, user_id: int) -> User:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return _user(row)


def get_user(ws: Workspace, user_id: int) -> User:
    with ws.engine.connect() as conn:
        return _get(conn, user_id)


def user_by_email(ws: Workspace, email: str) -> User:
    with ws.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    if row is None:
        raise NotFound(f"no user with email {email}")
    return _user(row)


def list_users(ws: Workspace, party_org_id: str | None = None) -> list[User]:
    query = select(users).order_by(users.c.party_org_id, users.c.email)
    if party_org_id is not None:
        query = query.where(users.c.party_org_id == party_org_id)
    with ws.engine.connect() as conn:
        return [_user(r) for r in conn.execute(query).all()]


def authenticate(ws: Workspace, email: str, password: str) -> User:
    """The user with this email and password; raise :class:`NotAuthenticated` otherwise."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    stored = row._mapping["password_hash"] if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        row = None
    if row is None or row._mapping["disabled"]:
        raise NotAuthenticated(
            "the email address or password is not right",
            [Problem("password", "check both and try again")],
        )
    return _user(row)


def user_for_verified_email(ws: Workspace, email: str) -> User:
    """The accord user an identity provider's verified ``email`` belongs to (OpenID Connect).

    The provider proves who someone is; whether they may use accord, for which party and in
    which roles, is only ever what accord's own account says. No account (or a disabled one)
    is a refusal: accord never creates an account from a sign-in.
    """
    with ws.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    if row is None or row._mapping["disabled"]:
        raise NotAuthenticated(
            "your organisation's account is not linked to an accord account",
            [Problem("email", "ask your information governance lead to add you to accord")],
        )
    return _user(row)


# -- browser sessions ----------------------------------------------------------------------


def start_session(ws: Workspace, user: User, lifetime: timedelta = SESSION_LIFETIME) -> Session:
    """A new session for ``user`` with its own CSRF token; the id is returned once."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        conn.execute(
            user_sessions.insert().values(
                id_hash=_digest(session_id),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + lifetime,
                ended_at=None,
            )
        )
    return Session(session_id, user, csrf, now + lifetime)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for UTC columns; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_for(ws: Workspace, session_id: str) -> Session:
    """The live session with this id; raise :class:`NotAuthenticated` if unknown or over."""
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(user_sessions).where(user_sessions.c.id_hash == _digest(session_id))
        ).first()
        if row is None or row.ended_at is not None or _aware(row.expires_at) <= ws.clock.now():
            raise NotAuthenticated(
                "you need to sign in", [Problem("session", "signed out or expired")]
            )
        user = _get(conn, row.user_id)
    if user.disabled:
        raise NotAuthenticated("this account is disabled")
    return Session(session_id, user, row.csrf_token, _aware(row.expires_at))


def end_session(ws: Workspace, session_id: str) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            update(user_sessions)
            .where(
                user_sessions.c.id_hash == _digest(session_id), user_sessions.c.ended_at.is_(None)
            )
            .values(ended_at=ws.clock.now())
        )


# -- API tokens ----------------------------------------------------------------------------


def issue_token(
    ws: Workspace, user: User, name: str, lifetime: timedelta = TOKEN_LIFETIME
) -> IssuedToken:
    """A bearer token for machines acting as ``user``; it expires after ``lifetime``."""
    if lifetime <= timedelta(0) or lifetime > MAX_TOKEN_LIFETIME:
        raise InputError(
            "a token lifetime must be positive and at most a year",
            [Problem("lifetime", f"got {lifetime}")],
        )
    if not name.strip():
        raise InputError("name the token", [Problem("name", "say what will use it")])
    token_id = "tok_" + secrets.token_hex(6)
    token = f"{token_id}.{secrets.token_urlsafe(32)}"
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(
                id=token_id,
                user_id=user.id,
                name=name.strip(),
                token_hash=_digest(token),
                created_at=now,
                expires_at=now + lifetime,
                revoked_at=None,
            )
        )
    return IssuedToken(token_id, token, name.strip(), now + lifetime)


def token_user(ws: Workspace, token: str) -> User:
    """The user a bearer token acts for; raise :class:`NotAuthenticated` if it is not valid."""
    token_id = token.partition(".")[0]
    with ws.engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None or not hmac.compare_digest(row.token_hash, _digest(token)):
            raise NotAuthenticated("this API token is not valid", [Problem("token", "unknown")])
        if row.revoked_at is not None:
            raise NotAuthenticated("this API token has been revoked", [Problem("token", "revoked")])
        if _aware(row.expires_at) <= ws.clock.now():
            raise NotAuthenticated("this API token has expired", [Problem("token", "expired")])
        user = _get(conn, row.user_id)
    if user.disabled:
        raise NotAuthenticated("this account is disabled")
    return user


def token_in_force(ws: Workspace, token_id: str) -> User:
    """The user the token ``token_id`` acts for, if it is neither revoked nor expired now.

    For what a token handed out (a Delta Sharing file link names the token that asked for it):
    raise :class:`NotPermitted`, saying why, when the token no longer stands.
    """
    with ws.engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotPermitted("this link's token is not valid", [Problem("tok", "unknown")])
        if row.revoked_at is not None:
            raise NotPermitted(
                "the token this link was issued to has been revoked",
                [Problem("tok", "ask the discloser for a new profile")],
            )
        if _aware(row.expires_at) <= ws.clock.now():
            raise NotPermitted(
                "the token this link was issued to has expired",
                [Problem("tok", "ask the discloser for a new profile")],
            )
        user = _get(conn, row.user_id)
    if user.disabled:
        raise NotPermitted("the account this link was issued to is disabled")
    return user


def list_tokens(ws: Workspace, user: User) -> list[TokenInfo]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(api_tokens)
            .where(api_tokens.c.user_id == user.id)
            .order_by(api_tokens.c.created_at)
        ).all()
    return [
        TokenInfo(
            r.id,
            r.name,
            _aware(r.created_at),
            _aware(r.expires_at),
            _aware(r.revoked_at) if r.revoked_at else None,
        )
        for r in rows
    ]


def revoke_token(ws: Workspace, token_id: str, *, owner: User | None = None) -> None:
    """Revoke a token; with ``owner``, only that user's own token (others look unknown)."""
    with ws.engine.begin() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None or (owner is not None and row.user_id != owner.id):
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id)
                .values(revoked_at=ws.clock.now())
            )


__all__ = [
    "IssuedToken",
    "NewUser",
    "Role",
    "Session",
    "TokenInfo",
    "User",
    "add_user",
    "add_users",
    "authenticate",
    "end_session",
    "get_user",
    "issue_token",
    "list_tokens",
    "list_users",
    "parse_roles",
    "revoke_token",
    "session_for",
    "start_session",
    "token_in_force",
    "token_user",
    "user_by_email",
]


@dataclass(frozen=True)
class NewUser:
    """One account to create in bulk (see :func:`add_users`)."""

    email: str
    name: str
    party_org_id: str
    roles: tuple[str, ...]


def add_users(ws: Workspace, people: Iterable[NewUser], password: str) -> list[User]:
    """Create many accounts sharing one password, hashing it once (argon2 is slow on purpose).

    For a contact rota or an exercise's simulated role holders; every account is checked as
    :func:`add_user` checks one, and either all are created or none.
    """
    people = list(people)
    if len(password) < MIN_PASSWORD:
        raise InputError(
            "cannot add these users",
            [Problem("password", f"must be at least {MIN_PASSWORD} characters")],
        )
    digest = _hasher.hash(password)
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for i, p in enumerate(people):
        try:
            rows.append(
                {
                    "email": _normal_email(p.email),
                    "name": p.name.strip(),
                    "party_org_id": parse_org_id(p.party_org_id),
                    "roles": " ".join(sorted(r.value for r in parse_roles(list(p.roles)))),
                    "password_hash": digest,
                    "disabled": False,
                    "created_at": ws.clock.now(),
                }
            )
        except (InputError, ValueError) as exc:
            problems.append(Problem(f"users.{i}", str(exc)))
    if problems:
        raise InputError("cannot add these users", problems)
    emails = [r["email"] for r in rows]
    with ws.engine.begin() as conn:
        query = select(users.c.email).where(users.c.email.in_(emails))
        taken: list[str] = list(conn.execute(query).scalars().all())
        if taken or len(set(emails)) != len(emails):
            raise InputError(
                "cannot add these users",
                [Problem("email", "already has an account or is listed twice")],
            )
        conn.execute(users.insert(), rows)
        found = conn.execute(select(users).where(users.c.email.in_(emails))).all()
    by_email = {u.email: u for u in (_user(r) for r in found)}
    return [by_email[e] for e in emails]
