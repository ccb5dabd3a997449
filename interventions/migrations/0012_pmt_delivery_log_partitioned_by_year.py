"""PMT delivery logs partitioned by year (delivered_on) on PostgreSQL, as measurements are
(children.partitions_rebuild); SQLite is left as it is.

The unique key, one delivery per episode and day, contains the date and stays as it was; the primary key
becomes (id, delivered_on). No table points at the logs with a foreign key. Django's model state is
unchanged.
"""

from __future__ import annotations

from django.db import migrations

from children.partitions_rebuild import table_rebuild
from interventions.partitions import PMT_DELIVERY_LOG


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            table_rebuild(cursor, PMT_DELIVERY_LOG, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            table_rebuild(cursor, PMT_DELIVERY_LOG, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0011_pmt_submission_tokens"),
        ("children", "0019_visits_partitioned_by_year"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)], state_operations=[]
        )
    ]
