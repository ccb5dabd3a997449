"""Writing the data-quality summaries, chunked by kecamatan like the prevalence summaries.

One query loads the measurements (reports/quality.py computes), one reads the posyandu rows of the
prevalence summaries for the registered/measured children; then each kecamatan's rows are rewritten
in one transaction under a lock of their own. Rewriting is idempotent: rows whose values did not
change are left as they are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Q

from children.models import Measurement
from convergence import pgcopy

from . import compute, loaders, quality, quality_rows
from .locks import lock as _lock
from .models import PrevalenceSummary
from .models_quality import DataQualitySummary

Row = DataQualitySummary


@dataclass(frozen=True)
class QualityResult:
    chunks: int
    measurements: int
    written: int
    deleted: int


def _height_sql(column: str, scale: int) -> str:
    return f"COALESCE(CAST(ROUND({column} * {scale}) AS INTEGER), -1)"


def quality_frame(
    *, units: loaders.Units, first_day: datetime.date, last_day: datetime.date
) -> quality.QualityFrame:
    """Balita measurements of the children measured at `units`' posyandu between the two days, with
    their measurements of the SHRINK_LOOKBACK_DAYS before (for the shrinking-height check), sorted by
    child and day. Imported rows carry the uploader in measured_by, not who measured: no measurer."""
    m = Measurement._meta.db_table
    posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
    since = first_day - datetime.timedelta(days=quality.SHRINK_LOOKBACK_DAYS)
    cast = pgcopy.cast
    sql = (
        f"SELECT {cast('m.child_id', 'i8')}, {cast(pgcopy.day_sql('m.measured_on'), 'i4')}, "
        f"{cast('m.posyandu_id', 'i8', default='-1')}, "
        f"{cast('CASE WHEN m.measured_by_id IS NULL OR m.source = %s THEN -1 ELSE m.measured_by_id END', 'i8')}, "
        f"{cast(_height_sql('m.height_cm', 10), 'i4')}, {cast(_height_sql('m.adjusted_height_cm', 10), 'i4')}, "
        f"{cast(_height_sql('m.weight_kg', 100), 'i4')}, {cast('m.haz', 'f8', default='NaN')}, "
        f"{cast('m.whz', 'f8', default='NaN')}, {cast('m.haz_category', 'i4')}, {cast('m.waz_category', 'i4')}, "
        f"{cast('m.whz_category', 'i4')} "
        f"FROM {m} m WHERE m.child_id IN ("
        f"SELECT s.child_id FROM {m} s WHERE s.posyandu_id IN ({posyandu}) "
        f"AND s.measured_on >= %s AND s.measured_on <= %s) "
        f"AND m.measured_on >= %s AND m.measured_on <= %s AND m.age_days < %s"
    )
    params = [Measurement.Source.IMPORT, first_day, last_day, since, last_day, compute.AGE_LIMIT_DAYS]
    columns = pgcopy.fetch_columns(
        sql, params, ["i8", "i4", "i8", "i8", "i4", "i4", "i4", "f8", "f8", "i4", "i4", "i4"]
    )
    order = np.lexsort((columns[1], columns[0]))  # by child, then day
    columns = [column[order] for column in columns]
    (
        child,
        day,
        posyandu_id,
        measured_by,
        height_mm,
        adjusted_mm,
        weight_dag,
        haz,
        whz,
        haz_c,
        waz_c,
        whz_c,
    ) = columns
    return quality.QualityFrame(
        child=child,
        day=day,
        posyandu=posyandu_id,
        measured_by=measured_by,
        height_mm=height_mm,
        adjusted_height_mm=adjusted_mm,
        weight_dag=weight_dag,
        haz=haz,
        whz=whz,
        haz_category=haz_c.astype(np.int8),
        waz_category=waz_c.astype(np.int8),
        whz_category=whz_c.astype(np.int8),
    )


def _wanted(
    frame: quality.QualityFrame,
    units: loaders.Units,
    first_day: datetime.date,
    last_day: datetime.date,
    children: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[int, quality_rows.QualityRows]:
    """The rows per kecamatan chunk: per posyandu and month, and per recording user, posyandu and
    month, as columns."""
    own = units.own_posyandu
    inside = (frame.posyandu >= 0) & (frame.posyandu < len(own))
    inside[inside] = own[frame.posyandu[inside]] >= 0
    counted = (
        inside & (frame.day >= pgcopy.day_number(first_day)) & (frame.day <= pgcopy.day_number(last_day))
    )
    month = quality.month_of_day(frame.day)
    by_posyandu = quality.quality_sums(frame, np.stack([frame.posyandu, month], axis=1), counted)
    by_measurer = quality.quality_sums(
        frame,
        np.stack([frame.measured_by, frame.posyandu, month], axis=1),
        counted & (frame.measured_by >= 0),
    )
    rows = quality_rows.concat(
        [
            quality_rows.with_children(
                quality_rows.from_sums(by_posyandu, kind=quality_rows.POSYANDU), *children
            ),
            quality_rows.from_sums(by_measurer, kind=quality_rows.MEASURER),
        ]
    )
    chunk = units.kecamatan_of_desa[units.desa_of_posyandu[rows.posyandu]]
    return {int(k): rows.take(np.flatnonzero(chunk == k)) for k in np.unique(chunk).tolist()}


def _children(
    places: Q, first_month: datetime.date, last_day: datetime.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(posyandu, first day of the month, [registered, measured]) of the posyandu-months of the
    prevalence summaries of `places` (a condition on their rows), as columns."""
    rows = PrevalenceSummary.objects.filter(
        places,
        level=PrevalenceSummary.Level.POSYANDU,
        period_kind=PrevalenceSummary.PeriodKind.MONTH,
        period__gte=first_month,
        period__lte=last_day,
    ).values_list("posyandu_id", "period", "registered", "measured")
    inner, params = rows.order_by().query.sql_with_params()
    cast = pgcopy.cast
    sql = (
        f"SELECT {cast('s.posyandu_id', 'i8')}, {cast(pgcopy.day_sql('s.period'), 'i4')}, "
        f"{cast('s.registered', 'i8')}, {cast('s.measured', 'i8')} FROM ({inner}) s"
    )
    posyandu, day, registered, measured = pgcopy.fetch_columns(sql, params, ["i8", "i4", "i8", "i8"])
    return posyandu, day, np.stack([registered, measured], axis=1)


