"""Columns for the prevalence aggregation, read straight from the registry tables.

One query for the measurements and one for the children of a set of kecamatan, returned as numpy
columns (reports/compute.py). Raw SQL because a million rows through model instances or tuples of
dates would cost more than the aggregation itself: days come out as integers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import psycopg
from django.db import connection

from children.models import Child, Measurement
from convergence.codes import Level
from convergence.models import Posyandu, Region

from .compute import AGE_LIMIT_DAYS, ChildFrame, MeasurementFrame

EPOCH = datetime.date(1970, 1, 1)


# Column kinds of fetch_columns: SQL type to cast to, PostgreSQL binary send function, numpy types.
KINDS = {
    "i8": ("bigint", "int8send", ">i8", np.int64),
    "i4": ("integer", "int4send", ">i4", np.int64),
    "f8": ("double precision", "float8send", ">f8", np.float64),
}


def fetch_columns(sql: str, params: list, kinds: list[str]) -> list[np.ndarray]:
    """The rows of `sql` as one numpy array per column, in no particular order (sort in numpy).

    On PostgreSQL the result comes back as ONE bytea, the big-endian binary values of every row
    concatenated by `string_agg(int8send(...) || ...)`, which numpy reads in place: a million rows in a
    fraction of a second, where fetching them as rows (tuples, or COPY messages) costs a Python call
    per row. The query must return no NULL (COALESCE to -1 or NaN) and each column must have the
    kind's type (cast it).
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        table = np.array(rows, dtype=np.float64).reshape(-1, len(kinds))
        return [table[:, i].astype(KINDS[kind][3]) for i, kind in enumerate(kinds)]
    names = [f"c{i}" for i in range(len(kinds))]
    # One aggregate over each row's values concatenated: the columns cannot come back out of step.
    record = " || ".join(f"{KINDS[kind][1]}(q.{name})" for kind, name in zip(kinds, names, strict=True))
    wrapped = f"SELECT string_agg({record}, '') FROM ({sql}) AS q({', '.join(names)})"
    row_type = np.dtype([(name, KINDS[kind][2]) for kind, name in zip(kinds, names, strict=True)])
    connection.ensure_connection()
    # A server-side-binding cursor: Django's client-side cursors cannot return binary results.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(wrapped, params, binary=True)
        (blob,) = cursor.fetchone()
    rows = np.frombuffer(blob or b"", dtype=row_type)
    return [rows[name].astype(KINDS[kind][3]) for kind, name in zip(kinds, names, strict=True)]


def cast(expression: str, kind: str, *, default: str | None = None) -> str:
    """`expression` cast to the kind's type, NULL replaced by `default` (a SQL literal)."""
    if default is not None:
        if kind == "f8" and default == "NaN":
            if connection.vendor != "postgresql":
                return expression  # SQLite: NULL becomes NaN in numpy
            default = "'NaN'::double precision"
        expression = f"COALESCE({expression}, {default})"
    return f"CAST({expression} AS {KINDS[kind][0]})"


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
    # Dense indexes for counting: id -> position in posyandu_ids / desa_ids / kecamatan_ids, else -1.
    posyandu_index: np.ndarray
    desa_index: np.ndarray
    kecamatan_index_of_desa: np.ndarray


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
    desa.sort()
    posyandu.sort()
    kecamatan_ids = sorted(kecamatan_ids)
    desa_ids = [d for d, _ in desa]
    posyandu_ids = [p for p, _ in posyandu]
    kecamatan_position = {k: i for i, k in enumerate(kecamatan_ids)}
    return Units(
        kecamatan_ids=kecamatan_ids,
        desa_ids=np.array(desa_ids, dtype=np.int64),
        posyandu_ids=np.array(posyandu_ids, dtype=np.int64),
        desa_of_posyandu=_lookup(posyandu_ids, [d for _, d in posyandu]),
        kecamatan_of_desa=_lookup(desa_ids, [k for _, k in desa]),
        own_posyandu=_lookup(posyandu_ids, posyandu_ids),
        own_desa=_lookup(desa_ids, desa_ids),
        posyandu_index=_lookup(posyandu_ids, list(range(len(posyandu_ids)))),
        desa_index=_lookup(desa_ids, list(range(len(desa_ids)))),
        kecamatan_index_of_desa=_lookup(desa_ids, [kecamatan_position[k] for _, k in desa]),
    )


