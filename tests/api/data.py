"""A small measured district for API tests: children weighed in 2024 and 2025, summaries recomputed, a
target rule and survey figures in kabupaten 35.10, and one survey figure in the kabupaten beside it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from children.models import Child, Measurement
from reports.models import SurveyFigure, TargetRule
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import ChildFactory, DistrictFixture

MONTHS = [datetime.date(2024, 8, 1), datetime.date(2025, 1, 1), datetime.date(2025, 8, 1)]


def _measure(child: Child, day: datetime.date, haz: int, *, waz: int = 2, whz: int = 2) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        haz_category=haz,
        waz_category=waz,
        whz_category=whz,
    )


def measure_district(d: DistrictFixture) -> DistrictFixture:
    """Five children in three desa, weighed in August 2024, January 2025 and August 2025."""
    a = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 5, 1))
    b = ChildFactory(posyandu=d.posyandu_a1_second, birth_date=datetime.date(2023, 6, 1))
    c = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2024, 1, 1))
    e = ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2022, 1, 1))
    ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2024, 2, 1))  # registered, never weighed
    for day, categories in [
        (datetime.date(2024, 8, 10), [(a, 0), (b, 1), (c, 2), (e, 1)]),
        (datetime.date(2025, 1, 10), [(a, 1), (b, 2), (c, 2), (e, 0)]),
        (datetime.date(2025, 8, 10), [(a, 2), (b, 2), (c, 1), (e, 2)]),
    ]:
        for child, haz in categories:
            _measure(child, day, haz, whz=1 if child is b else 2, waz=1 if child is e else 2)
    prevalence_recompute(kabupaten=d.kabupaten, periods=periods_for_months(MONTHS))
    TargetRule.objects.create(
        kabupaten=d.kabupaten,
        regulation="Perbup 68/2020",
        baseline_year=2024,
        min_reduction_points=Decimal("1.00"),
        target_year=2026,
        target_pct=Decimal("14.00"),
    )
    SurveyFigure.objects.create(region=d.kabupaten, year=2024, source="SKI", stunting_pct=Decimal("21.40"))
    SurveyFigure.objects.create(
        region=d.other_kabupaten, year=2024, source="SKI", stunting_pct=Decimal("30.10")
    )
    return d
