"""The changes feed reads tombstones now: carry over what it listed before, from the merge log (merged
children and persons) and the audit history (deleted measurements)."""

from django.db import migrations


def forward(apps, schema_editor):
    Tombstone = apps.get_model("convergence", "Tombstone")
    MergeLog = apps.get_model("children", "MergeLog")
    HistoricalMeasurement = apps.get_model("children", "HistoricalMeasurement")
    Posyandu = apps.get_model("convergence", "Posyandu")
    Child = apps.get_model("children", "Child")
    resources = {"anak": "children", "penduduk": "persons"}
    rows = []
    for log in MergeLog.objects.filter(kind__in=list(resources)).iterator():
        removed = log.removed or {}
        posyandu = removed.get("posyandu_id") or removed.get("registered_posyandu_id")
        rows.append(
            Tombstone(
                kind=resources[log.kind],
                record_id=log.removed_id,
                removed_at=log.merged_at,
                merged_into=log.survivor_child_id or log.survivor_person_id,
                region_id=removed.get("desa_id") or log.desa_id,
                posyandu_id=posyandu if isinstance(posyandu, int) else None,
            )
        )
    desa_of_posyandu = dict(Posyandu.objects.values_list("pk", "desa_id"))
    desa_of_child = dict(Child.objects.values_list("pk", "desa_id"))
    for row in HistoricalMeasurement.objects.filter(history_type="-").iterator():
        rows.append(
            Tombstone(
                kind="measurements",
                record_id=row.id,
                removed_at=row.history_date,
                region_id=desa_of_child.get(row.child_id) or desa_of_posyandu.get(row.posyandu_id),
                posyandu_id=row.posyandu_id,
            )
        )
    Tombstone.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0014_updated_at_for_sync"),
        ("convergence", "0004_tombstone"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
