"""Writing the prevalence summaries: full and incremental recomputes, chunked by kecamatan.

A chunk (one kecamatan and a set of periods) is rewritten in one transaction under a lock of its
own, so a worker killed mid-way leaves the chunk as it was and the redelivered task redoes it; and
rewriting is idempotent: a second run finds nothing to change. The kabupaten rows are the sum of
their kecamatan rows, re-added under the kabupaten's lock after each chunk.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from children.changes import MeasurementChanges
from convergence import pgcopy
from convergence.codes import Level
from convergence.models import Posyandu, Region
from convergence.tombstones import tombstones_record

from . import compute, loaders, refresh, summary_rows
from .locks import lock as _lock
from .locks import summaries_changed
from .models import PrevalenceSummary, RecomputeChunk, RecomputeRun
from .services_quality import quality_recompute_periods, quality_refresh_posyandu

log = logging.getLogger(__name__)
Row = PrevalenceSummary
COUNTS = compute.COUNT_COLUMNS
LEVEL_UNITS = {
    Row.Level.POSYANDU: ("posyandu", "posyandu_index"),
    Row.Level.DESA: ("desa", "desa_index"),
    Row.Level.KECAMATAN: ("desa", "kecamatan_index_of_desa"),
}


@dataclass(frozen=True)
class RecomputeResult:
    chunks: int
    periods: int
    measurements: int
    written: int
    deleted: int


def _date(day: int) -> datetime.date:
    return pgcopy.day_of(day)


def periods_for_months(months: Iterable[datetime.date]) -> compute.Periods:
    """The given months and the years that hold them."""
    starts = sorted({m.replace(day=1) for m in months})
    kinds, first, last = [], [], []
    for start in starts:
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        kinds.append("M")
        first.append(pgcopy.day_number(start))
        last.append(pgcopy.day_number(end))
    for year in sorted({s.year for s in starts}):
        kinds.append("Y")
        first.append(pgcopy.day_number(datetime.date(year, 1, 1)))
        last.append(pgcopy.day_number(datetime.date(year, 12, 31)))
    return compute.Periods(
        kind=np.array(kinds),
        start_day=np.array(first, dtype=np.int64),
        end_day=np.array(last, dtype=np.int64),
    )


def window(
    *, kabupaten: Region, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date] | None:
    """First and last month summarised: from the month of the kabupaten's first measurement, whatever
    its age (a district loads its baseline years too), to this month (or the last measurement's, if
    later). Two index walks, not a scan (`loaders.measurement_months`)."""
    span = loaders.measurement_months(kabupaten=kabupaten)
    if span is None:
        return None
    today = today or timezone.localdate()
    last = max(np.datetime64(today, "M"), np.datetime64(span[1], "M"))
    return span[0].replace(day=1), last.astype(datetime.date)


def full_periods(*, kabupaten: Region, today: datetime.date | None = None) -> compute.Periods | None:
    """Every month of the kabupaten's window, and their years."""
    months = window(kabupaten=kabupaten, today=today)
    if months is None:
        return None
    return compute.month_periods(np.datetime64(months[0], "M"), np.datetime64(months[1], "M"))


def recent_periods(*, kabupaten: Region, today: datetime.date | None = None) -> compute.Periods | None:
    """The nightly refresh's periods: the last PREVALENCE_MONTHS months of the window, and their years.

    Older months change only when their measurements or children do, and those changes refresh
    their own months; a full recompute (`recompute_prevalence`) covers the whole window.
    """
    months = window(kabupaten=kabupaten, today=today)
    if months is None:
        return None
    today = today or timezone.localdate()
    back = np.datetime64(today, "M") - (settings.PREVALENCE_MONTHS - 1)
    first = max(np.datetime64(months[0], "M"), back)
    return compute.month_periods(first, np.datetime64(months[1], "M"))


def kecamatan_of(kabupaten: Region) -> list[int]:
    return list(
        Region.objects.filter(parent=kabupaten, level=Level.KECAMATAN)
        .order_by("code")
        .values_list("id", flat=True)
    )


