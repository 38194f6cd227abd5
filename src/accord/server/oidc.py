"""OpenID Connect sign-in: the relying-party side of the authorisation code flow with PKCE.

accord is a confidential client of one provider (NHS CIS2 Authentication, Microsoft Entra
ID, GOV.UK One Login or any OpenID Connect Core 1.0 provider), configured by
:class:`OidcSettings`. :mod:`authlib` is the OAuth 2.0 client (authorisation URL, PKCE S256,
the code exchange with the client secret); :mod:`joserfc` checks the id_token's signature
against the provider's JWKS. What this module checks, in order, on the way back:

1. ``state`` equals the one sent, held in a signed, HttpOnly cookie (no login CSRF);
2. the code is exchanged with the PKCE ``code_verifier`` whose S256 challenge was sent;
3. the id_token is signed by a key of the provider's JWKS (an algorithm the provider
   advertises, never ``none``); ``iss`` is the configured issuer (which must equal the
   discovery document's); ``aud`` contains the client id (``azp`` too when there are several
   audiences); ``exp`` is after now and ``iat`` not in the future (the workspace clock, a
   minute's leeway); ``nonce`` equals the one sent (no replay);
4. the id_token's ``email`` is verified (``email_verified`` true) unless the deployment
   said otherwise by name (``unsafe_accept_unverified_email``), and the person is then the
   accord user with that email (:func:`accord.service.users.user_for_verified_email`): the
   provider proves who someone is, accord alone decides what they may do.

Every refusal is :class:`~accord.errors.NotAuthenticated` with the reason; no token, code or
claim value is logged.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accord.errors import ConfigError, NotAuthenticated, Problem

__all__ = ["FlowState", "OidcClient", "OidcSettings", "VerifiedIdentity"]

log = logging.getLogger(__name__)
LEEWAY_SECONDS = 60
TIMEOUT_SECONDS = 10
FLOW_LIFETIME_SECONDS = 600  # a sign-in started more than ten minutes ago is started again
_ALLOWED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


@dataclass(frozen=True)
class OidcSettings:
    """One provider: its issuer URL and accord's client registration there."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    label: str = "Sign in with your organisation's account"
    unsafe_accept_unverified_email: bool = False

    def __post_init__(self) -> None:
        if not _secure(self.issuer):
            raise ConfigError(
                "the OpenID Connect issuer must be an https URL",
                [Problem("oidc.issuer", "use https (plain http only on a loopback address)")],
            )
        if "openid" not in self.scopes:
            raise ConfigError("the scopes must include openid", [Problem("oidc.scopes", "")])


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return parts.hostname == "localhost"


@dataclass(frozen=True)
class FlowState:
    """What the browser carries (signed) between leaving for the provider and coming back."""

    state: str
    nonce: str
    code_verifier: str
    next: str
    started: int  # unix seconds, workspace clock

    def encode(self) -> str:
        raw = json.dumps([self.state, self.nonce, self.code_verifier, self.next, self.started])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> FlowState:
        try:
            padded = text + "=" * (-len(text) % 4)
            state, nonce, verifier, next_, started = json.loads(base64.urlsafe_b64decode(padded))
            return cls(str(state), str(nonce), str(verifier), str(next_), int(started))
        except (ValueError, TypeError) as exc:
            raise _refused("the sign-in state cookie is not readable") from exc


@dataclass(frozen=True)
class VerifiedIdentity:
    """The checked claims of an id_token: who the provider says signed in."""

    subject: str
    email: str
    claims: dict[str, Any]


def _refused(reason: str) -> NotAuthenticated:
    return NotAuthenticated(
        "sign-in with your organisation's account did not complete",
        [Problem("oidc", reason)],
    )


