"""Yearly partitions of the per-visit tables on PostgreSQL (declarative RANGE partitioning).

Migrations rebuilt children_measurement (by measured_on), children_pregnancyvisit (by visit_date),
children_adolescentttd (by week_start) and interventions_pmtdeliverylog (by delivered_on) as
`PARTITION BY RANGE`, one partition a year
named `<table>_y<year>`, so that a province's decade of visits stays fast to write and read and an old
year can be detached, dumped and dropped. There is no DEFAULT partition, on purpose: a row for a year
without its partition fails loudly instead of growing an unpartitioned heap that would block creating
the year later (PostgreSQL refuses a new partition whose rows sit in the default) and forbid DETACH ...
CONCURRENTLY. Every writer therefore calls `ensure_partitions` (`ensure_measurement_partitions`) with
the years it is about to write (the services, the import, the demo), and a daily job creates this and
next year's ahead (children.tasks.measurement_partitions_ahead).

Creating a partition is CREATE TABLE (LIKE ...) then ATTACH PARTITION, in the caller's transaction under
an advisory lock. ATTACH takes only SHARE UPDATE EXCLUSIVE on the partitioned table (CREATE TABLE ...
PARTITION OF would take ACCESS EXCLUSIVE and block every reader until the caller commits: an import
may run for minutes). Cloning the foreign keys takes SHARE ROW EXCLUSIVE on the tables they point at
(children_child, convergence_posyandu, ...) until that commit, so an import that brings a new year
holds up other writers of children until it ends: run `manage.py partitions --ensure FIRST..LAST`
before loading a long history.

On SQLite (the embedded default) nothing is partitioned and every function here does nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Years a partition may be made for: a typo such as 0202 or 20225 is refused, not partitioned.
FIRST_YEAR, LAST_YEAR = 1900, 2999


ARCHIVED = _(
    "Data tahun %(year)s sedang diarsipkan (partisi %(partition)s dilepas); minta admin memasangnya kembali "
    "(python manage.py partitions --attach %(year)s) sebelum mencatat data tahun itu."
)


class PartitionError(ValidationError):
    """A partition operation that cannot be done as asked (detached year, unknown year, bad range).

    A ValidationError: a write into an archived year is refused with its translated reason, as a form
    error, a 400 of the API or a failed import, never as a server error."""

    def __init__(self, message: StrOrPromise, *, field: str | None = None, **params: object) -> None:
        error = ValidationError(message, code="partition", params=params)
        # `field`: the date field of the row being written, so forms show the reason next to it.
        super().__init__({field: [error]} if field else error)

    def __str__(self) -> str:
        return " ".join(self.messages)


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by year on one of its date columns.

    unique_across_years: a column unique over the whole table without the date (PostgreSQL requires the
    partition key in every unique key): its key lives in the side table `<table>_<column>`.
    """

    table: str
    column: str
    unique_across_years: str = ""

    def partition(self, year: int) -> str:
        return f"{self.table}_y{year}"

    @property
    def lock_key(self) -> str:
        return f"partitions:{self.table}"


MEASUREMENT = PartitionedTable(
    table="children_measurement", column="measured_on", unique_across_years="client_id"
)
PREGNANCY_VISIT = PartitionedTable(table="children_pregnancyvisit", column="visit_date")
ADOLESCENT_TTD = PartitionedTable(table="children_adolescentttd", column="week_start")
# Upper apps add theirs from AppConfig.ready (partitioned_table_register): children never names them.
_tables: list[PartitionedTable] = [MEASUREMENT, PREGNANCY_VISIT, ADOLESCENT_TTD]


def partitioned_table_register(spec: PartitionedTable) -> None:
    """Add an upper app's table partitioned by year (for the daily job, the command, bulk writers)."""
    if spec not in _tables:
        _tables.append(spec)


def partitioned_tables() -> tuple[PartitionedTable, ...]:
    """Every table partitioned by year, the measurement table first."""
    return tuple(_tables)


@dataclass(frozen=True)
class PartitionInfo:
    """One year's partition: attached or detached (archived), estimated rows and size on disk."""

    table: str
    year: int
    partition: str
    attached: bool
    rows_estimate: int | None  # None until the table was first analysed
    size_bytes: int


