"""Prevalence summary rows as numpy columns: the computed counts, the stored rows, their difference.

A full recompute of ten years holds hundreds of thousands of summary rows (units x periods) and
changes few of them. Building each as a Python tuple and reading the stored ones as ORM rows cost
more than counting the measurements, so both sides stay columns: the stored rows come back through
`pgcopy.fetch_columns`, the two sides are matched on one integer key per row, and only the rows that
differ are written (COPY for the new, one UPDATE for the changed, one DELETE for the vanished).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from convergence import pgcopy
from convergence.tombstones import tombstones_record

from . import compute, loaders
from .models import PrevalenceSummary

Row = PrevalenceSummary
COUNTS = compute.COUNT_COLUMNS
# Codes of the level and period-kind columns: their position here.
LEVELS = (Row.Level.POSYANDU, Row.Level.DESA, Row.Level.KECAMATAN, Row.Level.KABUPATEN)
KINDS = ("M", "Y")
POSYANDU, DESA, KECAMATAN, KABUPATEN = range(4)
# Day numbers are shifted to stay positive in the key (dates before 1970 included).
_DAY_BITS, _UNIT_BITS = 21, 36


@dataclass(frozen=True)
class SummaryRows:
    """Summary rows, one array per column; `pk` is -1 for rows not stored yet."""

    level: np.ndarray
    region: np.ndarray
    posyandu: np.ndarray  # -1: no posyandu (desa, kecamatan and kabupaten rows)
    kind: np.ndarray
    day: np.ndarray  # first day of the period, as a day number
    counts: np.ndarray  # rows x COUNTS
    pk: np.ndarray

    def __len__(self) -> int:
        return len(self.level)

    def keys(self) -> np.ndarray:
        """One integer per row, unique like the table's constraints: level, kind, unit and period."""
        unit = np.where(self.level == POSYANDU, self.posyandu, self.region)
        kind = self.level * 2 + self.kind
        day = self.day + (1 << (_DAY_BITS - 1))
        return (kind << (_UNIT_BITS + _DAY_BITS)) | (unit << _DAY_BITS) | day

    def take(self, index: np.ndarray) -> SummaryRows:
        return SummaryRows(
            level=self.level[index],
            region=self.region[index],
            posyandu=self.posyandu[index],
            kind=self.kind[index],
            day=self.day[index],
            counts=self.counts[index],
            pk=self.pk[index],
        )


def empty() -> SummaryRows:
    none = np.zeros(0, dtype=np.int64)
    return SummaryRows(none, none, none, none, none, np.zeros((0, len(COUNTS)), dtype=np.int64), none)


def _concat(parts: list[SummaryRows]) -> SummaryRows:
    if not parts:
        return empty()
    return SummaryRows(
        level=np.concatenate([p.level for p in parts]),
        region=np.concatenate([p.region for p in parts]),
        posyandu=np.concatenate([p.posyandu for p in parts]),
        kind=np.concatenate([p.kind for p in parts]),
        day=np.concatenate([p.day for p in parts]),
        counts=np.concatenate([p.counts for p in parts]),
        pk=np.concatenate([p.pk for p in parts]),
    )