class OidcClient:
    """The relying party of one provider; discovery and keys are fetched once and kept."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            scope=" ".join(self.settings.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        if not _secure(url):
            raise _refused("the provider named an endpoint that is not https")
        with self._session() as http:
            response = http.get(url, timeout=TIMEOUT_SECONDS, withhold_token=True)
        if response.status_code != 200:
            raise _refused(f"the provider answered {response.status_code} for {url}")
        found: dict[str, Any] = response.json()
        return found

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document; its ``issuer`` must be the configured one."""
        if self._metadata is None:
            issuer = self.settings.issuer.rstrip("/")
            found = self._get_json(issuer + "/.well-known/openid-configuration")
            if str(found.get("issuer", "")).rstrip("/") != issuer:
                raise _refused("the provider's discovery document names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str):
                    raise _refused(f"the provider's discovery document has no {key}")
            self._metadata = found
        return self._metadata

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

    def start(self, redirect_uri: str, next_: str, now: datetime) -> tuple[str, FlowState]:
        """The provider URL to send the browser to, and the state to keep in its cookie."""
        flow = FlowState(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            next=next_,
            started=int(now.timestamp()),
        )
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
        )
        return url, flow

    def finish(
        self, redirect_uri: str, flow: FlowState, params: dict[str, str], now: datetime
    ) -> VerifiedIdentity:
        """Check the provider's answer, exchange the code and verify the id_token."""
        if not hmac.compare_digest(params.get("state", ""), flow.state):
            raise _refused("the state returned is not the one this browser was sent with")
        if int(now.timestamp()) - flow.started > FLOW_LIFETIME_SECONDS:
            raise _refused("the sign-in took too long; start again")
        if "error" in params:
            raise _refused(f"the provider refused: {params['error'][:64]}")
        code = params.get("code", "")
        if not code:
            raise _refused("the provider sent no authorisation code")
        with self._session(redirect_uri) as http:
            try:
                token = http.fetch_token(
                    self.metadata()["token_endpoint"],
                    code=code,
                    code_verifier=flow.code_verifier,
                    timeout=TIMEOUT_SECONDS,
                )
            except Exception as exc:  # noqa: BLE001 - any failure of the exchange is a refusal
                raise _refused(f"the code exchange failed ({type(exc).__name__})") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _refused("the provider returned no id_token")
        return self.verify_id_token(id_token, flow.nonce, now)

    def _decode(self, id_token: str) -> jwt.Token:
        algs = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [a for a in algs if a in _ALLOWED_ALGS]
        try:
            return jwt.decode(id_token, self._key_set(), algorithms=allowed)
        except JoseError:
            # The provider may have rolled its keys: fetch them once more, then give up.
            try:
                return jwt.decode(id_token, self._key_set(refresh=True), algorithms=allowed)
            except (JoseError, ValueError) as exc:
                raise _refused(f"the id_token's signature does not verify ({exc})") from exc
        except ValueError as exc:
            raise _refused(f"the id_token is not a signed JWT ({exc})") from exc

    def verify_id_token(self, id_token: str, nonce: str, now: datetime) -> VerifiedIdentity:
        """The id_token's claims once signature, issuer, audience, times and nonce hold."""
        claims = dict(self._decode(id_token).claims)
        issuer = self.settings.issuer.rstrip("/")
        if str(claims.get("iss", "")).rstrip("/") != issuer:
            raise _refused("the id_token was issued by another issuer")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud or [])
        if self.settings.client_id not in audiences:
            raise _refused("the id_token is not for this service (audience)")
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise _refused("the id_token's authorised party is not this service")
        moment = int(now.timestamp())
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS <= moment:
            raise _refused("the id_token has expired")
        if not isinstance(iat, int | float) or iat - LEEWAY_SECONDS > moment:
            raise _refused("the id_token was issued in the future")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise _refused("the id_token's nonce is not the one sent (a replay?)")
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise _refused("the provider sent no email address (ask for the email scope)")
        if claims.get("email_verified") is not True:
            if not self.settings.unsafe_accept_unverified_email:
                raise _refused("the provider has not verified this email address")
            log.warning(
                "accepting an email address the provider did not verify"
                " (unsafe_accept_unverified_email is set)"
            )
        return VerifiedIdentity(str(claims.get("sub", "")), email, claims)
