"""Columns for the prevalence aggregation, read straight from the registry tables.

One query for the measurements and one for the children of a set of kecamatan, returned as numpy
columns (reports/compute.py) through `convergence.pgcopy.fetch_columns`. Raw SQL because a million
rows through model instances or tuples of dates would cost more than the aggregation itself: days
come out as integers (`convergence.pgcopy.day_sql`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from children.models import Child, Measurement
from convergence.codes import Level
from convergence.models import Posyandu, Region
from convergence.pgcopy import cast, day_sql, fetch_columns

from .compute import AGE_LIMIT_DAYS, ChildFrame, MeasurementFrame


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


_SELECTED = (
    f"SELECT {cast('m.child_id', 'i8')}, {cast(day_sql('m.measured_on'), 'i4')}, "
    f"{cast('m.posyandu_id', 'i8', default='-1')}, {cast('c.desa_id', 'i8', default='-1')}, "
    f"{cast('m.haz_category', 'i4')}, {cast('m.waz_category', 'i4')}, {cast('m.whz_category', 'i4')}"
)
_FROM = (
    f" FROM {Measurement._meta.db_table} m JOIN {Child._meta.db_table} c ON c.id = m.child_id "
    f"WHERE m.measured_on >= %s AND m.measured_on <= %s AND "
)
_MEASUREMENT_COLUMNS = f"{_SELECTED}{_FROM}m.age_days < %s AND "
_KINDS = ["i8", "i4", "i8", "i8", "i4", "i4", "i4"]


def measurement_frame(
    *, units: Units, first_day: datetime.date, last_day: datetime.date, selective: bool | None = None
) -> MeasurementFrame:
    """Measurements of balita (0-59 months) between the two days of children in or seen in `units`.

    Units holding most of the installation's posyandu (one kabupaten alone) read the period in one
    scan filtered row by row. Otherwise (`selective`; the default below half of the posyandu: a
    kabupaten of a province, the kecamatan of a chunk) the cost follows the units, not the table: the
    rows seen at their posyandu by its index, then the rows of the desa's children taken elsewhere,
    only for the children who have any (`_residents`).
    """
    if selective is None:
        selective = 2 * units.posyandu_ids.size < Posyandu.objects.count()
    if not selective:
        return _measurement_columns(
            _MEASUREMENT_COLUMNS + _in_units("c", "m.posyandu_id", units),
            [first_day, last_day, AGE_LIMIT_DAYS],
        )
    posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
    m = Measurement._meta.db_table
    # Every age here (the counts below are of every row), balita kept after; the child's desa comes from
    # the children read below, not a join (which would hash every child of the installation).
    child, day, posyandu_of, haz, waz, whz, age_days = fetch_columns(
        f"SELECT {cast('m.child_id', 'i8')}, {cast(day_sql('m.measured_on'), 'i4')}, "
        f"{cast('m.posyandu_id', 'i8', default='-1')}, {cast('m.haz_category', 'i4')}, "
        f"{cast('m.waz_category', 'i4')}, {cast('m.whz_category', 'i4')}, {cast('m.age_days', 'i4')} "
        f"FROM {m} m WHERE m.measured_on >= %s AND m.measured_on <= %s AND m.posyandu_id IN ({posyandu})",
        [first_day, last_day],
        ["i8", "i4", "i8", "i4", "i4", "i4", "i4"],
    )
    residents, resident_desa, elsewhere = _residents(
        units=units, seen=child, first_day=first_day, last_day=last_day
    )
    desa_of = _desa_of(child, residents, resident_desa)
    balita = age_days < AGE_LIMIT_DAYS
    columns = [column[balita] for column in (child, day, posyandu_of, desa_of, haz, waz, whz)]
    if elsewhere.size:
        ids = ",".join(map(str, elsewhere.tolist()))
        others = fetch_columns(
            f"{_MEASUREMENT_COLUMNS} m.child_id IN ({ids}) AND c.id IN ({ids}) "
            f"AND (m.posyandu_id IS NULL OR m.posyandu_id NOT IN ({posyandu}))",
            [first_day, last_day, AGE_LIMIT_DAYS],
            _KINDS,
        )
        columns = [np.concatenate([a, b]) for a, b in zip(columns, others, strict=True)]
    return _frame(columns)


def _residents(
    *, units: Units, seen: np.ndarray, first_day: datetime.date, last_day: datetime.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children living in the units' desa (sorted ids) and their desa; and those of them with more
    measurements between the two days than `seen` (the child ids of the rows at the units' posyandu)
    holds: measured at another posyandu.

    Each child's count walks the (child, day) unique index alone, without reading the table: a few
    index pages a child, where reading their rows to check the posyandu would read them all again.
    """
    desa = ",".join(map(str, units.desa_ids.tolist())) or "NULL"
    m, c = Measurement._meta.db_table, Child._meta.db_table
    counted = f"(SELECT count(*) FROM {m} m WHERE m.child_id = c.id AND m.measured_on >= %s AND m.measured_on <= %s)"
    child, desa_of, total = fetch_columns(
        f"SELECT {cast('c.id', 'i8')}, {cast('c.desa_id', 'i8', default='-1')}, {cast(counted, 'i8')} "
        f"FROM {c} c WHERE c.desa_id IN ({desa})",
        [first_day, last_day],
        ["i8", "i8", "i8"],
    )
    order = np.argsort(child)
    child, desa_of, total = child[order], desa_of[order], total[order]
    ids, counts = np.unique(seen, return_counts=True)
    return child, desa_of, child[total > _lookup_sorted(ids, counts, child, 0)]


