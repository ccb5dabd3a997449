"""The national stunting path (RPJMN 2020-2024 trajectory and the 2029 target), editable in admin."""

from decimal import Decimal

from django.db import migrations

RPJMN = "RPJMN 2020-2024 (Perpres 72/2021: 14% pada 2024)"
PATH = [
    (2019, "27.70", "SSGBI 2019 (baseline RPJMN)"),
    (2020, "24.10", RPJMN),
    (2021, "21.10", RPJMN),
    (2022, "18.40", RPJMN),
    (2023, "16.00", RPJMN),
    (2024, "14.00", RPJMN),
    (2029, "14.20", "RPJMN 2025-2029"),
]


def add_path(apps, schema_editor):
    NationalTarget = apps.get_model("reports", "NationalTarget")
    for year, pct, source in PATH:
        NationalTarget.objects.update_or_create(year=year, defaults={"stunting_pct": Decimal(pct), "source": source})


def remove_path(apps, schema_editor):
    apps.get_model("reports", "NationalTarget").objects.filter(year__in=[y for y, _, _ in PATH]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(add_path, remove_path)]
