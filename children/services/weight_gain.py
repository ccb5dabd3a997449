"""Writes of the weight-gain statuses (N/T/2T/O/B) of weighings, recomputed after measurements change.

Each status depends on the weighing before it, so a change on a day refreshes every later weighing of
the child; the statuses come from the one vectorised engine (children.compute).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils import timezone

from children import compute
from children.growth.weight_gain import NOT_ASSESSED
from children.models import Measurement
from children.selectors import kbm_table_on, kbm_versions

if TYPE_CHECKING:
    from children.models import Child


def child_weight_gain_refresh(*, child: Child, since: datetime.date) -> None:
    """Recompute N/T/2T/O/B of the child's weighings from `since` on (each depends on the one before)."""
    children_weight_gain_refresh(since_by_child={child.pk: since})


def children_weight_gain_refresh(*, since_by_child: dict[int, datetime.date]) -> None:
    """Recompute N/T/2T/O/B of each child's weighings from its `since` day on, for many children at once.

    Each child's run uses the KBM table in force on its last weighing, as for one child alone; the
    children sharing a table are computed in one vectorised call.
    """
    if not since_by_child:
        return
    rows = list(
        Measurement.objects.filter(child_id__in=since_by_child, weight_kg__isnull=False)
        .order_by("child_id", "measured_on")
        .values_list("pk", "child_id", "measured_on", "weight_kg", "weight_gain", "child__birth_date")
    )
    todo_by_version: dict[datetime.date | None, list[tuple[Any, ...]]] = {}
    last_day_of_version: dict[datetime.date | None, datetime.date] = {}
    versions = kbm_versions()
    start = 0
    while start < len(rows):
        child_id = rows[start][1]
        end = start
        while end < len(rows) and rows[end][1] == child_id:
            end += 1
        weighings = rows[start:end]
        first = next((k for k, row in enumerate(weighings) if row[2] >= since_by_child[child_id]), None)
        if first is not None:
            before = weighings[first - 1] if first > 0 else None
            last_day = weighings[-1][2]
            in_force = [version for version in versions if version <= last_day]
            version = in_force[-1] if in_force else None
            todo_by_version.setdefault(version, []).extend((row, before) for row in weighings[first:])
            last_day_of_version[version] = last_day
        start = end
    changed: dict[int, list[int]] = {}  # status code -> pks of the weighings that take it
    for version, todo in todo_by_version.items():
        befores = [before for _, before in todo]
        has_before = np.array([b is not None for b in befores])
        before_day = np.array(
            [b[2] if b else datetime.date(1970, 1, 1) for b in befores], dtype="datetime64[D]"
        )
        previous = compute.PreviousWeighing(
            weight_kg=np.array([float(b[3]) if b else np.nan for b in befores]),
            month_index=np.where(has_before, compute.month_index(before_day), -1).astype(np.int64),
            status=np.array([b[4] if b else NOT_ASSESSED for b in befores], dtype=np.int8),
        )
        status = compute.weight_gain_run(
            child_key=np.array([row[1] for row, _ in todo], dtype=np.int64),
            birth_date=np.array([row[5] for row, _ in todo], dtype="datetime64[D]"),
            measured_on=np.array([row[2] for row, _ in todo], dtype="datetime64[D]"),
            weight_kg=np.array([float(row[3]) for row, _ in todo]),
            previous=previous,
            kbm=kbm_table_on(day=last_day_of_version[version]),
        )
        for (row, _before), code in zip(todo, status, strict=True):
            if row[4] != code:
                changed.setdefault(int(code), []).append(row[0])
    # One UPDATE per status (a handful): bulk_update's CASE over a thousand ids cost seconds in Python.
    # updated_at set by hand (update() skips auto_now): it is what API clients sync by.
    now = timezone.now()
    for code, pks in changed.items():
        Measurement.objects.filter(pk__in=pks).update(weight_gain=code, updated_at=now)