def _lookup_sorted(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray, missing: int) -> np.ndarray:
    """values[keys == w] for each w of `wanted` (`keys` sorted, unique), `missing` where absent."""
    found = np.full(wanted.size, missing, dtype=np.int64)
    if keys.size:
        position = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
        hit = keys[position] == wanted
        found[hit] = values[position[hit]]
    return found


def _desa_of(child: np.ndarray, residents: np.ndarray, resident_desa: np.ndarray) -> np.ndarray:
    """The desa of each child of `child`: the residents' from their rows, the visitors' (living
    outside the units) read by id."""
    desa = _lookup_sorted(residents, resident_desa, child, -2)
    visitors = np.unique(child[desa == -2])
    if visitors.size:
        ids = ",".join(map(str, visitors.tolist()))
        found, found_desa = fetch_columns(
            f"SELECT {cast('c.id', 'i8')}, {cast('c.desa_id', 'i8', default='-1')} "
            f"FROM {Child._meta.db_table} c WHERE c.id IN ({ids})",
            [],
            ["i8", "i8"],
        )
        order = np.argsort(found)
        outside = _lookup_sorted(found[order], found_desa[order], child, -1)
        desa = np.where(desa == -2, outside, desa)
    return desa


def _measurement_columns(sql: str, params: list[object]) -> MeasurementFrame:
    return _frame(fetch_columns(sql, params, _KINDS))


def _frame(columns: list[np.ndarray]) -> MeasurementFrame:
    child, day, posyandu_of, desa_of, haz, waz, whz = columns
    return MeasurementFrame(
        child=child,
        day=day,
        posyandu=posyandu_of,
        desa=desa_of,
        haz=haz.astype(np.int8),
        waz=waz.astype(np.int8),
        whz=whz.astype(np.int8),
    )


def child_frame(*, units: Units, first_day: datetime.date, last_day: datetime.date) -> ChildFrame:
    """Children in or registered at `units` who are balita at some point between the two days."""
    return _child_columns(_in_units("c", "c.posyandu_id", units), first_day, last_day)


