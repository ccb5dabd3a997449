"""Plan step of the bulk import: which accepted rows create, update or leave a measurement, and each
child's last weighing before the batch (for N/T). Two queries per batch."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from children.growth.weight_gain import NOT_ASSESSED
from children.imports.resolve import Resolver, array_text, rows_matching
from children.imports.rows import DECIMALS, MEASUREMENT_INPUTS, ImportReport, ImportRow, rounded
from children.models import Measurement

# Per child: (last weight, its month index, its N/T status, last adjusted height, its day).
Previous = tuple[float, int, int, float | None, datetime.date | None]


def _stored(rows: list[ImportRow], resolver: Resolver) -> dict[tuple[int, datetime.date], dict[str, Any]]:
    """The measurements already stored for the rows' (child, day), by that pair."""
    existing_ids = {
        row.child_id for row in rows if row.child_id > 0 and not resolver.is_created(row.child_id)
    }
    if not existing_ids:
        return {}
    load = ("id", "child_id", "measured_on", *MEASUREMENT_INPUTS)
    if resolver.postgres:
        pairs = {(row.child_id, row.measured_on) for row in rows if row.child_id in existing_ids}
        found: Any = rows_matching(Measurement, load, ("child_id", "measured_on"), pairs)
    else:
        found = Measurement.objects.filter(
            child_id__in=existing_ids, measured_on__in={row.measured_on for row in rows}
        ).values(*load)
    return {(m["child_id"], m["measured_on"]): m for m in found}


def _merged(row: ImportRow, old: dict[str, Any]) -> dict[str, Any] | None:
    """The row's values over the stored ones (a blank cell keeps the stored value), or None when
    nothing differs."""
    merged = dict(row.values)
    changed = False
    for name in MEASUREMENT_INPUTS:
        before = old[name]
        if name in DECIMALS:
            before = rounded(before, DECIMALS[name])
        new = merged[name]
        if new is None or new == "" or (name == "vitamin_a" and not new):
            merged[name] = before
        elif new != before:
            changed = True
    return merged if changed else None


def plan_measurements(rows: list[ImportRow], resolver: Resolver, report: ImportReport) -> list[ImportRow]:
    """Sets measurement_id and the merged values of updates; returns the rows whose measurement is
    written, and counts every row's action."""
    stored = _stored(rows, resolver)
    summary = report.summary
    write: list[ImportRow] = []
    for row in rows:
        old = stored.get((row.child_id, row.day))
        if old is None:
            summary["create_measurement"] += 1
            write.append(row)
        else:
            merged = _merged(row, old)
            if merged is not None:
                row.values = merged
                row.measurement_id = old["id"]
                summary["update_measurement"] += 1
                write.append(row)
            elif not row.existing and not row.child_action:
                summary["unchanged"] += 1
        if row.child_action:
            summary[row.child_action] += 1
    for row in [*write, *(row for row in rows if row.child_action)]:
        report.changed.add((row.desa_id, row.posyandu_id, row.day.replace(day=1)))
    return write


_PREVIOUS_SQL = """
    SELECT k.child_id, w.measured_on, w.weight_kg, w.weight_gain, h.measured_on, h.adjusted_height_cm
    FROM unnest(%s::text::bigint[], %s::text::date[]) AS k(child_id, cutoff)
    LEFT JOIN LATERAL (
        SELECT m.measured_on, m.weight_kg, m.weight_gain FROM children_measurement m
        WHERE m.child_id = k.child_id AND m.measured_on < k.cutoff AND m.weight_kg IS NOT NULL
        ORDER BY m.measured_on DESC LIMIT 1) w ON true
    LEFT JOIN LATERAL (
        SELECT m.measured_on, m.adjusted_height_cm FROM children_measurement m
        WHERE m.child_id = k.child_id AND m.measured_on < k.cutoff AND m.adjusted_height_cm IS NOT NULL
        ORDER BY m.measured_on DESC LIMIT 1) h ON true
    WHERE w.measured_on IS NOT NULL OR h.measured_on IS NOT NULL
"""


def _previous_sqlite(cutoff: dict[int, datetime.date]) -> list[tuple]:
    """SQLite (development, tests): the earlier rows of the batch's children, picked in Python."""
    weighed: dict[int, tuple] = {}
    measured: dict[int, tuple] = {}
    for child_id, day, weight, gain, height in (
        Measurement.objects.filter(child_id__in=list(cutoff), measured_on__lt=max(cutoff.values()))
        .order_by("child_id", "measured_on")
        .values_list("child_id", "measured_on", "weight_kg", "weight_gain", "adjusted_height_cm")
    ):
        if day >= cutoff[child_id]:
            continue
        if weight is not None:
            weighed[child_id] = (day, weight, gain)
        if height is not None:
            measured[child_id] = (day, height)
    return [
        (i, *weighed.get(i, (None, None, None)), *measured.get(i, (None, None)))
        for i in set(weighed) | set(measured)
    ]


def previous_weighing(
    rows: list[ImportRow], *, postgres: bool, new_ids: frozenset[int] = frozenset()
) -> dict[int, Previous]:
    """Per child: (last weight, its month index, its N/T status, last adjusted height, its day): the
    last weighing before the child's earliest day in the batch, in one query for the batch. The
    children the batch creates (`new_ids`) have none and are not looked up."""
    cutoff: dict[int, datetime.date] = {}
    for row in rows:
        if row.child_id > 0 and row.child_id not in new_ids:
            day = cutoff.get(row.child_id)
            if day is None or row.day < day:
                cutoff[row.child_id] = row.day
    if not cutoff:
        return {}
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(_PREVIOUS_SQL, [array_text(list(cutoff)), array_text(list(cutoff.values()))])
            fetched = cursor.fetchall()
    else:
        fetched = _previous_sqlite(cutoff)
    result: dict[int, Previous] = {}
    for child_id, w_day, weight, gain, h_day, height in fetched:
        month = (w_day.year - 1970) * 12 + w_day.month - 1 if w_day is not None else -1
        result[child_id] = (
            float("nan") if weight is None else float(weight),
            month,
            NOT_ASSESSED if gain is None else int(gain),
            None if height is None else float(height),
            h_day,
        )
    return result
