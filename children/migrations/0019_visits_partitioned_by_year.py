"""Pregnancy visits (by visit_date) and adolescent girls' weekly TTD (by week_start) partitioned by year
on PostgreSQL, as measurements are (0018, children.partitions_rebuild); SQLite is left as it is.

Their unique keys, one visit per pregnancy and day and one TTD row per girl and week, contain the date
and stay as they were; the primary keys become (id, <date>). No table points at either with a foreign
key (their history tables keep the id as a plain column). Django's model state is unchanged.
"""

from __future__ import annotations

from django.db import migrations

from children.partitions import ADOLESCENT_TTD, PREGNANCY_VISIT
from children.partitions_rebuild import table_rebuild


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for spec in (PREGNANCY_VISIT, ADOLESCENT_TTD):
                table_rebuild(cursor, spec, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for spec in (PREGNANCY_VISIT, ADOLESCENT_TTD):
                table_rebuild(cursor, spec, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("children", "0018_measurement_partitioned_by_year")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)], state_operations=[]
        )
    ]
