"""Rebuild a table as partitioned by year on PostgreSQL, or back as one plain table: the schema step of
migrations 0018 (measurements) and 0019 (pregnancy visits, weekly TTD). Changing it changes how those
migrations build the tables: keep it as it is, or give a later migration its own copy.

The table keeps its name, columns, rows, CHECK constraints, foreign keys, indexes (under their names) and
its id sequence where it was (ids of deleted rows stay in the history tables: never reused). Its primary
key becomes (id, <date>): PostgreSQL requires the partition key in every unique key. A unique key
without the date (PartitionedTable.unique_across_years) moves to a side table `<table>_<column>` kept by
triggers, its constraint under the original name `<table>_<column>_key`. Django's model state does not
change: it still sees `id` as the primary key, which it is in practice (one sequence feeds it).
"""

from __future__ import annotations

import datetime

from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from children.partitions import PartitionedTable, range_check_add


def _side_sql(spec: PartitionedTable) -> str:
    """The side table of `spec.unique_across_years`, the triggers keeping it, and its rows."""
    table, column = spec.table, spec.unique_across_years
    side, sync = f"{table}_{column}", f"{table}_{column}_sync"
    # WHEN clauses: rows without the column (every imported row) never call the function, COPY included.
    return f"""
CREATE TABLE {side} ({column} uuid CONSTRAINT {side}_key PRIMARY KEY, row_id bigint NOT NULL);
CREATE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE {side};
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.{column} IS NOT NULL THEN
        DELETE FROM {side} WHERE {column} = OLD.{column} AND row_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.{column} IS NOT NULL THEN
        INSERT INTO {side} ({column}, row_id) VALUES (NEW.{column}, NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER {side}_insert AFTER INSERT ON {table}
    FOR EACH ROW WHEN (NEW.{column} IS NOT NULL) EXECUTE FUNCTION {sync}();
CREATE TRIGGER {side}_delete AFTER DELETE ON {table}
    FOR EACH ROW WHEN (OLD.{column} IS NOT NULL) EXECUTE FUNCTION {sync}();
CREATE TRIGGER {side}_update AFTER UPDATE OF id, {column} ON {table}
    FOR EACH ROW WHEN (OLD.{column} IS DISTINCT FROM NEW.{column} OR OLD.id <> NEW.id)
    EXECUTE FUNCTION {sync}();
CREATE TRIGGER {side}_truncate AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {sync}();
INSERT INTO {side} ({column}, row_id) SELECT {column}, id FROM {table} WHERE {column} IS NOT NULL;
"""  # noqa: S608 - names of our own tables


def _side_drop_sql(spec: PartitionedTable) -> str:
    table, column = spec.table, spec.unique_across_years
    side = f"{table}_{column}"
    triggers = "".join(
        f"DROP TRIGGER {side}_{op} ON {table};\n" for op in ("insert", "delete", "update", "truncate")
    )
    return triggers + f"DROP FUNCTION {side}_sync();\nDROP TABLE {side};\n"


def _definitions(cursor: CursorWrapper, table: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(primary, unique and foreign keys as (name, type, definition), the other indexes' definitions)."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY conname",
        [table],
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
        "AND c.conrelid = x.indrelid) ORDER BY x.indexrelid",
        [table],
    )
    return constraints, [row[0] for row in cursor.fetchall()]


def _years(cursor: CursorWrapper, spec: PartitionedTable, source: str, this_year: int) -> list[int]:
    """Every year with rows, this year and the next."""
    cursor.execute(f"SELECT DISTINCT EXTRACT(YEAR FROM {spec.column})::int FROM {source}")  # noqa: S608
    return sorted({row[0] for row in cursor.fetchall()} | {this_year, this_year + 1})


def table_rebuild(cursor: CursorWrapper, spec: PartitionedTable, *, partitioned: bool) -> None:
    """Rebuild spec.table partitioned by year (one partition for every year with rows, this year and
    the next) or, with partitioned=False, as one plain table (years detached for archiving stay
    standalone tables). Runs inside the migration's transaction; copies every row once."""
    table, key = spec.table, spec.column
    old = f"{table}_rebuilt"
    if not partitioned and spec.unique_across_years:
        cursor.execute(_side_drop_sql(spec))
    constraints, indexes = _definitions(cursor, table)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - the table's sequence
    last_value, is_called = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    # LIKE copies the columns in order, NOT NULL, defaults and the CHECK constraints under their names.
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE "
        "INCLUDING COMMENTS)" + (f" PARTITION BY RANGE ({key})" if partitioned else "")
    )
    if partitioned:
        for year in _years(cursor, spec, old, timezone.localdate().year):
            start, end = datetime.date(year, 1, 1).isoformat(), datetime.date(year + 1, 1, 1).isoformat()
            cursor.execute(
                f"CREATE TABLE {spec.partition(year)} PARTITION OF {table} FOR VALUES FROM ('{start}') TO ('{end}')"
            )
            range_check_add(cursor, spec, year)
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608 - our own tables
    # No CASCADE: a foreign key pointing at the old table would stop the migration here, loudly.
    cursor.execute(f"DROP TABLE {old}")
    cursor.execute(
        f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME {sequence})"
    )
    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
    moved = f"UNIQUE ({spec.unique_across_years})"
    for name, kind, definition in constraints:
        if kind == "p":
            definition = f"PRIMARY KEY (id, {key})" if partitioned else "PRIMARY KEY (id)"
        elif kind == "u" and partitioned and definition == moved:
            continue  # kept by the side table below
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for definition in indexes:
        cursor.execute(definition)
    if partitioned and spec.unique_across_years:
        cursor.execute(_side_sql(spec))
    elif spec.unique_across_years:
        column = spec.unique_across_years
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_key UNIQUE ({column})")
    cursor.execute(f"ANALYZE {table}")
