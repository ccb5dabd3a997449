"""The KK number's plaintext column goes, now that every value is encrypted (0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("children", "0006_kk_encrypted")]

    operations = [
        migrations.RemoveConstraint(
            model_name="keluarga",
            name="keluarga_kk_unique",
        ),
        migrations.RemoveField(
            model_name="historicalkeluarga",
            name="kk_number",
        ),
        migrations.RemoveField(
            model_name="keluarga",
            name="kk_number",
        ),
        migrations.AddConstraint(
            model_name="keluarga",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kk_hash", ""), _negated=True),
                fields=("kk_hash",),
                name="keluarga_kk_hash_unique",
            ),
        ),
    ]
