"""The incremental refresh: after measurements or children changed, rewrite only the rows they move.

A change to a child moves the rows of the child's desa, of the posyandu where the child is registered
or was measured in the periods, and the sums above them. So the refresh counts those desa and
posyandu alone, from every child whose place there a count can depend on (living in the desa,
registered or measured at the posyandu), with all of those children's measurements of the periods:
a child still counts once per period, at its latest measurement. The kecamatan rows are then re-added
from their desa rows and the kabupaten rows from the kecamatan rows, as a full recompute would find
them (a child is counted in its own desa at every level above the posyandu). Its cost follows the
desa and posyandu touched, not the size of their kecamatan.
"""

from __future__ import annotations

import datetime

import numpy as np
from django.db import transaction
from django.db.models import Q, QuerySet, Sum

from convergence import pgcopy
from convergence.models import Region

from . import compute, loaders, summary_rows
from .locks import lock
from .models import PrevalenceSummary

Row = PrevalenceSummary
COUNTS = compute.COUNT_COLUMNS


def periods_q(periods: compute.Periods) -> Q:
    q = Q(pk__in=[])
    for kind in ("M", "Y"):
        days = [pgcopy.day_of(d) for d, k in zip(periods.start_day, periods.kind, strict=True) if k == kind]
        if days:
            q |= Q(period_kind=kind, period__in=days)
    return q


def refresh_units(
    *, desa_ids: set[int], posyandu_ids: set[int], first_day: datetime.date, last_day: datetime.date
) -> loaders.Units:
    """The desa changed, and the posyandu changed or where those desa's children are registered or
    were measured between the two days."""
    posyandu = set(posyandu_ids) | loaders.posyandu_of_desa_children(
        desa_ids=desa_ids, first_day=first_day, last_day=last_day
    )
    return loaders.units_of_places(desa_ids=desa_ids, posyandu_ids=posyandu)


def places_recompute(
    *, units: loaders.Units, periods: compute.Periods
) -> tuple[dict[int, summary_rows.SummaryRows], int]:
    """The desa and posyandu rows of `units` for `periods`, per kecamatan chunk; and the number of
    measurements read."""
    first_day = pgcopy.day_of(periods.start_day.min())
    last_day = pgcopy.day_of(periods.end_day.max())
    child_ids = loaders.children_of_units(units=units, first_day=first_day, last_day=last_day)
    measurements, children = loaders.frames_of_children(
        child_ids=child_ids, first_day=first_day, last_day=last_day
    )
    unit_of: dict[str, tuple[str, np.ndarray | None]] = {
        Row.Level.POSYANDU: ("posyandu", units.posyandu_index),
        Row.Level.DESA: ("desa", units.desa_index),
    }
    counts = compute.count_children(measurements, children, periods, unit_of)
    return summary_rows.computed_rows(counts, periods, units), len(measurements)


def _stored_places(kecamatan_id: int, units: loaders.Units, periods: compute.Periods) -> QuerySet[Row]:
    desa = units.desa_ids.tolist()
    posyandu = units.posyandu_ids.tolist()
    places = Q(level=Row.Level.DESA, region_id__in=desa) | Q(
        level=Row.Level.POSYANDU, posyandu_id__in=posyandu
    )
    return Row.objects.filter(kecamatan_id=kecamatan_id).filter(periods_q(periods)).filter(places)


def sum_rows(
    *, parts: QuerySet[Row], stored: QuerySet[Row], level: int, region_id: int, kecamatan_id: int | None
) -> tuple[int, int]:
    """Make the `stored` rows of one region equal the sums of `parts` (its subregions' rows), period by
    period; (rows written, rows deleted)."""
    sums = list(parts.values_list("period_kind", "period").annotate(*(Sum(c) for c in COUNTS)))
    n = len(sums)
    wanted = summary_rows.SummaryRows(
        level=np.full(n, level, dtype=np.int64),
        region=np.full(n, region_id, dtype=np.int64),
        posyandu=np.full(n, -1, dtype=np.int64),
        kind=np.array([summary_rows.KINDS.index(s[0]) for s in sums], dtype=np.int64),
        day=np.array([pgcopy.day_number(s[1]) for s in sums], dtype=np.int64),
        counts=np.array([s[2:] for s in sums], dtype=np.int64).reshape(n, len(COUNTS)),
        pk=np.full(n, -1, dtype=np.int64),
    )
    return summary_rows.rows_write(wanted, summary_rows.stored_rows(stored), kecamatan_id)


def places_write(
    *, kecamatan_id: int, wanted: summary_rows.SummaryRows, units: loaders.Units, periods: compute.Periods
) -> tuple[int, int]:
    """Rewrite the chunk's desa and posyandu rows of `units`, then its kecamatan rows as the sums of
    its desa rows, in one transaction under the chunk's lock (the lock a full recompute takes)."""
    with transaction.atomic():
        lock(f"prevalence:{kecamatan_id}")
        written, deleted = summary_rows.rows_write(
            wanted, summary_rows.stored_rows(_stored_places(kecamatan_id, units, periods)), kecamatan_id
        )
        in_periods = Row.objects.filter(periods_q(periods))
        w, d = sum_rows(
            parts=in_periods.filter(level=Row.Level.DESA, kecamatan_id=kecamatan_id),
            stored=in_periods.filter(level=Row.Level.KECAMATAN, region_id=kecamatan_id),
            level=summary_rows.KECAMATAN,
            region_id=kecamatan_id,
            kecamatan_id=kecamatan_id,
        )
    return written + w, deleted + d


def kabupaten_write(*, kabupaten: Region, periods: Q) -> tuple[int, int]:
    """The kabupaten rows of the `periods` (a condition on the rows): the sums of its kecamatan rows."""
    with transaction.atomic():
        lock(f"prevalence:{kabupaten.pk}")
        in_periods = Row.objects.filter(periods)
        return sum_rows(
            parts=in_periods.filter(level=Row.Level.KECAMATAN, region__parent=kabupaten),
            stored=in_periods.filter(level=Row.Level.KABUPATEN, region=kabupaten),
            level=summary_rows.KABUPATEN,
            region_id=kabupaten.pk,
            kecamatan_id=None,
        )
