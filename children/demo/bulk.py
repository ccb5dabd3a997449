"""Column-wise inserts of the demo's large tables (measurements, weekly TTD, the registries).

`bulk_create` builds a model instance per row and, on SQLite, one INSERT of a few dozen rows per
batch (the 999-parameter limit): about half of the demo's seeding time. Here a table is given as
columns: PostgreSQL takes one COPY (convergence.pgcopy), SQLite one prepared statement run over all the
rows (executemany). Like bulk_create, this bypasses `save()` and the signals, so simple_history keeps
no historical rows for demo rows (it never did: the demo always used bulk_create).

Columns not given take the field's default (auto_now/auto_now_add fields the time of the insert);
ids are reserved first when the caller needs them to point other rows at. `insert_objects` does the
same for unsaved model instances and sets their primary keys, as bulk_create does.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import connection, models
from django.utils import timezone

from children.partitions import ensure_partitions_of_days, table_spec
from convergence import pgcopy

Column = Sequence[Any] | np.ndarray


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys of `model`'s table, in increasing order; inside the caller's transaction."""
    if count == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # A SQLite writer holds the database's lock until it commits: max(id) + n cannot be taken twice.
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608 (a model's own table)
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def _python(values: Column) -> list[Any]:
    """A column as Python values: NaN of a float array as None, numpy scalars as Python ones."""
    if not isinstance(values, np.ndarray):
        return list(values)
    if values.dtype.kind == "M":
        return [None if np.isnat(day) else day.item() for day in values.astype("datetime64[D]")]
    if values.dtype.kind == "f":
        return [None if x != x else x for x in values.tolist()]
    return values.tolist()


def _adapted(field: models.Field, values: list[Any]) -> list[Any]:
    """Values as the database driver takes them (dates as ISO text on SQLite, JSON as text)."""
    if isinstance(field, models.JSONField):
        return [None if value is None else json.dumps(value) for value in values]
    if connection.vendor == "postgresql":
        return values
    if isinstance(field, models.DateTimeField):
        return [connection.ops.adapt_datetimefield_value(value) for value in values]
    if isinstance(field, models.DateField):
        return [None if value is None else value.isoformat() for value in values]
    return values


def insert_columns(model: type[models.Model], columns: dict[str, Column]) -> None:
    """INSERT the rows given as columns (by field name or attname, all of one length) into `model`."""
    count = len(next(iter(columns.values())))
    if count == 0:
        return
    now = timezone.now()
    names: list[str] = []
    data: list[list[Any]] = []
    for field in model._meta.local_concrete_fields:
        given = columns.get(field.attname, columns.get(field.name))
        if given is not None:
            values = _adapted(field, _python(given))
        elif field.primary_key:
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values = _adapted(field, [now]) * count  # adapted once: a constant column
        else:
            values = _adapted(field, [field.get_default()]) * count
        if len(values) != count:
            raise ValueError(f"{model.__name__}.{field.name}: {len(values)} values for {count} rows")
        names.append(field.column)
        data.append(values)
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        spec = table_spec(table)
        if spec is not None:  # the demo's history goes years back: each year needs its partition
            ensure_partitions_of_days(table, data[names.index(spec.column)])
        pgcopy.copy_rows(table, names, data)
        return
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608 (model's own names)
            list(zip(*data, strict=True)),
        )


def days(values: Sequence[datetime.date] | np.ndarray) -> np.ndarray:
    """Dates as a datetime64[D] column."""
    return np.asarray(values, dtype="datetime64[D]")


def insert_objects(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of `model` column by column and set their primary keys (no save(),
    no signals; auto_now/auto_now_add fields get the time of the insert)."""
    if not objects:
        return
    columns: dict[str, Column] = {}
    for field in model._meta.local_concrete_fields:
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        columns[field.attname] = [getattr(obj, field.attname) for obj in objects]
    ids = reserve_ids(model, len(objects))
    insert_columns(model, {model._meta.pk.attname: ids, **columns})
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