# Years known to be attached (and committed), per database and table: the cheap path of ensure.
_known: dict[tuple[str, str], set[int]] = {}


def _cache_key(spec: PartitionedTable) -> tuple[str, str]:
    return (str(connection.settings_dict["NAME"]), spec.table)


def partitions_forget() -> None:
    """Drop this process's cache of attached years (the next ensure reads the catalog again)."""
    _known.clear()


def table_spec(table: str) -> PartitionedTable | None:
    """The partitioned table of this name, None for the others."""
    return next((spec for spec in _tables if spec.table == table), None)


def _is_partitioned(cursor: CursorWrapper, spec: PartitionedTable) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [spec.table])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def _attached_years(cursor: CursorWrapper, spec: PartitionedTable) -> set[int]:
    """The years whose partition is attached, from pg_inherits (as this transaction sees them)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        [spec.table],
    )
    pattern = re.compile(re.escape(spec.table) + r"_y(\d{4})$")
    return {int(m.group(1)) for (name,) in cursor.fetchall() if (m := pattern.match(name))}


def _table_exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def _bounds(year: int, *, field: str | None = None) -> tuple[str, str]:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PartitionError(
            _("Tahun %(year)s di luar rentang %(first)s–%(last)s."),
            field=field,
            year=year,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return datetime.date(year, 1, 1).isoformat(), datetime.date(year + 1, 1, 1).isoformat()


def range_check_add(cursor: CursorWrapper, spec: PartitionedTable, year: int) -> None:
    """The partition's own CHECK of its range: a later re-attach (after the year was detached for
    archiving) then skips the scan that proves every row is inside the year."""
    start, end = _bounds(year)
    name = spec.partition(year)
    cursor.execute(
        f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_range" '
        f"CHECK (\"{spec.column}\" >= '{start}' AND \"{spec.column}\" < '{end}')"
    )


def _create(cursor: CursorWrapper, spec: PartitionedTable, year: int) -> None:
    """Create and attach one year's partition (caller holds the advisory lock)."""
    start, end = _bounds(year)
    name = spec.partition(year)
    # LIKE copies the columns, NOT NULL and CHECK constraints; ATTACH adds the parent's indexes,
    # unique keys, foreign keys and triggers.
    cursor.execute(
        f'CREATE TABLE "{name}" (LIKE "{spec.table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        "INCLUDING STORAGE)"
    )
    range_check_add(cursor, spec, year)
    cursor.execute(
        f"ALTER TABLE \"{spec.table}\" ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{start}') TO ('{end}')"
    )


def ensure_partitions(spec: PartitionedTable, years: Iterable[int], *, field: str | None = None) -> list[int]:
    """Make sure `spec`'s table has a partition for each year; returns the years created.

    Idempotent; one set look-up when the years are known to this process, else one catalog query.
    Call it before writing rows of these years, inside or outside the writer's transaction.
    Raises PartitionError for a year outside 1900-2999 or one detached for archiving (keyed by `field`,
    the rows' date field, when given).
    """
    wanted = {int(year) for year in years}
    if connection.vendor != "postgresql" or not wanted:
        return []
    key = _cache_key(spec)
    if wanted <= _known.get(key, set()):
        return []
    for year in wanted:
        _bounds(year, field=field)  # refuse a bad year before any lock is taken
    created: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if not _is_partitioned(cursor, spec):
            return []
        attached = _attached_years(cursor, spec)
        if not wanted <= attached:
            # One creator at a time per table: two writers that both miss 2014 must not both create it.
            # Held until the caller's transaction ends, so the second one then sees the first one's
            # partition. Taken only when a year is missing: a writer whose years exist never waits.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [spec.lock_key])
            attached = _attached_years(cursor, spec)
        for year in sorted(wanted - attached):
            if _table_exists(cursor, spec.partition(year)):
                raise PartitionError(ARCHIVED, field=field, year=year, partition=spec.partition(year))
            _create(cursor, spec, year)
            created.append(year)
        attached |= set(created)
    # Remembered only once committed: a partition made in a transaction that rolls back is gone again.
    transaction.on_commit(lambda: _known.setdefault(key, set()).update(attached))
    return created


