"""Data-quality summary rows as numpy columns: the computed sums, the stored rows, their difference.

Ten years of a district are a hundred thousand rows (posyandu x month, and recording user x posyandu
x month), and a recompute changes few of them. Built as model instances and compared as tuples, they
cost a minute; as columns, matched on one dense key, they cost what the measurements do, and only
the rows that differ are written (COPY on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from convergence import pgcopy

from . import quality
from .models_quality import DataQualitySummary

Row = DataQualitySummary
KINDS = (Row.Kind.POSYANDU, Row.Kind.MEASURER)  # the kind column's codes: their position here
POSYANDU, MEASURER = range(2)
CHILDREN = ("registered", "measured")  # -1 for NULL (recording users, posyandu without prevalence row)


@dataclass(frozen=True)
class QualityRows:
    """Rows, one array per column; `pk` is -1 for rows not stored yet."""

    kind: np.ndarray
    posyandu: np.ndarray
    measurer: np.ndarray  # -1 on posyandu rows
    day: np.ndarray  # first day of the month, as a day number
    counts: np.ndarray  # rows x quality.COUNT_COLUMNS, int64
    sums: np.ndarray  # rows x quality.FLOAT_COLUMNS, float64
    children: np.ndarray  # rows x CHILDREN, int64
    pk: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def key_columns(self) -> np.ndarray:
        """The unique constraints' columns, one row per summary row."""
        return np.stack([self.kind, self.posyandu, self.measurer, self.day], axis=1)

    def take(self, index: np.ndarray) -> QualityRows:
        return QualityRows(
            kind=self.kind[index],
            posyandu=self.posyandu[index],
            measurer=self.measurer[index],
            day=self.day[index],
            counts=self.counts[index],
            sums=self.sums[index],
            children=self.children[index],
            pk=self.pk[index],
        )


def _none(rows: int = 0) -> np.ndarray:
    return np.full(rows, -1, dtype=np.int64)


def empty() -> QualityRows:
    return QualityRows(
        _none(),
        _none(),
        _none(),
        _none(),
        np.zeros((0, len(quality.COUNT_COLUMNS)), dtype=np.int64),
        np.zeros((0, len(quality.FLOAT_COLUMNS)), dtype=np.float64),
        np.zeros((0, len(CHILDREN)), dtype=np.int64),
        _none(),
    )


def concat(parts: list[QualityRows]) -> QualityRows:
    if not parts:
        return empty()
    names = ("kind", "posyandu", "measurer", "day", "counts", "sums", "children", "pk")
    return QualityRows(*(np.concatenate([getattr(p, name) for p in parts]) for name in names))


def month_day(month: np.ndarray) -> np.ndarray:
    """Day numbers of the first days of months counted since 1970-01."""
    return np.asarray(month, dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)


def from_sums(sums: quality.Sums, *, kind: int) -> QualityRows:
    """Rows of `quality.quality_sums` keyed (posyandu, month) or (measurer, posyandu, month)."""
    n = len(sums)
    keys = sums.keys
    if kind == POSYANDU:
        posyandu, measurer, month = keys[:, 0], _none(n), keys[:, 1]
    else:
        posyandu, measurer, month = keys[:, 1], keys[:, 0], keys[:, 2]
    return QualityRows(
        kind=np.full(n, kind, dtype=np.int64),
        posyandu=posyandu.astype(np.int64),
        measurer=measurer.astype(np.int64),
        day=month_day(month),
        counts=_table(sums, quality.COUNT_COLUMNS, np.int64),
        sums=_table(sums, quality.FLOAT_COLUMNS, np.float64),
        children=np.full((n, len(CHILDREN)), -1, dtype=np.int64),
        pk=_none(n),
    )


def _table(sums: quality.Sums, names: tuple[str, ...], dtype: type) -> np.ndarray:
    if not len(sums):
        return np.zeros((0, len(names)), dtype=dtype)
    return np.stack([sums.columns[name] for name in names], axis=1).astype(dtype)