def _stored_q(first_month: datetime.date, last_day: datetime.date, *, full: bool) -> Q:
    """The stored rows a recompute replaces: its months, or with `full` every month from its first."""
    if full:
        return Q(period__gte=first_month)
    return Q(period__gte=first_month, period__lte=last_day)


def _write_chunk(
    kecamatan_id: int,
    wanted: quality_rows.QualityRows,
    first_month: datetime.date,
    last_day: datetime.date,
    *,
    full: bool,
    posyandu_ids: list[int] | None = None,
) -> tuple[int, int]:
    """Make the chunk's stored rows (of these posyandu only, when given) equal `wanted`: delete the
    stale and changed rows, insert the new."""
    with transaction.atomic():
        _lock(f"quality:{kecamatan_id}")
        stored = Row.objects.filter(kecamatan_id=kecamatan_id).filter(
            _stored_q(first_month, last_day, full=full)
        )
        if posyandu_ids is not None:
            stored = stored.filter(posyandu_id__in=posyandu_ids)
        return quality_rows.rows_write(wanted, quality_rows.stored_rows(stored), kecamatan_id)


def quality_recompute(
    *, kecamatan_ids: list[int], first_day: datetime.date, last_day: datetime.date, full: bool
) -> QualityResult:
    """Recompute the data-quality rows of the given kecamatan for the months from `first_day` to
    `last_day`; with `full`, also drop the chunk's rows of later months no longer computed. Reads the
    prevalence summaries of the same months: run after prevalence_recompute."""
    first_month = first_day.replace(day=1)
    units = loaders.units_of(kecamatan_ids)
    frame = quality_frame(units=units, first_day=first_month, last_day=last_day)
    children = _children(Q(kecamatan_id__in=units.kecamatan_ids), first_month, last_day)
    wanted = _wanted(frame, units, first_month, last_day, children)
    written = deleted = 0
    for kecamatan_id in units.kecamatan_ids:
        w, d = _write_chunk(
            kecamatan_id, wanted.get(kecamatan_id, quality_rows.empty()), first_month, last_day, full=full
        )
        written, deleted = written + w, deleted + d
    return QualityResult(len(units.kecamatan_ids), len(frame), written, deleted)


def quality_recompute_periods(
    *, kecamatan_ids: list[int], periods: compute.Periods, full: bool
) -> QualityResult | None:
    """quality_recompute over the months of a prevalence recompute's periods (None without months)."""
    months = periods.kind == "M"
    if not months.any():
        return None
    first = pgcopy.day_of(periods.start_day[months].min())
    last = pgcopy.day_of(periods.end_day[months].max())
    return quality_recompute(kecamatan_ids=kecamatan_ids, first_day=first, last_day=last, full=full)


def quality_refresh_posyandu(*, posyandu_ids: list[int], periods: compute.Periods) -> QualityResult | None:
    """The data-quality rows of these posyandu for the months of `periods` alone (the incremental
    refresh: a posyandu's rows count the measurements made there and its prevalence rows). Run after
    the prevalence refresh of the same posyandu."""
    months = periods.kind == "M"
    if not months.any() or not posyandu_ids:
        return None
    first_month = pgcopy.day_of(periods.start_day[months].min())
    last_day = pgcopy.day_of(periods.end_day[months].max())
    units = loaders.units_of_places(desa_ids=set(), posyandu_ids=set(posyandu_ids))
    frame = quality_frame(units=units, first_day=first_month, last_day=last_day)
    children = _children(Q(posyandu_id__in=posyandu_ids), first_month, last_day)
    wanted = _wanted(frame, units, first_month, last_day, children)
    written = deleted = 0
    for kecamatan_id in units.kecamatan_ids:
        w, d = _write_chunk(
            kecamatan_id,
            wanted.get(kecamatan_id, quality_rows.empty()),
            first_month,
            last_day,
            full=False,
            posyandu_ids=posyandu_ids,
        )
        written, deleted = written + w, deleted + d
    return QualityResult(len(units.kecamatan_ids), len(frame), written, deleted)
