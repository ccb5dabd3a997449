"""The lock a summary writer takes for its chunk, and the version readers cache against."""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import connection, transaction


def lock(key: str) -> None:
    """Serialise writers of one chunk (PostgreSQL advisory lock, released at commit).

    SQLite serialises writers itself.
    """
    if connection.vendor != "postgresql":
        return
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _version_key(kabupaten_code: str) -> str:
    return f"reports:summaries:{kabupaten_code}"


def summaries_version(kabupaten_code: str) -> str:
    """Changes whenever a recompute writes a summary row of the kabupaten: pages cache against it."""
    return cache.get(_version_key(kabupaten_code)) or "0"


def summaries_versions(kabupaten_codes: list[str]) -> str:
    """One version for many kabupaten (a province, the nation): changes when any of theirs does.

    One cache round trip whatever the number of kabupaten."""
    found = cache.get_many([_version_key(code) for code in kabupaten_codes])
    joined = ",".join(f"{code}={found.get(_version_key(code)) or '0'}" for code in kabupaten_codes)
    return hashlib.blake2b(joined.encode(), digest_size=10).hexdigest()


def summaries_changed(kabupaten_code: str) -> None:
    """A new version once the writing transaction commits (readers never cache uncommitted rows)."""
    transaction.on_commit(lambda: cache.set(_version_key(kabupaten_code), uuid.uuid4().hex, None))