def with_children(
    rows: QualityRows, posyandu: np.ndarray, day: np.ndarray, registered_measured: np.ndarray
) -> QualityRows:
    """The posyandu rows given the children registered and measured of each (posyandu, month) of the
    prevalence summaries; a posyandu-month without measurements gets a row of zero sums."""
    own = rows.key_columns()[:, [1, 3]]
    keys = np.concatenate([own, np.stack([posyandu, day], axis=1)])
    unique, slot = quality.unique_rows(keys)
    n = len(unique)
    out = QualityRows(
        kind=np.full(n, POSYANDU, dtype=np.int64),
        posyandu=unique[:, 0],
        measurer=_none(n),
        day=unique[:, 1],
        counts=np.zeros((n, len(quality.COUNT_COLUMNS)), dtype=np.int64),
        sums=np.zeros((n, len(quality.FLOAT_COLUMNS)), dtype=np.float64),
        children=np.full((n, len(CHILDREN)), -1, dtype=np.int64),
        pk=_none(n),
    )
    mine, theirs = slot[: len(rows)], slot[len(rows) :]
    out.counts[mine] = rows.counts
    out.sums[mine] = rows.sums
    out.children[theirs] = registered_measured
    return out


def stored_rows(stored: QuerySet) -> QualityRows:
    """The rows of `stored` (a DataQualitySummary queryset) as columns, in one read."""
    values = ("pk", "kind", "posyandu_id", "measurer_id", "period", *quality.SUM_COLUMNS, *CHILDREN)
    inner, params = stored.order_by().values_list(*values).query.sql_with_params()
    cast = pgcopy.cast
    columns = [
        cast("s.pk", "i8"),
        cast(f"CASE s.kind WHEN '{Row.Kind.MEASURER}' THEN {MEASURER} ELSE {POSYANDU} END", "i8"),
        cast("s.posyandu_id", "i8"),
        cast("s.measurer_id", "i8", default="-1"),
        cast(pgcopy.day_sql("s.period"), "i4"),
        *(cast(f"s.{name}", "i8") for name in quality.COUNT_COLUMNS),
        *(cast(f"s.{name}", "f8") for name in quality.FLOAT_COLUMNS),
        *(cast(f"s.{name}", "i8", default="-1") for name in CHILDREN),
    ]
    kinds = ["i8", "i8", "i8", "i8", "i4"]
    kinds += (
        ["i8"] * len(quality.COUNT_COLUMNS) + ["f8"] * len(quality.FLOAT_COLUMNS) + ["i8"] * len(CHILDREN)
    )
    got = pgcopy.fetch_columns(f"SELECT {', '.join(columns)} FROM ({inner}) s", params, kinds)
    pk, kind, posyandu, measurer, day = got[:5]
    n_counts, n_sums = len(quality.COUNT_COLUMNS), len(quality.FLOAT_COLUMNS)
    rest = got[5:]
    return QualityRows(
        kind=kind,
        posyandu=posyandu,
        measurer=measurer,
        day=day,
        counts=_stack(rest[:n_counts], len(pk), np.int64),
        sums=_stack(rest[n_counts : n_counts + n_sums], len(pk), np.float64),
        children=_stack(rest[n_counts + n_sums :], len(pk), np.int64),
        pk=pk,
    )


def _stack(columns: list[np.ndarray], rows: int, dtype: type) -> np.ndarray:
    if not rows:
        return np.zeros((0, len(columns)), dtype=dtype)
    return np.stack(columns, axis=1).astype(dtype)


@dataclass(frozen=True)
class Difference:
    fresh: QualityRows  # wanted rows not stored as they are (new, or stored with other values)
    stale: np.ndarray  # pks of stored rows not wanted as they are (vanished, or their values changed)


