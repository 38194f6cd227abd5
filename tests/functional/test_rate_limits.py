"""Rate limits on sign-in and token use (per account or token, per address), their 429 with
Retry-After, bounded memory, and sign-in that answers an unknown account and a wrong password
alike."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from accord.server.app import create_app
from accord.server.ratelimit import Buckets, Limit, RateLimits
from accord.service import users as user_service

PASSWORD = "correct horse battery staple"
SIRO = "siro@nhs.example"


def _attempt(client: Any, csrf_from: Any, email: str, password: str) -> Any:
    token = csrf_from(client.get("/sign-in").text)
    form = {"email": email, "password": password, "csrf_token": token, "next": "/"}
    return client.post("/sign-in", data=form, follow_redirects=False)


def test_failed_sign_ins_lock_the_account_then_it_opens_again(site: Any, csrf_from: Any) -> None:
    site.app = create_app(
        site.ws, rate_limits=RateLimits(sign_in_per_account=Limit(3, timedelta(minutes=15)))
    )
    client = site.client()
    for _ in range(3):
        assert _attempt(client, csrf_from, SIRO, "wrong").status_code == 401
    locked = _attempt(client, csrf_from, " Siro@NHS.example ", PASSWORD)
    assert locked.status_code == 429
    wait = int(locked.headers["retry-after"])
    assert wait == 300  # one attempt back every 15 min / 3
    assert "Too many attempts" in locked.text and f"{wait} seconds" in locked.text
    # Another account from the same client is not locked by this one's failures.
    assert _attempt(site.client(), csrf_from, "dpo@nhs.example", PASSWORD).status_code == 303
    site.clock.advance(timedelta(seconds=wait))
    assert _attempt(site.client(), csrf_from, SIRO, PASSWORD).status_code == 303


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(
    site: Any, csrf_from: Any
) -> None:
    site.app = create_app(
        site.ws, rate_limits=RateLimits(sign_in_per_address=Limit(4, timedelta(minutes=15)))
    )
    client = site.client()
    for n in range(4):
        assert _attempt(client, csrf_from, f"nobody{n}@nhs.example", "guess").status_code == 401
    refused = _attempt(client, csrf_from, SIRO, PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "225"


def test_successful_sign_ins_are_not_counted(site: Any, csrf_from: Any) -> None:
    site.app = create_app(
        site.ws, rate_limits=RateLimits(sign_in_per_account=Limit(2, timedelta(minutes=15)))
    )
    for _ in range(4):
        assert _attempt(site.client(), csrf_from, SIRO, PASSWORD).status_code == 303


def test_token_uses_are_limited_per_token(site: Any) -> None:
    site.app = create_app(
        site.ws, rate_limits=RateLimits(token_uses_per_token=Limit(5, timedelta(minutes=1)))
    )
    client = site.client()
    headers = site.bearer(SIRO)
    for _ in range(5):
        assert client.get("/api/me", headers=headers).status_code == 200
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "12"
    assert refused.json() == {
        "ok": False,
        "error": "too many requests with this API token; try again in 12 seconds",
        "problems": [{"where": "rate", "reason": "wait 12 seconds"}],
    }
    sharing = client.get("/delta-sharing/shares", headers=headers)
    assert sharing.status_code == 429 and sharing.headers["retry-after"] == "12"
    assert sharing.json()["errorCode"] == "TOO_MANY_REQUESTS"
    # Another token of the same user has its own budget; the first is back after the wait.
    assert client.get("/api/me", headers=site.bearer(SIRO)).status_code == 200
    site.clock.advance(timedelta(seconds=12))
    assert client.get("/api/me", headers=headers).status_code == 200


def test_invalid_tokens_from_one_address_are_limited(site: Any) -> None:
    site.app = create_app(
        site.ws, rate_limits=RateLimits(bad_tokens_per_address=Limit(3, timedelta(minutes=1)))
    )
    client = site.client()
    for n in range(3):
        garbage = {"Authorization": f"Bearer tok_{n}.guess"}
        assert client.get("/api/me", headers=garbage).status_code == 401
    valid = site.bearer(SIRO)
    refused = client.get("/api/me", headers=valid)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "20"
    site.clock.advance(timedelta(seconds=20))
    assert client.get("/api/me", headers=valid).status_code == 200


def test_the_buckets_hold_at_most_max_keys(site: Any) -> None:
    buckets = Buckets(Limit(1, timedelta(hours=1)), site.clock.now, "tries", max_keys=100)
    for n in range(5000):
        buckets.spend(f"203.0.113.{n}")
    assert len(buckets) == 100
    buckets.check("203.0.113.0")  # long dropped: starts full again


def test_the_api_documents_429_and_retry_after(site: Any) -> None:
    spec = site.client().get("/api/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "401" not in operation["responses"]:
                continue  # takes no token, so no token limit
            too_many = operation["responses"].get("429")
            assert too_many is not None, (method, path)
            assert "Retry-After" in too_many["headers"], (method, path)


def _answer(response: Any) -> tuple[int, str]:
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text)
    return response.status_code, body


def test_an_unknown_account_and_a_wrong_password_get_the_same_answer(
    site: Any, csrf_from: Any
) -> None:
    client = site.client()
    unknown = _attempt(client, csrf_from, "nobody@nhs.example", "guess")
    wrong = _attempt(client, csrf_from, SIRO, "guess")
    assert _answer(unknown)[0] == _answer(wrong)[0] == 401
    assert _answer(unknown)[1].replace("nobody@nhs.example", SIRO) == _answer(wrong)[1]


def test_an_unknown_account_costs_a_password_hash_like_a_known_one(site: Any) -> None:
    """The answer takes as long (an argon2 verify against a dummy hash), so timing does not
    say whether an account exists: medians of five tries each within a factor of three."""

    def median(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            try:
                user_service.authenticate(site.ws, email, "guess")
            except Exception:  # noqa: BLE001 - both refuse; only the time is measured
                pass
            times.append(time.perf_counter() - start)
        return sorted(times)[2]

    known, unknown = median(SIRO), median("nobody@nhs.example")
    assert known / 3 < unknown < known * 3, (known, unknown)


def test_racing_callers_never_take_more_than_the_capacity(site: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from accord.errors import TooManyRequests

    buckets = Buckets(Limit(100, timedelta(hours=1)), site.clock.now, "tries")

    def attempt(_: int) -> bool:
        try:
            buckets.take("one key")
        except TooManyRequests:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = sum(pool.map(attempt, range(400)))
    assert taken == 100
