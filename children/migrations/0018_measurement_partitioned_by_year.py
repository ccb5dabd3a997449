"""Measurements partitioned by year on PostgreSQL (children.partitions); SQLite is left as it is.

children_measurement becomes `PARTITION BY RANGE (measured_on)`, one partition a year
(`children_measurement_y<year>`) for every year with rows, this year and the next, its keys, indexes,
CHECK constraints, foreign keys and id sequence kept (children.partitions_rebuild). Django's model state
is unchanged.

- The primary key becomes (id, measured_on): PostgreSQL requires the partition key in every unique key.
- "One measurement per child and day" (child_id, measured_on) contains the key and stays as it was.
- client_id (the offline entry's id) must stay unique across all years: the service answers a resent
  entry with the row its client_id made whatever day it carries, and refuses another child's row with
  the same client_id. A UNIQUE (client_id, measured_on) would let one entry land twice under two dates,
  so the key lives in the side table children_measurement_client_id, kept by triggers, its constraint
  under the original name children_measurement_client_id_key.

No table points at children_measurement with a foreign key (the history table keeps the id as a plain
column), so nothing else changes.
"""

from __future__ import annotations

from django.db import migrations

from children.partitions import MEASUREMENT
from children.partitions_rebuild import table_rebuild


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            table_rebuild(cursor, MEASUREMENT, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            table_rebuild(cursor, MEASUREMENT, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("children", "0017_measurement_plausibility_bounds")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)], state_operations=[]
        )
    ]
