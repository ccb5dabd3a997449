"""Columns for the prevalence aggregation, read straight from the registry tables.

One query for the measurements and one for the children of a set of kecamatan, returned as numpy
columns (reports/compute.py). Raw SQL because a million rows through model instances or tuples of
dates would cost more than the aggregation itself: days come out as integers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.db import connection

from children.models import Child, Measurement
from convergence.codes import Level
from convergence.models import Posyandu, Region

from .compute import AGE_LIMIT_DAYS, ChildFrame, MeasurementFrame

EPOCH = datetime.date(1970, 1, 1)


def _day_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def day_number(day: datetime.date) -> int:
    return (day - EPOCH).days


@dataclass(frozen=True)
class Units:
    """The units of a set of kecamatan, with id lookups as arrays (-1 outside the set)."""

    kecamatan_ids: list[int]
    desa_ids: np.ndarray
    posyandu_ids: np.ndarray
    desa_of_posyandu: np.ndarray  # indexed by posyandu id
    kecamatan_of_desa: np.ndarray  # indexed by desa id
    own_posyandu: np.ndarray  # posyandu id -> itself when inside, else -1
    own_desa: np.ndarray  # desa id -> itself when inside, else -1


def _lookup(keys: list[int], values: list[int]) -> np.ndarray:
    out = np.full((max(keys) + 1) if keys else 1, -1, dtype=np.int64)
    if keys:
        out[np.array(keys)] = np.array(values)
    return out


def units_of(kecamatan_ids: list[int]) -> Units:
    desa = list(
        Region.objects.filter(
            parent_id__in=kecamatan_ids, level__in=[Level.DESA, Level.KELURAHAN]
        ).values_list("id", "parent_id")
    )
    posyandu = list(Posyandu.objects.filter(desa__parent_id__in=kecamatan_ids).values_list("id", "desa_id"))
    desa_ids = [d for d, _ in desa]
    posyandu_ids = [p for p, _ in posyandu]
    return Units(
        kecamatan_ids=sorted(kecamatan_ids),
        desa_ids=np.array(sorted(desa_ids), dtype=np.int64),
        posyandu_ids=np.array(sorted(posyandu_ids), dtype=np.int64),
        desa_of_posyandu=_lookup(posyandu_ids, [d for _, d in posyandu]),
        kecamatan_of_desa=_lookup(desa_ids, [k for _, k in desa]),
        own_posyandu=_lookup(posyandu_ids, posyandu_ids),
        own_desa=_lookup(desa_ids, desa_ids),
    )


def _in_units(alias: str, posyandu_column: str, units: Units) -> tuple[str, list[int]]:
    """SQL condition: the row's child lives in one of the desa or was seen at one of the posyandu."""
    desa = ",".join(map(str, units.desa_ids.tolist())) or "NULL"
    posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
    return f"({alias}.desa_id IN ({desa}) OR {posyandu_column} IN ({posyandu}))", []


def measurement_frame(*, units: Units, first_day: datetime.date, last_day: datetime.date) -> MeasurementFrame:
    """Measurements of balita (0-59 months) between the two days of children in or seen in `units`."""
    m, c = Measurement._meta.db_table, Child._meta.db_table
    where, params = _in_units("c", "m.posyandu_id", units)
    sql = (
        f"SELECT m.child_id, {_day_sql('m.measured_on')}, m.posyandu_id, c.desa_id, "
        f"m.haz_category, m.waz_category, m.whz_category "
        f"FROM {m} m JOIN {c} c ON c.id = m.child_id "
        f"WHERE m.measured_on >= %s AND m.measured_on <= %s AND m.age_days < %s AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_day, last_day, AGE_LIMIT_DAYS, *params])
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.int64).reshape(-1, 7)
    return MeasurementFrame(
        child=table[:, 0].copy(),
        day=table[:, 1].copy(),
        posyandu=table[:, 2].copy(),
        desa=table[:, 3].copy(),
        haz=table[:, 4].astype(np.int8),
        waz=table[:, 5].astype(np.int8),
        whz=table[:, 6].astype(np.int8),
    )


def child_frame(*, units: Units, first_day: datetime.date, last_day: datetime.date) -> ChildFrame:
    """Children in or registered at `units` who are balita at some point between the two days."""
    c = Child._meta.db_table
    where, params = _in_units("c", "c.posyandu_id", units)
    oldest = first_day - datetime.timedelta(days=AGE_LIMIT_DAYS)
    sql = (
        f"SELECT c.id, {_day_sql('c.birth_date')}, COALESCE(c.posyandu_id, -1), c.desa_id, "
        f"CASE WHEN c.status = %s THEN 1 ELSE 0 END "
        f"FROM {c} c WHERE c.birth_date > %s AND c.birth_date <= %s AND {where} ORDER BY c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Child.Status.ACTIVE, oldest, last_day, *params])
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    return ChildFrame(
        child=table[:, 0].copy(),
        birth_day=table[:, 1].copy(),
        posyandu=table[:, 2].copy(),
        desa=table[:, 3].copy(),
        active=table[:, 4].astype(bool),
    )


def measurement_months(*, kabupaten: Region) -> tuple[datetime.date, datetime.date] | None:
    """First and last day with a measurement in the kabupaten, or None."""
    from django.db.models import Max, Min

    span = Measurement.objects.filter(posyandu__desa__code__startswith=f"{kabupaten.code}.").aggregate(
        first=Min("measured_on"), last=Max("measured_on")
    )
    if span["first"] is None:
        return None
    return span["first"], span["last"]