def prevalence_recompute(
    *,
    kabupaten: Region,
    kecamatan_ids: list[int] | None = None,
    periods: compute.Periods | None = None,
    quality: bool = True,
) -> RecomputeResult:
    """Recompute the summaries of the given kecamatan (all of the kabupaten's when None) for the
    given periods (every period with data when None: a full recompute, which also drops rows of
    periods no longer computed). One load and one aggregation for all chunks, then one transaction
    per kecamatan and one for the kabupaten rows.
    """
    full = periods is None
    if kecamatan_ids is None:
        kecamatan_ids = kecamatan_of(kabupaten)
    if periods is None:
        periods = full_periods(kabupaten=kabupaten)
    if periods is None or not kecamatan_ids:
        deleted = _delete_all(kabupaten) if full else 0
        return RecomputeResult(len(kecamatan_ids), 0, 0, 0, deleted)
    units = loaders.units_of(kecamatan_ids)
    first_day, last_day = _date(periods.start_day.min()), _date(periods.end_day.max())
    # A full recompute reads as suits its share of the posyandu; a chunk of a few kecamatan by index.
    measurements = loaders.measurement_frame(
        units=units, first_day=first_day, last_day=last_day, selective=None if full else True
    )
    children = loaders.child_frame(units=units, first_day=first_day, last_day=last_day)
    unit_of: dict[str, tuple[str, np.ndarray | None]] = {
        level: (attribute, getattr(units, lookup)) for level, (attribute, lookup) in LEVEL_UNITS.items()
    }
    counts = compute.count_children(measurements, children, periods, unit_of)
    rows = summary_rows.computed_rows(counts, periods, units)
    written = deleted = 0
    for kecamatan_id in units.kecamatan_ids:
        w, d = _write_chunk(kecamatan_id, rows.get(kecamatan_id, summary_rows.empty()), periods, full=full)
        written, deleted = written + w, deleted + d
    w, d = refresh.kabupaten_write(kabupaten=kabupaten, periods=_stored_q(periods, full=full))
    written, deleted = written + w, deleted + d
    if written or deleted:
        summaries_changed(kabupaten.code)
    if quality:
        # The data-quality summaries of the same chunks and months; they read the posyandu rows
        # written above (children registered and measured).
        quality_recompute_periods(kecamatan_ids=units.kecamatan_ids, periods=periods, full=full)
    return RecomputeResult(len(units.kecamatan_ids), len(periods), len(measurements), written, deleted)


def _stored_q(periods: compute.Periods, *, full: bool) -> Q:
    """The stored rows a recompute replaces: its periods, or with `full` every period from its first
    on (the full window starts at the first measurement, so that is every stored row)."""
    if full:
        return Q(period__gte=_date(periods.start_day.min()))
    return refresh.periods_q(periods)


def _write_chunk(
    kecamatan_id: int, wanted: summary_rows.SummaryRows, periods: compute.Periods, *, full: bool
) -> tuple[int, int]:
    with transaction.atomic():
        _lock(f"prevalence:{kecamatan_id}")
        stored = Row.objects.filter(kecamatan_id=kecamatan_id)
        stored = stored.filter(_stored_q(periods, full=full))
        return summary_rows.rows_write(wanted, summary_rows.stored_rows(stored), kecamatan_id)


def _delete_all(kabupaten: Region) -> int:
    rows = Row.objects.filter(Q(region=kabupaten) | Q(region__code__startswith=f"{kabupaten.code}."))
    with transaction.atomic():
        tombstones_record(rows.only("region", "posyandu", "level"))
        deleted, _ = rows.delete()
    return deleted


def prevalence_refresh(
    *,
    desa_ids: Iterable[int],
    posyandu_ids: Iterable[int],
    months: Iterable[datetime.date],
    quality: bool = True,
) -> list[RecomputeResult]:
    """Incremental refresh after measurements or children of these desa/posyandu and months changed:
    only the rows they can move (reports/refresh.py), per kabupaten."""
    desa_ids, posyandu_ids = set(desa_ids), set(posyandu_ids)
    months = {m.replace(day=1) for m in months}
    if not months:
        return []
    # Each desa and posyandu belongs to the kabupaten above its kecamatan.
    desa_of_kabupaten = Region.objects.filter(id__in=desa_ids, parent__parent__isnull=False).values_list(
        "parent__parent_id", "id"
    )
    posyandu_of_kabupaten = Posyandu.objects.filter(
        id__in=posyandu_ids, desa__parent__parent__isnull=False
    ).values_list("desa__parent__parent_id", "id")
    places: dict[int, tuple[set[int], set[int]]] = {}
    for kabupaten_id, desa_id in desa_of_kabupaten:
        if kabupaten_id is not None:
            places.setdefault(kabupaten_id, (set(), set()))[0].add(desa_id)
    for kabupaten_id, posyandu_id in posyandu_of_kabupaten:
        if kabupaten_id is not None:
            places.setdefault(kabupaten_id, (set(), set()))[1].add(posyandu_id)
    results = []
    for kabupaten_id, (desa, posyandu) in sorted(places.items()):
        kabupaten = Region.objects.get(pk=kabupaten_id)
        span = window(kabupaten=kabupaten)
        inside = [m for m in months if span is not None and span[0] <= m <= span[1]]
        if inside:
            results.append(
                _refresh_kabupaten(
                    kabupaten=kabupaten,
                    desa_ids=desa,
                    posyandu_ids=posyandu,
                    periods=periods_for_months(inside),
                    quality=quality,
                )
            )
    return results


