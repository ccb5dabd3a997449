"""The duplicate scan: the whole registry compared with the rules of children.duplicates, batch by
batch of desa, filling the review queue (nightly, and on demand from the queue page).

Records saved one by one are compared when saved; bulk loads (imports, the demo, data loaded before
the queue existed) are not, and this scan is what finds them. It is idempotent: a pair queued before,
in any status, is never queued again (a dismissed pair stays dismissed).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, QuerySet, Window

from children.access import can_merge
from children.duplicates import (
    ChildKey,
    Kind,
    PersonKey,
    _child_keys,
    _pairs_in_groups,
    _queue,
    child_pair,
    person_pair,
)
from children.models import Child, Person
from convergence.models import Region, User
from convergence.scoping import restrict

# Desa per batch. A desa registers a few hundred to a few thousand children, so 200 desa keep each
# batch's grouped rows (only those sharing a birth date) to some thousands and the IN lists far below
# SQLite's variable limit, while a 300-desa kabupaten still takes two batches of four queries.
SCAN_DESA_BATCH = 200


def _grouped(queryset: QuerySet[Any], partition: list[str]) -> QuerySet[Any]:
    """Rows of `queryset` that share the `partition` columns with at least one other row (one SQL query)."""
    return queryset.annotate(
        group_size=Window(Count("pk"), partition_by=[F(name) for name in partition])
    ).filter(group_size__gt=1)


def _scan_children(desa_ids: list[int]) -> int:
    children = Child.objects.order_by()
    same_desa_day = children.filter(desa_id__in=desa_ids)
    # A mother's children may be registered in two desa: take every child of the mothers seen here.
    with_mother = children.filter(
        mother__isnull=False,
        mother_id__in=Child.objects.filter(desa_id__in=desa_ids, mother__isnull=False).values("mother_id"),
    )
    groups: dict[tuple[Any, ...], list[ChildKey]] = defaultdict(list)
    for key in _child_keys(_grouped(same_desa_day, ["desa_id", "birth_date"])):
        groups[("desa", key.desa_id, key.birth_date)].append(key)
    for key in _child_keys(_grouped(with_mother, ["mother_id", "birth_date", "sex"])):
        groups[("mother", key.mother_id, key.birth_date, key.sex)].append(key)
    return _queue(Kind.CHILD, _pairs_in_groups(groups.values(), child_pair).values())


def _scan_persons(desa_ids: list[int]) -> int:
    persons = Person.objects.order_by().filter(birth_date__isnull=False, desa_id__in=desa_ids)
    groups: dict[tuple[int, datetime.date], list[PersonKey]] = defaultdict(list)
    rows = _grouped(persons, ["desa_id", "birth_date"]).values_list("pk", "name", "birth_date", "desa_id")
    for row in rows.iterator(chunk_size=2000):
        key = PersonKey(*row)
        groups[(key.desa_id, key.birth_date)].append(key)
    return _queue(Kind.PERSON, _pairs_in_groups(groups.values(), person_pair).values())


def _desa_batches(desa_ids: Iterable[int] | None) -> Iterator[list[int]]:
    if desa_ids is None:
        # Every desa holding a record, whatever its status (retired desa keep their people).
        found = set(Child.objects.order_by().values_list("desa_id", flat=True).distinct())
        found |= set(Person.objects.order_by().values_list("desa_id", flat=True).distinct())
        desa_ids = found - {None}
    ordered = sorted(set(desa_ids))
    for start in range(0, len(ordered), SCAN_DESA_BATCH):
        yield ordered[start : start + SCAN_DESA_BATCH]


def duplicates_scan(*, desa_ids: Iterable[int] | None = None) -> int:
    """Queue every likely duplicate pair of the registry (or of the children/persons in `desa_ids`).

    Desa are taken SCAN_DESA_BATCH at a time; per batch the database groups rows by (desa, birth
    date) and (mother, birth date, sex) and returns only the groups with more than one row, so the
    work follows the number of same-day births, not the square of the registry, and a batch costs
    a constant number of queries. Returns the number of pairs queued (0 on a second run).
    """
    created = 0
    for batch in _desa_batches(desa_ids):
        created += _scan_children(batch) + _scan_persons(batch)
    return created


def duplicates_scan_request(*, user: User) -> int | None:
    """Scan the desa of `user`'s scope (puskesmas officer, Bappeda): queued after commit on a worker,
    or run here when tasks run in-process (the embedded default), returning the number of pairs
    queued then. PermissionDenied for the roles that do not review the queue."""
    if not can_merge(user):
        raise PermissionDenied
    from children.tasks import duplicates_scan as scan_task

    desa_ids = list(
        restrict(Region.objects.filter(level__in=["desa", "kelurahan"]), user)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # The app's live setting: tests and the embedded default run tasks in-process.
    if scan_task.app.conf.task_always_eager:
        return int(scan_task.apply(kwargs={"desa_ids": desa_ids}).get())
    transaction.on_commit(lambda: scan_task.delay(desa_ids=desa_ids))
    return None
