"""Rate limits on sign-in and on API-token use, per account or token and per client address.

Each limit is a token bucket per key: ``capacity`` attempts at once, refilled evenly over
``per``. A key whose bucket is empty gets :class:`~accord.errors.TooManyRequests` carrying
``Retry-After`` (whole seconds until one attempt is back), and the attempt is not tried at all
(so a locked account's right password is refused too, until the wait is over).

Memory is bounded: at most ``max_keys`` buckets per limit, the least recently used dropped
first (a dropped key starts again full, which only ever errs towards letting a caller in).
Time comes from the workspace's clock, so tests step it instead of sleeping. (The ``limits``
package would do the bucket arithmetic, but reads the wall clock and keeps memory unbounded.)

What is limited (see :class:`RateLimits`):

- ``POST /sign-in``: failed attempts per account (the email, normalised) and per address;
- bearer tokens: uses per token, and failed tokens (unknown, expired, revoked) per address;
- person lookups (``/api/rights/lookup``) per handler account, refused ones included;
- the person's own view (``/my-data``): attempts per address, so codes cannot be guessed.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.errors import Problem, TooManyRequests


@dataclass(frozen=True)
class Limit:
    """``capacity`` attempts, refilled evenly over ``per``."""

    capacity: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.per <= timedelta(0):
            raise ValueError("a limit needs a capacity of at least 1 and a positive period")


@dataclass(frozen=True)
class RateLimits:
    """The limits the server applies; ``create_app(rate_limits=...)`` changes them."""

    sign_in_per_account: Limit = Limit(10, timedelta(minutes=15))
    sign_in_per_address: Limit = Limit(50, timedelta(minutes=15))
    token_uses_per_token: Limit = Limit(1200, timedelta(minutes=1))
    bad_tokens_per_address: Limit = Limit(30, timedelta(minutes=1))
    person_lookups_per_user: Limit = Limit(30, timedelta(hours=1))
    own_view_per_address: Limit = Limit(10, timedelta(minutes=15))
    max_keys: int = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: datetime


@dataclass
class Buckets:
    """One limit's buckets, by key."""

    limit: Limit
    now: Callable[[], datetime]
    what: str  # names the limit in the error, e.g. "sign-in attempts for this account"
    max_keys: int = 10_000
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)
    # Sync routes run in a thread pool: each check and spend is one critical section.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _refilled(self, key: str) -> _Bucket:
        now = self.now()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(self.limit.capacity), now)
        else:
            rate = self.limit.capacity / self.limit.per.total_seconds()
            elapsed = max((now - bucket.at).total_seconds(), 0.0)
            bucket = _Bucket(min(self.limit.capacity, bucket.tokens + elapsed * rate), now)
        self._buckets[key] = bucket  # most recently used last
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return bucket

    def check(self, key: str) -> None:
        """Raise :class:`TooManyRequests` if ``key`` has no attempt left; spend nothing."""
        with self._lock:
            tokens = self._refilled(key).tokens
        if tokens < 1:
            raise self._refusal(tokens)

    def _refusal(self, tokens: float) -> TooManyRequests:
        rate = self.limit.capacity / self.limit.per.total_seconds()
        wait = math.ceil((1 - tokens) / rate)
        return TooManyRequests(
            f"too many {self.what}; try again in {wait} seconds",
            [Problem("rate", f"wait {wait} seconds")],
            retry_after=wait,
        )

    def spend(self, key: str) -> None:
        """Count one attempt against ``key``."""
        with self._lock:
            bucket = self._refilled(key)
            bucket.tokens = max(bucket.tokens - 1, 0.0)

    def take(self, key: str) -> None:
        """Check, then spend one attempt (as one step: two racing callers cannot both take the
        last attempt)."""
        with self._lock:
            bucket = self._refilled(key)
            if bucket.tokens < 1:
                raise self._refusal(bucket.tokens)
            bucket.tokens -= 1

    def __len__(self) -> int:
        return len(self._buckets)


class Limiter:
    """The server's buckets, one set per app."""

    def __init__(self, limits: RateLimits, now: Callable[[], datetime]) -> None:
        def buckets(limit: Limit, what: str) -> Buckets:
            return Buckets(limit, now, what, limits.max_keys)

        self.sign_in_account = buckets(
            limits.sign_in_per_account, "sign-in attempts for this account"
        )
        self.sign_in_address = buckets(
            limits.sign_in_per_address, "sign-in attempts from this address"
        )
        self.token = buckets(limits.token_uses_per_token, "requests with this API token")
        self.bad_token = buckets(
            limits.bad_tokens_per_address, "invalid API tokens from this address"
        )
        self.lookup = buckets(limits.person_lookups_per_user, "person lookups by this account")
        self.own_view = buckets(limits.own_view_per_address, "attempts from this address")


__all__ = ["Buckets", "Limit", "Limiter", "RateLimits"]
