"""Demo data of the reports: the district's target rule, survey figures, the first recompute, and the
province's target path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step
from convergence.models import Region

from .models import PrevalenceSummary, RecomputeRun, SurveyFigure, TargetRule
from .province_targets import provincial_target_save
from .services import prevalence_recompute

# Survey figures of the demo kabupaten, as a district would type them in from the SSGI/SKI reports.
DEMO_SURVEYS = [
    (2022, SurveyFigure.Source.SSGI, "31.20", "8.10", "19.40"),
    (2023, SurveyFigure.Source.SKI, "29.60", "7.70", "18.80"),
    (2024, SurveyFigure.Source.SSGI, "27.90", "7.20", "18.10"),
]

# The province's target path (RPJMD), stunting % per year: from the 2024 baseline down towards the
# national 14% and below, as East Java's RPJMD does (figures invented for the demo).
PROVINCE_TARGETS = ((2024, "18.00"), (2025, "16.00"), (2026, "14.00"), (2027, "13.00"), (2028, "12.00"))


@demo_step(300, "prevalensi")
def seed_prevalence(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: Any) -> None:
    kabupaten = district.kabupaten
    TargetRule.objects.create(
        kabupaten=kabupaten,
        regulation="Perbup 68/2020 (contoh: penurunan minimal 1 poin per tahun)",
        min_reduction_points=Decimal("1.00"),
        target_year=2029,
        target_pct=Decimal("14.20"),
    )
    SurveyFigure.objects.bulk_create(
        SurveyFigure(
            region=kabupaten,
            year=year,
            source=source,
            stunting_pct=Decimal(stunting),
            wasting_pct=Decimal(wasting),
            underweight_pct=Decimal(underweight),
            note="Angka contoh untuk demo",
        )
        for year, source, stunting, wasting, underweight in DEMO_SURVEYS
    )
    result = prevalence_recompute(kabupaten=kabupaten)
    district.count("ringkasan prevalensi (baris)", result.written)
    if district.number == 1:
        _seed_province_targets(district)


def _seed_province_targets(district: DemoDistrict) -> None:
    """With the first kabupaten, the province's target path, entered by its demo Bappeda through the
    service as on its page (a rerun changes the same years)."""
    for year, pct in PROVINCE_TARGETS:
        provincial_target_save(
            user=district.users["bappeda_provinsi"],
            provinsi=district.provinsi,
            year=year,
            stunting_pct=Decimal(pct),
            source="RPJMD Provinsi 2025-2029 (demo)",
        )


@demo_cleanup(300, "prevalensi")
def delete_prevalence(*, kabupaten: Region, out: Any) -> None:
    inside = f"{kabupaten.code}."
    PrevalenceSummary.objects.filter(region__code__startswith=inside).delete()
    PrevalenceSummary.objects.filter(region=kabupaten).delete()
    RecomputeRun.objects.filter(kabupaten=kabupaten).delete()
    TargetRule.objects.filter(kabupaten=kabupaten).delete()
    SurveyFigure.objects.filter(region__code__startswith=kabupaten.code).delete()