def _refresh_kabupaten(
    *, kabupaten: Region, desa_ids: set[int], posyandu_ids: set[int], periods: compute.Periods, quality: bool
) -> RecomputeResult:
    first_day, last_day = _date(periods.start_day.min()), _date(periods.end_day.max())
    units = refresh.refresh_units(
        desa_ids=desa_ids, posyandu_ids=posyandu_ids, first_day=first_day, last_day=last_day
    )
    rows, measurements = refresh.places_recompute(units=units, periods=periods)
    written = deleted = 0
    for kecamatan_id in units.kecamatan_ids:
        w, d = refresh.places_write(
            kecamatan_id=kecamatan_id,
            wanted=rows.get(kecamatan_id, summary_rows.empty()),
            units=units,
            periods=periods,
        )
        written, deleted = written + w, deleted + d
    w, d = refresh.kabupaten_write(kabupaten=kabupaten, periods=refresh.periods_q(periods))
    written, deleted = written + w, deleted + d
    if written or deleted:
        summaries_changed(kabupaten.code)
    if quality:
        quality_refresh_posyandu(posyandu_ids=units.posyandu_ids.tolist(), periods=periods)
    return RecomputeResult(len(units.kecamatan_ids), len(periods), measurements, written, deleted)


def measurements_changed_queue(changes: MeasurementChanges) -> None:
    """Listener of children.changes: queue the incremental refresh (runs after commit)."""
    from reports.tasks import prevalence_refresh as task

    task.delay(
        desa_ids=sorted(changes.desa_ids),
        posyandu_ids=sorted(changes.posyandu_ids),
        months=sorted(m.isoformat() for m in changes.months),
    )


def prevalence_recompute_kecamatan(
    *, kecamatan_id: int, run_id: int | None = None, recent: bool = False
) -> RecomputeResult:
    """Full recompute of one kecamatan chunk (with `recent`, of the last PREVALENCE_MONTHS months only,
    as the nightly run does); with a run, marks its chunk done (idempotent)."""
    kecamatan = Region.objects.select_related("parent").get(pk=kecamatan_id)
    kabupaten = kecamatan.parent
    if kabupaten is None:
        raise ValueError(f"kecamatan {kecamatan_id} has no kabupaten")
    periods = recent_periods(kabupaten=kabupaten) if recent else None
    if recent and periods is None:
        result = RecomputeResult(1, 0, 0, 0, 0)
    else:
        result = prevalence_recompute(kabupaten=kabupaten, kecamatan_ids=[kecamatan_id], periods=periods)
    if run_id is not None:
        RecomputeChunk.objects.filter(run_id=run_id, kecamatan_id=kecamatan_id, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    return result


def prevalence_schedule_all(*, day: datetime.date | None = None) -> int:
    """Start today's recompute of the recent months (PREVALENCE_MONTHS) of every kabupaten with
    posyandu: one run per kabupaten and day.

    The run's unique (kabupaten, day) is the guard against two beat schedulers: the second insert
    fails and that scheduler queues nothing. Chunks are queued after the run commits.
    """
    from reports.tasks import prevalence_recompute_chunk

    day = day or timezone.localdate()
    kabupaten_ids = set(
        Region.objects.filter(
            level__in=[Level.KABUPATEN, Level.KOTA], subregions__subregions__posyandu_set__isnull=False
        ).values_list("id", flat=True)
    )
    queued = 0
    for kabupaten_id in sorted(kabupaten_ids):
        try:
            with transaction.atomic():
                run = RecomputeRun.objects.create(kabupaten_id=kabupaten_id, scheduled_for=day)
                chunks = RecomputeChunk.objects.bulk_create(
                    RecomputeChunk(run=run, kecamatan_id=k) for k in kecamatan_of(Region(pk=kabupaten_id))
                )
        except IntegrityError:
            log.info("prevalence recompute of kabupaten %s for %s already started", kabupaten_id, day)
            continue
        for chunk in chunks:
            transaction.on_commit(
                functools.partial(
                    prevalence_recompute_chunk.delay,
                    kecamatan_id=chunk.kecamatan_id,
                    run_id=run.pk,
                    recent=True,
                )
            )
        queued += len(chunks)
    return queued


def prevalence_recompute_region(*, region: Region) -> list[RecomputeResult]:
    """Full recompute, now, of a kabupaten (every kecamatan) or of the kecamatan holding `region`."""
    if region.level in (Level.KABUPATEN, Level.KOTA):
        return [prevalence_recompute(kabupaten=region)]
    kecamatan = region if region.level == Level.KECAMATAN else region.parent
    if kecamatan is None or kecamatan.level != Level.KECAMATAN:
        raise ValueError(region.code)
    return [prevalence_recompute_kecamatan(kecamatan_id=kecamatan.pk)]
