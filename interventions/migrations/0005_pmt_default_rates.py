"""Default PMT rates and durations (editable reference data).

Durations: Juknis PMT lokal as applied in 2025 (gizi kurang 56 days, BB kurang 14, 2T 14, ibu hamil
KEK 120). Ibu menyusui and baduta stunting have no national duration: 120 and 56 days are example
defaults. Daily rates: the Banyuwangi example (SE 444/3002/429.112.2024): Rp 17,500 per baduta/balita,
Rp 21,500 per ibu hamil KEK or ibu menyusui; each kabupaten sets its own rows.
"""

import datetime
from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("gizi_kurang", 56, Decimal(17500)),
    ("bb_kurang", 14, Decimal(17500)),
    ("dua_t", 14, Decimal(17500)),
    ("bumil_kek", 120, Decimal(21500)),
    ("ibu_menyusui", 120, Decimal(21500)),
    ("baduta_stunting", 56, Decimal(17500)),
]
SOURCE = (
    "Contoh bawaan: lama sesuai Juknis PMT Lokal (2023, diterapkan 2025); tarif contoh Banyuwangi "
    "SE 444/3002/429.112.2024. Ubah sesuai ketetapan kabupaten."
)


def seed(apps, schema_editor):
    PMTRate = apps.get_model("interventions", "PMTRate")
    for category, days, rate in DEFAULTS:
        PMTRate.objects.get_or_create(
            kabupaten=None,
            category=category,
            valid_from=datetime.date(2023, 1, 1),
            defaults={"duration_days": days, "daily_rate": rate, "source": SOURCE},
        )


class Migration(migrations.Migration):
    dependencies = [("interventions", "0004_pmt")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