def _child_columns(where: str, first_day: datetime.date, last_day: datetime.date) -> ChildFrame:
    c = Child._meta.db_table
    oldest = first_day - datetime.timedelta(days=AGE_LIMIT_DAYS)
    sql = (
        f"SELECT {cast('c.id', 'i8')}, {cast(day_sql('c.birth_date'), 'i4')}, "
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
    return first, last or first


# The incremental refresh ----------------------------------------------------------------------------


def units_of_places(*, desa_ids: set[int], posyandu_ids: set[int]) -> Units:
    """The units an incremental refresh counts: these desa and posyandu only, with the kecamatan of
    both (the chunks their rows are written in)."""
    posyandu = sorted(Posyandu.objects.filter(id__in=posyandu_ids).values_list("id", "desa_id"))
    desa = sorted(
        Region.objects.filter(id__in=set(desa_ids) | {d for _, d in posyandu}).values_list("id", "parent_id")
    )
    kecamatan_of = dict(desa)
    counted = sorted(d for d in kecamatan_of if d in desa_ids)
    kecamatan_ids = sorted({k for k in kecamatan_of.values() if k is not None})
    kecamatan_position = {k: i for i, k in enumerate(kecamatan_ids)}
    posyandu_list = [p for p, _ in posyandu]
    return Units(
        kecamatan_ids=kecamatan_ids,
        desa_ids=np.array(counted, dtype=np.int64),
        posyandu_ids=np.array(posyandu_list, dtype=np.int64),
        desa_of_posyandu=_lookup(posyandu_list, [d for _, d in posyandu]),
        kecamatan_of_desa=_lookup(
            list(kecamatan_of), [k if k is not None else -1 for k in kecamatan_of.values()]
        ),
        own_posyandu=_lookup(posyandu_list, posyandu_list),
        own_desa=_lookup(counted, counted),
        posyandu_index=_lookup(posyandu_list, list(range(len(posyandu_list)))),
        desa_index=_lookup(counted, list(range(len(counted)))),
        kecamatan_index_of_desa=_lookup(counted, [kecamatan_position[kecamatan_of[d]] for d in counted]),
    )


def posyandu_of_desa_children(
    *, desa_ids: set[int], first_day: datetime.date, last_day: datetime.date
) -> set[int]:
    """Posyandu where children living in the desa were measured between the two days, or are
    registered: the posyandu rows a change to those children can move."""
    oldest = first_day - datetime.timedelta(days=AGE_LIMIT_DAYS)
    measured = Measurement.objects.filter(
        child__desa_id__in=desa_ids, measured_on__gte=first_day, measured_on__lte=last_day
    ).values_list("posyandu_id", flat=True)
    registered = Child.objects.filter(desa_id__in=desa_ids, birth_date__gt=oldest).values_list(
        "posyandu_id", flat=True
    )
    # order_by(): the models' default ordering would join DISTINCT (one row per child and day).
    return {p for p in (*measured.order_by().distinct(), *registered.order_by().distinct()) if p is not None}


def children_of_units(*, units: Units, first_day: datetime.date, last_day: datetime.date) -> np.ndarray:
    """Children whose place in `units` a count can depend on: living in its desa, registered at its
    posyandu, or measured there between the two days (sorted ids)."""
    m, c = Measurement._meta.db_table, Child._meta.db_table
    desa = ",".join(map(str, units.desa_ids.tolist())) or "NULL"
    posyandu = ",".join(map(str, units.posyandu_ids.tolist())) or "NULL"
    sql = (
        f"SELECT {cast('u.id', 'i8')} FROM ("
        f"SELECT c.id AS id FROM {c} c WHERE c.desa_id IN ({desa}) UNION "
        f"SELECT c.id AS id FROM {c} c WHERE c.posyandu_id IN ({posyandu}) UNION "
        f"SELECT m.child_id AS id FROM {m} m WHERE m.posyandu_id IN ({posyandu}) "
        f"AND m.measured_on >= %s AND m.measured_on <= %s) u"
    )
    (child,) = fetch_columns(sql, [first_day, last_day], ["i8"])
    return np.sort(child)


def frames_of_children(
    *, child_ids: np.ndarray, first_day: datetime.date, last_day: datetime.date
) -> tuple[MeasurementFrame, ChildFrame]:
    """Every balita measurement of these children between the two days, and the children."""
    ids = ",".join(map(str, child_ids.tolist())) or "NULL"
    # Both sides named: the planner then reads both tables by their keys.
    measurements = _measurement_columns(
        f"{_MEASUREMENT_COLUMNS} m.child_id IN ({ids}) AND c.id IN ({ids})",
        [first_day, last_day, AGE_LIMIT_DAYS],
    )
    return measurements, _child_columns(f"c.id IN ({ids})", first_day, last_day)