def ensure_measurement_partitions(years: Iterable[int], *, field: str | None = None) -> list[int]:
    """ensure_partitions of children_measurement: call before writing measurements of these years."""
    return ensure_partitions(MEASUREMENT, years, field=field)


def ensure_partitions_of_days(table: str, days: Iterable[datetime.date | None]) -> list[int]:
    """ensure_partitions for the days of rows about to be written into `table` (a no-op for a table
    that is not partitioned): for bulk writers that handle many tables alike."""
    spec = table_spec(table)
    return [] if spec is None else ensure_partitions(spec, {day.year for day in days if day is not None})


def archived_years(spec: PartitionedTable = MEASUREMENT) -> dict[int, str]:
    """The years of `spec`'s table whose partition is detached (archived), with the reason a row of
    such a year is refused (ARCHIVED): no row of them can be written until it is attached again. Empty
    on SQLite."""
    return {
        info.year: ARCHIVED % {"year": info.year, "partition": info.partition}
        for info in partitions_status()
        if info.table == spec.table and not info.attached
    }


def partitions_status() -> list[PartitionInfo]:
    """Every partitioned table's yearly partitions, attached and detached, by table and year (empty on
    SQLite)."""
    if connection.vendor != "postgresql":
        return []
    infos = []
    with connection.cursor() as cursor:
        for spec in partitioned_tables():
            cursor.execute(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
                "EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid "
                "AND i.inhparent = to_regclass(%s)) "
                "FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
                "AND c.relname LIKE %s",
                [spec.table, spec.table + "_y%"],
            )
            pattern = re.compile(re.escape(spec.table) + r"_y(\d{4})$")
            infos += [
                PartitionInfo(
                    table=spec.table,
                    year=int(m.group(1)),
                    partition=name,
                    attached=bool(attached),
                    rows_estimate=None if tuples < 0 else int(tuples),
                    size_bytes=int(size),
                )
                for name, tuples, size, attached in cursor.fetchall()
                if (m := pattern.match(name))
            ]
    return sorted(infos, key=lambda info: (info.table, info.year))


def detach_partition(
    year: int, *, spec: PartitionedTable = MEASUREMENT, concurrently: bool | None = None
) -> None:
    """Detach one year's partition: its rows leave the table (and every query) and stay in the
    standalone table `<table>_y<year>`, to dump and drop, or to attach again.

    CONCURRENTLY (the default outside a transaction) waits for running queries instead of blocking
    new ones. A measurement's client_id stays reserved. Raises PartitionError when the year is not
    attached.
    """
    if connection.vendor != "postgresql":
        return
    name = spec.partition(year)
    with connection.cursor() as cursor:
        if year not in _attached_years(cursor, spec):
            raise PartitionError(_("Partisi %(partition)s tidak sedang terpasang."), partition=name)
        # CONCURRENTLY lets reads and writes of the other years go on, but cannot run in a transaction.
        if concurrently is None:
            concurrently = not connection.in_atomic_block
        cursor.execute(
            f'ALTER TABLE "{spec.table}" DETACH PARTITION "{name}"'
            + (" CONCURRENTLY" if concurrently else "")
        )
    _known.pop(_cache_key(spec), None)


def attach_partition(year: int, *, spec: PartitionedTable = MEASUREMENT) -> None:
    """Attach a detached (or restored) year's table again: its rows are back in every query.

    The table's range CHECK spares the scan of its rows; its indexes and foreign keys are reused.
    Raises PartitionError when the year is attached already or its table does not exist.
    """
    if connection.vendor != "postgresql":
        return
    start, end = _bounds(year)
    name = spec.partition(year)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [spec.lock_key])
        if year in _attached_years(cursor, spec):
            raise PartitionError(_("Partisi %(partition)s sudah terpasang."), partition=name)
        if not _table_exists(cursor, name):
            raise PartitionError(
                _("Tabel %(partition)s tidak ada; pulihkan dulu dari dump-nya."), partition=name
            )
        cursor.execute(
            f"ALTER TABLE \"{spec.table}\" ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{start}') TO ('{end}')"
        )
