"""Measurements partitioned by year on PostgreSQL (children.partitions); SQLite is left as it is.

The table is rebuilt as `PARTITION BY RANGE (measured_on)` with one partition a year
(`children_measurement_y<year>`) for every year with rows, this year and the next. Its indexes, CHECK
constraints, foreign keys and id sequence are carried over under their names; Django's model state is
unchanged (it still sees `id` as the primary key, which it is in practice: ids come from one sequence).

- The primary key becomes (id, measured_on): PostgreSQL requires the partition key in every unique key.
- "One measurement per child and day" (child_id, measured_on) contains the key and stays as it was.
- client_id (the offline entry's id) must stay unique across all years: the service answers a resent
  entry with the row its client_id made whatever day it carries, and another child's row with the
  same client_id is refused. A UNIQUE (client_id, measured_on) would let the same entry land twice under
  two dates, so the key lives in a side table, children_measurement_client_id, kept by triggers; its
  constraint keeps the name children_measurement_client_id_key. Triggers fire on COPY too, and skip
  the rows without a client_id (imports) through their WHEN clause.

No table points at children_measurement with a foreign key (the history table keeps the id as a plain
column), so nothing else changes. The SQL is written out here rather than imported from
children.partitions: a migration is a snapshot of how the table was built.
"""

from __future__ import annotations

import datetime

from django.db import migrations

TABLE = "children_measurement"
KEY = "measured_on"
OLD = TABLE + "_unpartitioned"
SIDE = TABLE + "_client_id"
SIDE_KEY = TABLE + "_client_id_key"
SYNC = TABLE + "_client_id_sync"

SIDE_SQL = f"""
CREATE TABLE {SIDE} (
    client_id uuid CONSTRAINT {SIDE_KEY} PRIMARY KEY,
    measurement_id bigint NOT NULL
);
CREATE FUNCTION {SYNC}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE {SIDE};
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.client_id IS NOT NULL THEN
        DELETE FROM {SIDE} WHERE client_id = OLD.client_id AND measurement_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.client_id IS NOT NULL THEN
        INSERT INTO {SIDE} (client_id, measurement_id) VALUES (NEW.client_id, NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER {TABLE}_client_id_insert AFTER INSERT ON {TABLE}
    FOR EACH ROW WHEN (NEW.client_id IS NOT NULL) EXECUTE FUNCTION {SYNC}();
CREATE TRIGGER {TABLE}_client_id_delete AFTER DELETE ON {TABLE}
    FOR EACH ROW WHEN (OLD.client_id IS NOT NULL) EXECUTE FUNCTION {SYNC}();
CREATE TRIGGER {TABLE}_client_id_update AFTER UPDATE OF id, client_id ON {TABLE}
    FOR EACH ROW WHEN (OLD.client_id IS DISTINCT FROM NEW.client_id OR OLD.id <> NEW.id)
    EXECUTE FUNCTION {SYNC}();
CREATE TRIGGER {TABLE}_client_id_truncate AFTER TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {SYNC}();
INSERT INTO {SIDE} (client_id, measurement_id) SELECT client_id, id FROM {TABLE} WHERE client_id IS NOT NULL;
"""

SIDE_DROP_SQL = f"""
DROP TRIGGER {TABLE}_client_id_insert ON {TABLE};
DROP TRIGGER {TABLE}_client_id_delete ON {TABLE};
DROP TRIGGER {TABLE}_client_id_update ON {TABLE};
DROP TRIGGER {TABLE}_client_id_truncate ON {TABLE};
DROP FUNCTION {SYNC}();
DROP TABLE {SIDE};
"""


def _definitions(cursor, table):
    """(constraints as (name, type, definition) without the CHECKs, plain index definitions)."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
        "AND c.conrelid = x.indrelid) ORDER BY x.indexrelid",
        [table],
    )
    return constraints, [row[0] for row in cursor.fetchall()]


def _sequence_state(cursor, table):
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    return sequence, cursor.fetchone()


def _partition(cursor, year):
    start, end = datetime.date(year, 1, 1).isoformat(), datetime.date(year + 1, 1, 1).isoformat()
    name = f"{TABLE}_y{year}"
    cursor.execute(
        f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM ('{start}') TO ('{end}')"
    )
    # As children.partitions makes them: the range CHECK spares the scan when the year is re-attached.
    cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK ({KEY} >= '{start}' AND {KEY} < '{end}')")


def _rebuild(cursor, *, partitioned):
    """Rebuild TABLE under its name, partitioned or plain, keeping rows, keys, indexes and the sequence."""
    constraints, indexes = _definitions(cursor, TABLE)
    sequence, (last_value, is_called) = _sequence_state(cursor, TABLE)
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    # LIKE copies the columns in order, NOT NULL, defaults and the CHECK constraints under their names.
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE "
        "INCLUDING COMMENTS)" + (f" PARTITION BY RANGE ({KEY})" if partitioned else "")
    )
    if partitioned:
        cursor.execute(f"SELECT DISTINCT EXTRACT(YEAR FROM {KEY})::int FROM {OLD}")
        this_year = datetime.date.today().year
        for year in sorted({row[0] for row in cursor.fetchall()} | {this_year, this_year + 1}):
            _partition(cursor, year)
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    # No CASCADE: a foreign key pointing at the old table would stop the migration here, loudly.
    cursor.execute(f"DROP TABLE {OLD}")
    # The id sequence goes on where it was (ids of deleted rows stay in the history, never reused).
    cursor.execute(
        f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME {sequence})"
    )
    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
    for name, kind, definition in constraints:
        if kind == "p":
            definition = f"PRIMARY KEY (id, {KEY})" if partitioned else "PRIMARY KEY (id)"
        elif kind == "u" and KEY not in definition:
            # Only client_id is unique without the day: its key moves to the side table.
            assert definition == "UNIQUE (client_id)", definition
            continue
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for definition in indexes:
        cursor.execute(definition)
    if partitioned:
        cursor.execute(SIDE_SQL)
    else:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {SIDE_KEY} UNIQUE (client_id)")
    cursor.execute(f"ANALYZE {TABLE}")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _rebuild(cursor, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Years detached for archiving are not part of the table: they stay standalone tables.
        cursor.execute(SIDE_DROP_SQL)
        _rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("children", "0017_measurement_plausibility_bounds")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)], state_operations=[]
        )
    ]