def difference(wanted: QualityRows, existing: QualityRows) -> Difference:
    """What turns `existing` into `wanted`: keys matched through one dense integer per distinct key,
    values compared exactly (the float sums are added in the same order each time: bit-equal)."""
    keys = np.concatenate([wanted.key_columns(), existing.key_columns()])
    if not len(keys):
        return Difference(fresh=empty(), stale=_none())
    _, dense = quality.unique_rows(keys)
    wanted_key, existing_key = dense[: len(wanted)], dense[len(wanted) :]
    stored_at = np.full(len(keys), -1, dtype=np.int64)  # dense key -> row of `existing`
    stored_at[existing_key] = np.arange(len(existing))
    match = stored_at[wanted_key]
    found = np.flatnonzero(match >= 0)
    same = np.zeros(len(wanted), dtype=bool)
    other = match[found]
    same[found] = (
        (wanted.counts[found] == existing.counts[other]).all(axis=1)
        & (wanted.sums[found] == existing.sums[other]).all(axis=1)
        & (wanted.children[found] == existing.children[other]).all(axis=1)
    )
    kept = np.zeros(len(existing), dtype=bool)
    kept[match[same]] = True
    return Difference(fresh=wanted.take(np.flatnonzero(~same)), stale=existing.pk[~kept])


def rows_write(wanted: QualityRows, existing: QualityRows, kecamatan_id: int) -> tuple[int, int]:
    """Make the stored rows `existing` equal `wanted`: the stale rows deleted, the fresh inserted (a
    changed row is both: few change, so one DELETE and one insert cover every case). (written, deleted)"""
    diff = difference(wanted, existing)
    if len(diff.stale):
        with connection.cursor() as cursor:
            # Chunks of ids keep SQLite under its bound-parameter limit.
            stale = diff.stale.tolist()
            for start in range(0, len(stale), 5000):
                part = stale[start : start + 5000]
                cursor.execute(
                    f"DELETE FROM {Row._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(part))})", part
                )
    _insert(diff.fresh, kecamatan_id)
    return len(diff.fresh), len(diff.stale)


def _insert(fresh: QualityRows, kecamatan_id: int) -> None:
    n = len(fresh)
    if not n:
        return
    kind = np.array([str(k) for k in KINDS])[fresh.kind]
    if connection.vendor == "postgresql":
        column = pgcopy.BinaryColumn
        columns = [
            column("kind", "text", kind),
            column("posyandu_id", "int8", fresh.posyandu),
            column("measurer_id", "int8", fresh.measurer, null=fresh.measurer < 0),
            column("period", "date", fresh.day),
            column("kecamatan_id", "int8", np.full(n, kecamatan_id)),
            *(column(name, "int4", fresh.counts[:, i]) for i, name in enumerate(quality.COUNT_COLUMNS)),
            *(column(name, "float8", fresh.sums[:, i]) for i, name in enumerate(quality.FLOAT_COLUMNS)),
            *(
                column(name, "int4", fresh.children[:, i], null=fresh.children[:, i] < 0)
                for i, name in enumerate(CHILDREN)
            ),
            column("computed_at", "timestamptz", np.full(n, pgcopy.microseconds(timezone.now()))),
        ]
        pgcopy.copy_binary(Row._meta.db_table, columns)
        return
    measurer = [None if m < 0 else m for m in fresh.measurer.tolist()]
    children = [[None if v < 0 else v for v in column] for column in fresh.children.T.tolist()]
    values = zip(
        kind.tolist(),
        fresh.posyandu.tolist(),
        measurer,
        fresh.day.tolist(),
        fresh.counts.tolist(),
        fresh.sums.tolist(),
        zip(*children, strict=True),
        strict=True,
    )
    Row.objects.bulk_create(
        [
            Row(
                kind=kind_,
                posyandu_id=posyandu,
                measurer_id=measurer_,
                period=pgcopy.day_of(day),
                kecamatan_id=kecamatan_id,
                **dict(zip(quality.COUNT_COLUMNS, counts, strict=True)),
                **dict(zip(quality.FLOAT_COLUMNS, sums, strict=True)),
                **dict(zip(CHILDREN, registered_measured, strict=True)),
            )
            for kind_, posyandu, measurer_, day, counts, sums, registered_measured in values
        ],
        batch_size=500,
    )
