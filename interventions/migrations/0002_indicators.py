"""The national indicator catalogue: the 29 essential service-coverage indicators (SE Mendagri
400.5/8476/SJ, 27 Nov 2022) with the Perpres 72/2021 annex targets for 2024 where the annex gives one.

Targets marked [P]/[U] in the source notes are plausible but unconfirmed; Bappeda edits them (and adds
its kabupaten's own) as reference data.
"""

from decimal import Decimal

from django.db import migrations

SE = "SE Mendagri 400.5/8476/SJ (29 indikator cakupan layanan esensial)"
PERPRES = "Perpres 72/2021 lampiran"

# (code, name, kind, target group, numerator, denominator)
INDICATORS = [
    ("IK01", "Remaja putri yang mengonsumsi tablet tambah darah", "spesifik", "remaja_putri", "Remaja putri yang mengonsumsi TTD", "Remaja putri"),
    ("IK02", "Remaja putri yang menerima pemeriksaan status anemia (Hb)", "esensial", "remaja_putri", "Remaja putri yang diperiksa Hb", "Remaja putri"),
    ("IK03", "Calon pengantin/calon ibu yang menerima TTD", "esensial", "catin", "Catin yang menerima TTD", "Catin"),
    ("IK04", "Calon PUS yang memperoleh pemeriksaan kesehatan sebagai bagian pelayanan nikah", "sensitif", "catin", "Calon PUS yang diperiksa", "Calon PUS"),
    ("IK05", "Calon PUS yang menerima pendampingan kesehatan reproduksi dan gizi sejak 3 bulan pranikah", "esensial", "catin", "Calon PUS yang didampingi", "Calon PUS"),
    ("IK06", "Catin yang mendapat bimbingan perkawinan dengan materi pencegahan stunting", "esensial", "catin", "Catin yang mengikuti bimbingan", "Catin"),
    ("IK07", "PUS miskin yang menerima bantuan tunai bersyarat (PKH)", "sensitif", "keluarga", "Keluarga miskin penerima PKH", "Keluarga miskin"),
    ("IK08", "PUS miskin yang menerima bantuan pangan non-tunai (BPNT)", "sensitif", "keluarga", "Keluarga miskin penerima BPNT", "Keluarga miskin"),
    ("IK09", "PUS miskin yang menjadi peserta PBI JKN", "sensitif", "keluarga", "Keluarga miskin peserta PBI", "Keluarga miskin"),
    ("IK10", "Ibu hamil KEK yang mendapatkan tambahan asupan gizi", "spesifik", "ibu_hamil", "Ibu hamil KEK yang menerima PMT", "Ibu hamil KEK"),
    ("IK11", "Ibu hamil yang mengonsumsi TTD minimal 90 tablet selama kehamilan", "spesifik", "ibu_hamil", "Ibu hamil dengan TTD >= 90 tablet", "Ibu hamil"),
    ("IK12", "Kebutuhan ber-KB yang tidak terpenuhi (unmet need)", "sensitif", "keluarga", "PUS ingin ber-KB tetapi tidak ber-KB", "PUS"),
    ("IK13", "Kehamilan yang tidak diinginkan", "sensitif", "ibu_hamil", "Kehamilan tidak diinginkan", "Kehamilan"),
    ("IK14", "Bayi usia kurang dari 6 bulan yang mendapat ASI eksklusif", "spesifik", "baduta", "Bayi 0-5 bulan ASI eksklusif", "Bayi 0-5 bulan"),
    ("IK15", "Anak usia 6-23 bulan yang mendapat MP-ASI", "spesifik", "baduta", "Anak 6-23 bulan yang mendapat MP-ASI", "Anak 6-23 bulan"),
    ("IK16", "Balita gizi buruk yang mendapat pelayanan tata laksana gizi buruk", "spesifik", "balita", "Balita gizi buruk yang ditangani", "Balita gizi buruk"),
    ("IK17", "Balita yang dipantau pertumbuhan dan perkembangannya", "spesifik", "balita", "Balita yang ditimbang/diukur", "Balita"),
    ("IK18", "Balita gizi kurang yang mendapat tambahan asupan gizi", "spesifik", "balita", "Balita gizi kurang yang menerima PMT", "Balita gizi kurang"),
    ("IK19", "Balita yang memperoleh imunisasi dasar lengkap", "spesifik", "baduta", "Anak dengan IDL", "Anak 12-23 bulan"),
    ("IK20", "Keluarga yang Stop Buang Air Besar Sembarangan (BABS)", "esensial", "keluarga", "Keluarga Stop BABS", "Keluarga"),
    ("IK21", "Keluarga yang melaksanakan PHBS", "esensial", "keluarga", "Keluarga ber-PHBS", "Keluarga"),
    ("IK22", "Keluarga berisiko stunting yang memperoleh promosi peningkatan konsumsi ikan", "esensial", "keluarga", "Keluarga berisiko yang menerima promosi ikan", "Keluarga berisiko stunting"),
    ("IK23", "Pelayanan KB pascapersalinan", "sensitif", "ibu_hamil", "Ibu bersalin yang ber-KB pascapersalinan", "Ibu bersalin"),
    ("IK24", "Keluarga berisiko stunting yang mendapatkan pendampingan", "sensitif", "keluarga", "Keluarga berisiko yang didampingi", "Keluarga berisiko stunting"),
    ("IK25", "Keluarga berisiko stunting yang memanfaatkan sumber daya pekarangan", "esensial", "keluarga", "Keluarga berisiko dengan pekarangan pangan", "Keluarga berisiko stunting"),
    ("IK26", "Rumah tangga yang mendapatkan akses air minum layak", "sensitif", "keluarga", "Rumah tangga dengan air minum layak", "Rumah tangga"),
    ("IK27", "Rumah tangga yang mendapatkan akses sanitasi (air limbah domestik) layak", "sensitif", "keluarga", "Rumah tangga dengan sanitasi layak", "Rumah tangga"),
    ("IK28", "Keluarga PKH yang mengikuti P2K2 modul kesehatan dan gizi", "esensial", "keluarga", "Keluarga PKH peserta P2K2 gizi", "Keluarga PKH"),
    ("IK29", "KPM dengan ibu hamil/menyusui/baduta yang menerima variasi bansos pangan selain beras dan telur", "esensial", "keluarga", "KPM penerima variasi pangan", "KPM dengan ibu hamil/menyusui/baduta"),
]

