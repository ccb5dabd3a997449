"""KK numbers encrypted at rest like NIKs, and no serial digits left in stored masks.

Every family's KK number (and every historical version of it) moves to AES-GCM ciphertext with a keyed
hash for exact look-up; the plaintext column is dropped. Raw import values kept NIK and KK numbers
masked to their last four digits, the serial: those masks lose their digits (the plaintext is not
there to rebuild the region part).
"""

import re

from django.db import migrations, models

BATCH = 2_000
_OLD_MASK = re.compile(r"^•+\d{4}$")


def _encrypt_kk(apps, schema_editor):
    from children import pii

    for name in ("Keluarga", "HistoricalKeluarga"):
        model = apps.get_model("children", name)
        key = "history_id" if name.startswith("Historical") else "pk"
        rows = model.objects.exclude(kk_number="").order_by(key)
        batch = []
        for row in rows.iterator(chunk_size=BATCH):
            row.kk_encrypted, row.kk_hash = pii.encrypt(row.kk_number), pii.nik_hash(row.kk_number)
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, ["kk_encrypted", "kk_hash"])
                batch = []
        model.objects.bulk_update(batch, ["kk_encrypted", "kk_hash"])


def _decrypt_kk(apps, schema_editor):
    from children import pii

    for name in ("Keluarga", "HistoricalKeluarga"):
        model = apps.get_model("children", name)
        rows = list(model.objects.exclude(kk_encrypted=""))
        for row in rows:
            row.kk_number = pii.decrypt(row.kk_encrypted)
        model.objects.bulk_update(rows, ["kk_number"], batch_size=BATCH)


def _strip_serials(apps, schema_editor):
    for name in ("Measurement", "HistoricalMeasurement"):
        model = apps.get_model("children", name)
        key = "history_id" if name.startswith("Historical") else "pk"
        batch = []
        for row in model.objects.filter(raw__isnull=False).order_by(key).iterator(chunk_size=BATCH):
            changed = {
                title: "•" * len(value)
                for title, value in row.raw.items()
                if isinstance(value, str) and _OLD_MASK.match(value)
            }
            if changed:
                row.raw = {**row.raw, **changed}
                batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, ["raw"])
                batch = []
        model.objects.bulk_update(batch, ["raw"])


# The columns are dropped in the next migration: PostgreSQL refuses ALTER TABLE after updates in the same
# transaction while deferred constraint triggers are pending.


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0005_measurement_import_row"),
        ("convergence", "0002_actions_meetings"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalkeluarga",
            name="kk_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="nomor KK (terenkripsi)"),
        ),
        migrations.AddField(
            model_name="historicalkeluarga",
            name="kk_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="hash nomor KK"),
        ),
        migrations.AddField(
            model_name="keluarga",
            name="kk_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="nomor KK (terenkripsi)"),
        ),
        migrations.AddField(
            model_name="keluarga",
            name="kk_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="hash nomor KK"),
        ),
        migrations.RunPython(_encrypt_kk, _decrypt_kk, elidable=False),
        migrations.RunPython(_strip_serials, migrations.RunPython.noop, elidable=False),
    ]
