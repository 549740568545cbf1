"""Failed sign-ins: stopped per account and address, only slowed per account.

A per-account lockout lets anyone lock a real user (the administrator) out by failing their
password from anywhere. So the counts that refuse are the ones an attacker's own address
fills, and the account-wide count only slows (OWASP's "slow down online guessing"):

- one account from one address (LOGIN_RATE_LIMIT) and one address on any accounts
  (LOGIN_ADDRESS_RATE_LIMIT) refuse with a 429 (app.auth's flask-limiter decorators);
- one account from all addresses (LOGIN_ACCOUNT_RATE_LIMIT): past it the account is *slowed*.
  An address that failed on it in the last RECENT_FAILURE minutes is refused; any other
  address may try, but the whole account takes one try per LOGIN_SLOWED_SECONDS. A guesser
  spread over many addresses gets one guess per interval, and each address one guess; the
  real user, from an address that has not failed, waits seconds at most, not an hour.

A browser that has signed in to an account before carries a device cookie for it (OWASP's
"device cookies"): with it, that account's sign-ins skip the address and account counts above,
so an attacker behind the same address (an office's NAT) or slowing the account does not stop
its user. The cookie is signed, names the account and a random nonce, and has failure counts of
its own (LOGIN_RATE_LIMIT per nonce): a stolen cookie gives a guesser no more tries than one
address does.

The counts live in flask-limiter's storage (memory, or Redis shared by the web workers).
"""

from __future__ import annotations

import secrets
import time

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse, parse_many

from app.extensions import limiter

# How long an address that failed on an account is kept off it while the account is slowed.
RECENT_FAILURE = parse("1 per 15 minutes")

DEVICE_COOKIE = "cf_device"
DEVICE_DAYS = 180


def account_key(username: str) -> str:
    """The name the counts use for an account: as typed, case-folded (known or not)."""
    return username.strip().lower()[:80]


def _ids(kind: str, *parts: str) -> tuple[str, ...]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return (prefix, kind, *parts) if prefix else (kind, *parts)


def _account_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _slot() -> RateLimitItem:
    return parse(f"1 per {int(current_app.config['LOGIN_SLOWED_SECONDS'])} second")


def _counting() -> bool:
    # RATELIMIT_ENABLED = False (a test or an operator's choice) turns every count off.
    return bool(limiter.enabled)


def record_failure(username: str, address: str) -> None:
    """Count a failed sign-in on the account (from everywhere) and from this address."""
    if not _counting():
        return
    account = account_key(username)
    for item in _account_limits():
        limiter.limiter.hit(item, *_ids("login-account", account))
    limiter.limiter.hit(RECENT_FAILURE, *_ids("login-recent", account, address))


def slowed(username: str) -> bool:
    """True when the account has had more failures, from all addresses, than its limit."""
    if not _counting():
        return False
    account = account_key(username)
    return not all(
        limiter.limiter.test(item, *_ids("login-account", account)) for item in _account_limits()
    )


def wait_before_trying(username: str, address: str) -> int | None:
    """None when this attempt may check the password; otherwise the seconds to wait.

    Only a slowed account makes anyone wait: an address that failed on it recently waits
    until that failure is RECENT_FAILURE old, any other address until the account's next
    try (taking it now when it is free).
    """
    if not slowed(username):
        return None
    account = account_key(username)
    recent = _ids("login-recent", account, address)
    if not limiter.limiter.test(RECENT_FAILURE, *recent):
        reset = limiter.limiter.get_window_stats(RECENT_FAILURE, *recent).reset_time
        return _seconds_until(reset)
    slot = _slot()
    ids = _ids("login-slot", account)
    if limiter.limiter.hit(slot, *ids):
        return None
    return _seconds_until(limiter.limiter.get_window_stats(slot, *ids).reset_time)


def _seconds_until(reset_time: float) -> int:
    return max(1, int(reset_time - time.time() + 0.999))


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sign-in-device")


def _device_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_RATE_LIMIT"])


def _device_nonce(username: str) -> str | None:
    """The nonce of this request's device cookie when it was issued for `username`."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        account, nonce = _device_serializer().loads(value, max_age=DEVICE_DAYS * 86400)
    except (BadSignature, TypeError, ValueError):
        return None
    return nonce if account == account_key(username) and isinstance(nonce, str) else None


def trusted_device(username: str) -> bool:
    """True when the browser signed in to this account before and its cookie has not failed
    more than LOGIN_RATE_LIMIT allows since."""
    nonce = _device_nonce(username) if _counting() else None
    return nonce is not None and all(
        limiter.limiter.test(item, *_ids("login-device", nonce)) for item in _device_limits()
    )


def record_device_failure(username: str) -> None:
    """Count a failure against the device cookie presented (its own lockout)."""
    nonce = _device_nonce(username) if _counting() else None
    if nonce is not None:
        for item in _device_limits():
            limiter.limiter.hit(item, *_ids("login-device", nonce))


def remember_device(response: Response, username: str) -> None:
    """Give the browser that just signed in a device cookie for this account."""
    value = _device_serializer().dumps([account_key(username), secrets.token_urlsafe(16)])
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path="/auth/login",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