# National targets for 2024 (Perpres 72/2021 annex); [P]/[U] where the sources disagree or are unconfirmed.
TARGETS_2024 = {
    "IK01": ("58.0", PERPRES),
    "IK04": ("90.0", PERPRES + " [P]"),
    "IK10": ("90.0", PERPRES),
    "IK11": ("80.0", PERPRES),
    "IK13": ("15.5", PERPRES + " [P]"),
    "IK14": ("80.0", PERPRES),
    "IK15": ("80.0", PERPRES),
    "IK16": ("90.0", PERPRES),
    "IK17": ("90.0", PERPRES + " [P]"),
    "IK18": ("90.0", PERPRES),
    "IK19": ("90.0", PERPRES + " [P]"),
    "IK20": ("90.0", PERPRES + " (desa/kelurahan ODF) [U]"),
    "IK23": ("70.0", PERPRES + " [P]"),
    "IK24": ("90.0", PERPRES + " [U]"),
    "IK26": ("100.0", PERPRES + " [U]"),
    "IK27": ("90.0", PERPRES + " [U]"),
}


def load(apps, schema_editor):
    Indicator = apps.get_model("interventions", "Indicator")
    IndicatorTarget = apps.get_model("interventions", "IndicatorTarget")
    for code, name, kind, group, numerator, denominator in INDICATORS:
        indicator, _ = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "target_group": group,
                "numerator": numerator,
                "denominator": denominator,
                "unit": "%",
                "source": SE,
            },
        )
        if code in TARGETS_2024:
            percent, source = TARGETS_2024[code]
            IndicatorTarget.objects.update_or_create(
                indicator=indicator,
                kabupaten=None,
                year=2024,
                defaults={"target_percent": Decimal(percent), "source": source},
            )


def unload(apps, schema_editor):
    apps.get_model("interventions", "Indicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("interventions", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
