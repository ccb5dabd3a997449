"""The lock a summary writer takes for its chunk."""

from __future__ import annotations

import hashlib

from django.db import connection


def lock(key: str) -> None:
    """Serialise writers of one chunk (PostgreSQL advisory lock, released at commit).

    SQLite serialises writers itself.
    """
    if connection.vendor != "postgresql":
        return
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])
