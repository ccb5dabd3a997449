from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AnonymousUser

from children.growth.weight_gain import KBMTable
from children.models import DuplicateCandidate, Measurement, MergeLog, MinimumWeightGain
from convergence.models import User
from convergence.scoping import restrict, scope_for_user


def kbm_table_on(*, day: datetime.date) -> KBMTable:
    """The KBM table in force on `day`: the rows of the latest `valid_from` <= day, as arrays for the engine.

    Returns an empty table when no version is in force yet (every weighing is then "not assessed").
    """
    latest = (
        MinimumWeightGain.objects.filter(valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
    ).first()
    rows = (
        list(
            MinimumWeightGain.objects.filter(valid_from=latest)
            .order_by("age_month_from")
            .values_list("age_month_from", "age_month_to", "min_gain_g")
        )
        if latest is not None
        else []
    )
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return KBMTable(age_month_from=table[:, 0], age_month_to=table[:, 1], min_gain_g=table[:, 2])


@dataclass(frozen=True)
class RecordChange:
    """A record that left the registry: deleted, or merged into another (`merged_into`)."""

    id: int
    kind: str  # the API resource: "children", "persons", "measurements"
    change: str  # "deleted" or "merged"
    when: datetime.datetime
    merged_into: int | None


MERGE_RESOURCES: dict[str, str] = {
    DuplicateCandidate.Kind.CHILD: "children",
    DuplicateCandidate.Kind.PERSON: "persons",
}


def record_changes_for_user(*, user: User | AnonymousUser, since: datetime.datetime) -> list[RecordChange]:
    """The deletions and merges after `since` that `user` may know of, oldest first.

    Scoped like the records: a merge by MergeLog's scope, a deleted measurement by its historical row
    (child's desa, posyandu). A measurement of a child since merged away has no child left to scope it
    by and is left out: the child's merge is listed. Both sources are small (a merge or a deletion is
    a correction), so they are merged in memory.
    """
    scope = scope_for_user(user)
    merges = restrict(MergeLog.objects.filter(merged_at__gt=since), user).values_list(
        "removed_id", "kind", "merged_at", "survivor_child_id", "survivor_person_id"
    )
    deleted = (
        Measurement.history.filter(Measurement.scope_q(scope), history_type="-", history_date__gt=since)
        .values_list("id", "history_date")
        .order_by()
    )
    changes = [
        RecordChange(
            id=removed_id,
            kind=MERGE_RESOURCES.get(kind, kind),
            change="merged",
            when=when,
            merged_into=child_id or person_id,
        )
        for removed_id, kind, when, child_id, person_id in merges
    ]
    changes += [
        RecordChange(id=pk, kind="measurements", change="deleted", when=when, merged_into=None)
        for pk, when in deleted
    ]
    return sorted(changes, key=lambda change: (change.when, change.kind, change.id))
