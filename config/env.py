"""Typed readers for environment variables that fail loudly at start-up on malformed values."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from error
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, *, schemes: set[str]) -> str | None:
    """Return the URL in `name`, or None when unset; a URL with another scheme or no host fails."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(sorted(s + '://' for s in schemes))}; got scheme "
            f"{parsed.scheme or '(none)'!r}"
        )
    if parsed.scheme != "sqlite" and not parsed.hostname and not parsed.path:
        raise ImproperlyConfigured(f"{name} has no host: {parsed.scheme}://…")
    try:
        parsed.port  # noqa: B018  (raises ValueError on a non-numeric port)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} has an invalid port") from error
    return raw


def env_url_list(name: str, *, schemes: set[str]) -> list[str]:
    """The comma-separated URLs in `name`, each checked as env_url checks one; [] when unset."""
    raw = os.environ.get(name, "")
    urls = [item.strip() for item in raw.split(",") if item.strip()]
    for position, url in enumerate(urls, start=1):
        label = f"{name} (URL {position})" if len(urls) > 1 else name
        parsed = urlparse(url)
        if parsed.scheme not in schemes:
            raise ImproperlyConfigured(
                f"{label} must start with one of {', '.join(sorted(s + '://' for s in schemes))}; got "
                f"scheme {parsed.scheme or '(none)'!r}"
            )
        if not parsed.hostname:
            raise ImproperlyConfigured(f"{label} has no host: {parsed.scheme}://…")
        try:
            parsed.port  # noqa: B018  (raises ValueError on a non-numeric port)
        except ValueError as error:
            raise ImproperlyConfigured(f"{label} has an invalid port") from error
    return urls


@dataclass(frozen=True)
class Rate:
    """At most `count` events in `seconds`."""

    count: int
    seconds: int


_RATE = re.compile(r"^(\d+)/(\d*)(s|sec|m|min|h|hour|d|day)$")
_PERIOD_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(text: str) -> Rate:
    """ "30/10min" -> Rate(30, 600); "20/min" -> Rate(20, 60). ValueError on anything else."""
    match = _RATE.match(text.strip().lower())
    if match is None or int(match[1]) < 1 or match[2] == "0":
        raise ValueError(text)
    return Rate(int(match[1]), int(match[2] or 1) * _PERIOD_SECONDS[match[3]])


def env_rate(name: str, default: str) -> Rate:
    raw = os.environ.get(name, "").strip() or default
    try:
        return parse_rate(raw)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} must look like 30/10min (a count, a slash, an optional number and s/min/hour/day), "
            f"got {raw!r}"
        ) from error


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of IP addresses or CIDR networks, each checked."""
    items = env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks, got {item!r}") from error
    return items


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def env_time(name: str, default: str) -> tuple[int, int]:
    """A local time of day written HH:MM (24-hour clock) as (hour, minute)."""
    raw = os.environ.get(name, "").strip() or default
    match = _CLOCK.match(raw)
    if match is None:
        raise ImproperlyConfigured(
            f"{name} must be a time of day written HH:MM (00:00 to 23:59), got {raw!r}"
        )
    return int(match[1]), int(match[2])
