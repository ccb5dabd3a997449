import datetime

from django.db import migrations

# Buku KIA 2023 (Permenkes 2/2020) KBM by completed month; the 300 g -> 200 g switch month is the one
# of the domain brief's default (7-10: 300 g, 11-60: 200 g). Admins edit or add a newer version.
DEFAULTS = [(1, 1, 800), (2, 2, 900), (3, 3, 800), (4, 4, 600), (5, 5, 500), (6, 6, 400), (7, 10, 300), (11, 60, 200)]
VALID_FROM = datetime.date(2020, 1, 1)
SOURCE = "Buku KIA 2023 / Permenkes 2/2020"


def seed(apps, schema_editor):
    MinimumWeightGain = apps.get_model("children", "MinimumWeightGain")
    for age_from, age_to, grams in DEFAULTS:
        MinimumWeightGain.objects.update_or_create(
            valid_from=VALID_FROM,
            age_month_from=age_from,
            defaults={"age_month_to": age_to, "min_gain_g": grams, "source": SOURCE},
        )


def unseed(apps, schema_editor):
    MinimumWeightGain = apps.get_model("children", "MinimumWeightGain")
    MinimumWeightGain.objects.filter(valid_from=VALID_FROM, source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("children", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