def _in_units(alias: str, posyandu_column: str, units: Units) -> str:
    """SQL condition: the row's child lives in one of the desa or was seen at one of the posyandu."""
    desa = ",".join(map(str, units.desa_ids.tolist())) or "NULL"
    posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
    return f"({alias}.desa_id IN ({desa}) OR {posyandu_column} IN ({posyandu}))"


def measurement_frame(
    *, units: Units, first_day: datetime.date, last_day: datetime.date, selective: bool = False
) -> MeasurementFrame:
    """Measurements of balita (0-59 months) between the two days of children in or seen in `units`.

    `selective` (a few kecamatan of a large district, as an incremental refresh reads) asks for two
    index-friendly halves, the rows seen at the posyandu and the other rows of the desa's children,
    instead of one scan of the whole period filtered row by row.
    """
    m, c = Measurement._meta.db_table, Child._meta.db_table
    columns = (
        f"SELECT {cast('m.child_id', 'i8')}, {cast(_day_sql('m.measured_on'), 'i4')}, "
        f"{cast('m.posyandu_id', 'i8', default='-1')}, {cast('c.desa_id', 'i8', default='-1')}, "
        f"{cast('m.haz_category', 'i4')}, {cast('m.waz_category', 'i4')}, {cast('m.whz_category', 'i4')} "
        f"FROM {m} m JOIN {c} c ON c.id = m.child_id "
        f"WHERE m.measured_on >= %s AND m.measured_on <= %s AND m.age_days < %s AND "
    )
    params = [first_day, last_day, AGE_LIMIT_DAYS]
    if selective:
        desa = ",".join(map(str, units.desa_ids.tolist())) or "NULL"
        posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
        sql = (
            f"{columns} m.posyandu_id IN ({posyandu}) UNION ALL "
            f"{columns} c.desa_id IN ({desa}) AND (m.posyandu_id IS NULL OR m.posyandu_id NOT IN ({posyandu}))"
        )
        params = params * 2
    else:
        sql = columns + _in_units("c", "m.posyandu_id", units)
    child, day, posyandu, desa, haz, waz, whz = fetch_columns(
        sql, params, ["i8", "i4", "i8", "i8", "i4", "i4", "i4"]
    )
    return MeasurementFrame(
        child=child,
        day=day,
        posyandu=posyandu,
        desa=desa,
        haz=haz.astype(np.int8),
        waz=waz.astype(np.int8),
        whz=whz.astype(np.int8),
    )


def child_frame(*, units: Units, first_day: datetime.date, last_day: datetime.date) -> ChildFrame:
    """Children in or registered at `units` who are balita at some point between the two days."""
    c = Child._meta.db_table
    where = _in_units("c", "c.posyandu_id", units)
    oldest = first_day - datetime.timedelta(days=AGE_LIMIT_DAYS)
    sql = (
        f"SELECT {cast('c.id', 'i8')}, {cast(_day_sql('c.birth_date'), 'i4')}, "
        f"{cast('c.posyandu_id', 'i8', default='-1')}, {cast('c.desa_id', 'i8', default='-1')}, "
        f"CAST(CASE WHEN c.status = %s THEN 1 ELSE 0 END AS integer) "
        f"FROM {c} c WHERE c.birth_date > %s AND c.birth_date <= %s AND {where}"
    )
    child, birth_day, posyandu, desa, active = fetch_columns(
        sql, [Child.Status.ACTIVE, oldest, last_day], ["i8", "i4", "i8", "i8", "i4"]
    )
    order = np.argsort(child, kind="stable")  # ChildFrame.child is sorted
    return ChildFrame(
        child=child[order],
        birth_day=birth_day[order],
        posyandu=posyandu[order],
        desa=desa[order],
        active=active[order].astype(bool),
    )


def measurement_months(*, kabupaten: Region) -> tuple[datetime.date, datetime.date] | None:
    """First and last day with a measurement in the kabupaten, or None.

    Two walks along the measured_on index that stop at the first row of the kabupaten, rather than
    MIN/MAX over every row of it.
    """
    inside = Measurement.objects.filter(posyandu__desa__code__startswith=f"{kabupaten.code}.")
    first = inside.order_by("measured_on").values_list("measured_on", flat=True).first()
    if first is None:
        return None
    last = inside.order_by("-measured_on").values_list("measured_on", flat=True).first()
    return first, last
