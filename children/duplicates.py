"""The likely-duplicate queue and merges (owned by the registry work; placeholder until filled)."""

from __future__ import annotations

from children.models import Child, Person


def duplicates_find_for_child(*, child: Child) -> None:
    """Queue likely duplicates of `child` for review."""


def duplicates_find_for_person(*, person: Person) -> None:
    """Queue likely duplicates of `person` for review."""