def computed_rows(
    counts: dict[str, compute.UnitCounts], periods: compute.Periods, units: loaders.Units
) -> dict[int, SummaryRows]:
    """The counts of `compute.count_children` as rows, per kecamatan chunk."""
    kinds = (periods.kind == "Y").astype(np.int64)
    kecamatan_ids = np.array(units.kecamatan_ids, dtype=np.int64)
    parts, chunks = [], []
    for level, result in counts.items():
        n = len(result.unit)
        posyandu = np.full(n, -1, dtype=np.int64)
        if level == Row.Level.POSYANDU:
            code = POSYANDU
            posyandu = units.posyandu_ids[result.unit]
            region = units.desa_of_posyandu[posyandu]
            chunk = units.kecamatan_of_desa[region]
        elif level == Row.Level.DESA:
            code = DESA
            region = units.desa_ids[result.unit]
            chunk = units.kecamatan_of_desa[region]
        else:
            code = KECAMATAN
            region = chunk = kecamatan_ids[result.unit]
        parts.append(
            SummaryRows(
                level=np.full(n, code, dtype=np.int64),
                region=region,
                posyandu=posyandu,
                kind=kinds[result.period],
                day=periods.start_day[result.period].astype(np.int64),
                counts=np.stack([result.counts[name] for name in COUNTS], axis=1).astype(np.int64),
                pk=np.full(n, -1, dtype=np.int64),
            )
        )
        chunks.append(chunk)
    rows = _concat(parts)
    chunk = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    if not len(chunk):
        return {}
    order = np.argsort(chunk, kind="stable")
    chunk = chunk[order]
    starts = np.flatnonzero(np.r_[True, chunk[1:] != chunk[:-1]])
    ends = np.r_[starts[1:], len(chunk)]
    return {int(chunk[s]): rows.take(order[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)}


def stored_rows(stored: QuerySet) -> SummaryRows:
    """The rows of `stored` (a PrevalenceSummary queryset) as columns, in one read."""
    inner, params = (
        stored.order_by()
        .values_list("pk", "level", "region_id", "posyandu_id", "period_kind", "period", *COUNTS)
        .query.sql_with_params()
    )
    level = " ".join(f"WHEN '{name}' THEN {code}" for code, name in enumerate(LEVELS))
    columns = [
        pgcopy.cast("s.pk", "i8"),
        pgcopy.cast(f"CASE s.level {level} ELSE -1 END", "i8"),
        pgcopy.cast("s.region_id", "i8"),
        pgcopy.cast("s.posyandu_id", "i8", default="-1"),
        pgcopy.cast("CASE s.period_kind WHEN 'Y' THEN 1 ELSE 0 END", "i4"),
        pgcopy.cast(pgcopy.day_sql("s.period"), "i4"),
        *(pgcopy.cast(f"s.{name}", "i4") for name in COUNTS),
    ]
    sql = f"SELECT {', '.join(columns)} FROM ({inner}) s"
    values = pgcopy.fetch_columns(sql, params, ["i8", "i8", "i8", "i8", "i4", "i4", *["i4"] * len(COUNTS)])
    pk, level_code, region, posyandu, kind, day, *counts = values
    count_table = np.stack(counts, axis=1) if len(pk) else np.zeros((0, len(COUNTS)), dtype=np.int64)
    return SummaryRows(level_code, region, posyandu, kind, day, count_table, pk)


@dataclass(frozen=True)
class Difference:
    new: SummaryRows  # wanted, not stored
    changed: SummaryRows  # wanted, stored with other counts (or another desa): `pk` of the stored row
    vanished: np.ndarray  # pks of stored rows no longer wanted


def difference(wanted: SummaryRows, existing: SummaryRows) -> Difference:
    """What turns `existing` into `wanted`, matched on the rows' keys."""
    wanted_keys, existing_keys = wanted.keys(), existing.keys()
    order = np.argsort(existing_keys, kind="stable")
    sorted_keys = existing_keys[order]
    position = np.searchsorted(sorted_keys, wanted_keys)
    found = position < len(sorted_keys)
    found[found] = sorted_keys[position[found]] == wanted_keys[found]
    match = order[position[found]]  # the stored row of each found wanted row
    same = (existing.counts[match] == wanted.counts[found]).all(axis=1) & (
        existing.region[match] == wanted.region[found]
    )
    found_at = np.flatnonzero(found)
    changed = wanted.take(found_at[~same])
    changed = replace(changed, pk=existing.pk[match[~same]])
    kept = np.zeros(len(existing), dtype=bool)
    kept[match] = True
    return Difference(new=wanted.take(np.flatnonzero(~found)), changed=changed, vanished=existing.pk[~kept])


def _tombstones(pks: list[int]) -> None:
    """Tombstones of the rows about to be deleted, for the changes feed (in the caller's transaction)."""
    for start in range(0, len(pks), 10_000):  # bounded IN lists
        tombstones_record(
            Row.objects.filter(pk__in=pks[start : start + 10_000]).only("region", "posyandu", "level")
        )


def rows_write(wanted: SummaryRows, existing: SummaryRows, kecamatan_id: int | None) -> tuple[int, int]:
    """Make the stored rows `existing` equal `wanted`; (rows written, rows deleted)."""
    diff = difference(wanted, existing)
    if connection.vendor == "postgresql":
        table = Row._meta.db_table
        if len(diff.vanished):
            _tombstones(diff.vanished.tolist())
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [diff.vanished.tolist()])
        _update(diff.changed)
        _copy(diff.new, kecamatan_id)
        return len(diff.new) + len(diff.changed), len(diff.vanished)
    # SQLite: the changed rows are deleted and inserted again.
    stale = np.concatenate([diff.vanished, diff.changed.pk]).tolist()
    if stale:
        # A changed row comes back under a new id: for a syncing client the old one is gone too.
        _tombstones(stale)
        Row.objects.filter(pk__in=stale).delete()
    fresh = _concat([diff.new, diff.changed])
    Row.objects.bulk_create(
        [
            Row(
                level=LEVELS[level],
                region_id=region,
                posyandu_id=posyandu if posyandu >= 0 else None,
                period_kind=KINDS[kind],
                period=pgcopy.day_of(day),
                kecamatan_id=kecamatan_id,
                **dict(zip(COUNTS, counts, strict=True)),
            )
            for level, region, posyandu, kind, day, counts in zip(
                fresh.level.tolist(),
                fresh.region.tolist(),
                fresh.posyandu.tolist(),
                fresh.kind.tolist(),
                fresh.day.tolist(),
                fresh.counts.tolist(),
                strict=True,
            )
        ],
        batch_size=2000,
    )
    return len(fresh), len(stale) - len(diff.changed)


def _update(changed: SummaryRows) -> None:
    """One UPDATE for every changed row: their counts (and desa, for a posyandu moved) from arrays."""
    if not len(changed):
        return
    table = Row._meta.db_table
    names = ["region_id", *COUNTS]
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(["%s::bigint[]"] * 2 + ["%s::integer[]"] * len(COUNTS))
    columns = [changed.pk.tolist(), changed.region.tolist(), *changed.counts.T.tolist()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments}, computed_at = %s "
            f"FROM unnest({arrays}) AS v(id, {', '.join(names)}) WHERE t.id = v.id",
            [timezone.now(), *columns],
        )


def _copy(new: SummaryRows, kecamatan_id: int | None) -> None:
    """Insert the new rows with one binary COPY: a full recompute from empty writes hundreds of
    thousands."""
    n = len(new)
    if not n:
        return
    column = pgcopy.BinaryColumn
    columns = [
        column("level", "text", np.array([str(level) for level in LEVELS])[new.level]),
        column("region_id", "int8", new.region),
        column("posyandu_id", "int8", new.posyandu, null=new.posyandu < 0),
        column("period_kind", "text", np.array(KINDS)[new.kind]),
        column("period", "date", new.day),
        column("kecamatan_id", "int8", np.full(n, kecamatan_id or -1), null=np.full(n, kecamatan_id is None)),
        *(column(name, "int4", new.counts[:, i]) for i, name in enumerate(COUNTS)),
        column("computed_at", "timestamptz", np.full(n, pgcopy.microseconds(timezone.now()))),
    ]
    pgcopy.copy_binary(Row._meta.db_table, columns)
