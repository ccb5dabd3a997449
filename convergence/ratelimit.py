"""Rate limits counted in the shared cache, and the client address they (and django-axes) key on.

Counts live in Django's default cache: Redis in production, so every gunicorn worker and every host sees
one count (a per-process count let 46 token requests through a "20/min" limit with three workers); local
memory on the embedded default, which runs one process. A window opens at the first event and lasts the
rate's period; its count is raised with the cache's atomic `incr`, so parallel requests cannot slip
between a read and a write.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from config.env import Rate

LOGIN_FAILURES = "login-failures"


@functools.lru_cache(maxsize=8)
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _is_trusted(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind trusted proxies, the nearest X-Forwarded-For hop
    that is not one of them (hops left of it were written by the client and prove nothing)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not _is_trusted(remote, networks):
        return remote
    client = remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Seconds until the window closes; 0 when allowed.
    retry_after: int = 0
    # The window's allowance, what is left of it and seconds until it ends (0 for a peek).
    limit: int = 0
    remaining: int = 0
    reset: int = 0


def rate_limit_headers(verdict: Verdict) -> dict[str, str]:
    """X-RateLimit-Limit/-Remaining/-Reset for a counted event (Reset in seconds, like Retry-After:
    no clock shared with the client is needed)."""
    if not verdict.limit:
        return {}
    return {
        "X-RateLimit-Limit": str(verdict.limit),
        "X-RateLimit-Remaining": str(verdict.remaining),
        "X-RateLimit-Reset": str(verdict.reset),
    }


def _keys(scope: str, ident: str) -> tuple[str, str]:
    # Hashed: the cache holds no address or user id in clear, and any identifier makes a valid key.
    digest = hashlib.sha256(f"{scope}\0{ident}".encode()).hexdigest()[:32]
    return f"ratelimit:{digest}:count", f"ratelimit:{digest}:start"


def _retry_after(start_key: str, rate: Rate, now: float) -> int:
    started = cache.get(start_key, now)
    return max(1, int(started + rate.seconds - now + 0.999))


def rate_limit_hit(*, scope: str, ident: str, rate: Rate) -> Verdict:
    """Count one event of `ident` under `scope`; allowed while the window holds at most `rate.count`."""
    count_key, start_key = _keys(scope, ident)
    now = time.time()
    # add() writes only when the key is absent (atomically): the first event of a window opens it.
    cache.add(start_key, now, timeout=rate.seconds)
    cache.add(count_key, 0, timeout=rate.seconds)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(start_key, now, timeout=rate.seconds)
        cache.set(count_key, 1, timeout=rate.seconds)
        count = 1
    reset = _retry_after(start_key, rate, now)
    window = {"limit": rate.count, "remaining": max(0, rate.count - count), "reset": reset}
    if count <= rate.count:
        return Verdict(allowed=True, **window)
    return Verdict(allowed=False, retry_after=reset, **window)


def rate_limit_peek(*, scope: str, ident: str, rate: Rate) -> Verdict:
    """Whether one more event would be allowed, without counting it."""
    count_key, start_key = _keys(scope, ident)
    if cache.get(count_key, 0) < rate.count:
        return Verdict(allowed=True)
    return Verdict(allowed=False, retry_after=_retry_after(start_key, rate, time.time()))


def login_address_check(request: HttpRequest) -> Verdict:
    """Whether the client's address may try a password now (failed logins across all usernames)."""
    return rate_limit_peek(
        scope=LOGIN_FAILURES, ident=client_address(request), rate=settings.LOGIN_FAILURE_ADDRESS_RATE
    )


def login_failure_record(request: HttpRequest) -> None:
    """Count one failed login against the client's address."""
    rate_limit_hit(
        scope=LOGIN_FAILURES, ident=client_address(request), rate=settings.LOGIN_FAILURE_ADDRESS_RATE
    )


def on_user_login_failed(
    sender: object, credentials: dict[str, object], request: HttpRequest | None = None, **kwargs: object
) -> None:
    """Receiver of Django's user_login_failed: authenticate() sends it for every entry point (sign-in
    page, admin, API token), so no failed password escapes the count."""
    if request is not None:
        login_failure_record(request)
