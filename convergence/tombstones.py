"""Tombstones: what left the synced lists (deleted, or merged into another record) for the changes feed.

One mechanism for every kind: the services delete through `records_delete` (or, for rows a bulk path
removes without the ORM, call `tombstones_record` first), which writes a Tombstone for every deleted
record of a registered model, cascades included (a child's measurements go with the child), in the
deletion's transaction. Each app registers its synced models at start-up (AppConfig.ready), with where
a record was (`place`) and how a tombstone of that kind is scoped (`scope_q`, over Tombstone's columns),
so this module imports no app above it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import router, transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.deletion import Collector

from convergence.models import Tombstone, User
from convergence.scoping import NOTHING, Scope, restrict


@dataclass(frozen=True)
class Place:
    """Where a removed record was, as Tombstone keeps it for scoping."""

    region_id: int | None
    posyandu_id: int | None = None
    opd_id: int | None = None
    level: str = ""


@dataclass(frozen=True)
class SyncedKind:
    kind: str  # the API resource the record was listed in ("children", "prevalence", ...)
    place: Callable[[Any], Place]
    scope_q: Callable[[Scope], Q]


_KINDS: dict[type[Model], SyncedKind] = {}


def synced_kind_register(
    model: type[Model], *, kind: str, place: Callable[[Any], Place], scope_q: Callable[[Scope], Q]
) -> None:
    """Register `model` as listed under `kind` with `updated_since`: its deletions go to the feed."""
    _KINDS[model] = SyncedKind(kind=kind, place=place, scope_q=scope_q)


def synced_kinds() -> list[str]:
    return sorted({entry.kind for entry in _KINDS.values()})


def tombstone_scope_q(scope: Scope) -> Q:
    """The tombstones `scope` may see: each kind scoped by its own rule."""
    q = NOTHING
    for entry in {entry.kind: entry for entry in _KINDS.values()}.values():
        q |= Q(kind=entry.kind) & entry.scope_q(scope)
    return q


def area_q(scope: Scope, *, by_opd: bool = False) -> Q:
    """The rule of registry rows by place: a kader sees a tombstone of her posyandu, or, for a record
    followed by desa (no posyandu), of her desa; the other roles their area, and with `by_opd` an OPD
    officer his agency's (convergence.scoping)."""
    opd = "opd" if by_opd else None
    return (Q(posyandu__isnull=False) & scope.q(desa="region", posyandu="posyandu", opd=opd)) | (
        Q(posyandu__isnull=True) & scope.q(desa="region", opd=opd)
    )


def tombstones_record(
    records: Iterable[Model], *, merged_into: Mapping[tuple[type[Model], int], int] | None = None
) -> int:
    """Write the tombstones of `records` (about to be deleted; unregistered models are skipped).

    `merged_into` maps (model, id) of a merged record to the id of the record that kept its data.
    Returns the number written. Call inside the deletion's transaction.
    """
    merged_into = merged_into or {}
    rows = []
    for record in records:
        entry = _KINDS.get(type(record))
        if entry is None:
            continue
        place = entry.place(record)
        rows.append(
            Tombstone(
                kind=entry.kind,
                record_id=record.pk,
                merged_into=merged_into.get((type(record), record.pk)),
                region_id=place.region_id,
                posyandu_id=place.posyandu_id,
                opd_id=place.opd_id,
                level=place.level,
            )
        )
    Tombstone.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def records_delete(
    records: Iterable[Model] | QuerySet[Any],
    *,
    merged_into: Mapping[tuple[type[Model], int], int] | None = None,
) -> int:
    """Delete `records` and what cascades from them, leaving a tombstone for each synced record.

    Uses Django's own deletion collector, so the tombstones list exactly what the delete removes.
    Returns the number of rows deleted.
    """
    records = list(records)
    if not records:
        return 0
    using = router.db_for_write(type(records[0]))
    with transaction.atomic(using=using):
        collector = Collector(using=using)
        collector.collect(records)
        removed: list[Model] = [
            obj for model, objs in collector.data.items() if model in _KINDS for obj in objs
        ]
        # Related rows without signals or cascades of their own are deleted as querysets.
        for queryset in collector.fast_deletes:
            if getattr(queryset, "model", None) in _KINDS:
                removed.extend(queryset)
        tombstones_record(removed, merged_into=merged_into)
        deleted, _ = collector.delete()
    return deleted


def record_changes_for_user(*, user: User | AnonymousUser, since: datetime.datetime) -> QuerySet[Tombstone]:
    """The tombstones after `since` that `user` may see, oldest first (each kind scoped by its rule)."""
    return restrict(Tombstone.objects.filter(removed_at__gt=since), user).order_by(
        "removed_at", "kind", "record_id"
    )
