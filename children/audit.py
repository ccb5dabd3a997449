"""The read log of personal records (UU 27/2022): who opened which child's or mother's record, when."""

from __future__ import annotations

from collections.abc import Iterable

from children.models import RecordAccess
from convergence.models import User


def record_access(
    *, user: User, kind: str, object_ids: Iterable[int] = (), count: int = 0, channel: str, path: str = ""
) -> None:
    """Log reads: one row per record in `object_ids`, or one row for a list/export of `count` records.

    `path` is stored without its query string: a NIK never travels in a URL, but a search term might.
    """
    path = path.split("?", 1)[0][:200]
    rows = [
        RecordAccess(user=user, kind=kind, object_id=pk, record_count=1, channel=channel, path=path)
        for pk in object_ids
    ]
    if count and not rows:
        rows.append(
            RecordAccess(user=user, kind=kind, object_id=None, record_count=count, channel=channel, path=path)
        )
    if rows:
        RecordAccess.objects.bulk_create(rows)


def record_lookup(*, user: User, results: int, channel: str, path: str) -> None:
    """Log one NIK/KK look-up, hit or miss: how many records it found, never the number looked up."""
    RecordAccess.objects.create(
        user=user,
        kind=RecordAccess.Kind.LOOKUP,
        object_id=None,
        record_count=results,
        channel=channel,
        path=path.split("?", 1)[0][:200],
    )
