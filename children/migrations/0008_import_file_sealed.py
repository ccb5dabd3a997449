"""Uploaded registers sealed at rest (children.storage): files stored before are encrypted in place."""

from django.core.files.storage import FileSystemStorage
from django.db import migrations, models

import children.storage


def _seal_stored_files(apps, schema_editor):
    from children import pii

    plain = FileSystemStorage()
    for job in apps.get_model("children", "ImportJob").objects.exclude(file=""):
        if not plain.exists(job.file.name):
            continue
        path = plain.path(job.file.name)
        with open(path, "rb") as handle:
            data = handle.read()
        if data.startswith(b"KSPII1"):
            continue
        with open(path, "wb") as handle:
            handle.write(pii.encrypt_bytes(data))


class Migration(migrations.Migration):
    dependencies = [("children", "0007_kk_plaintext_removed")]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="berkas dihapus"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="file",
            field=models.FileField(
                blank=True,
                storage=children.storage.import_storage,
                upload_to="imports/%Y/%m/",
                verbose_name="berkas",
            ),
        ),
        migrations.RunPython(_seal_stored_files, migrations.RunPython.noop, elidable=False),
    ]
