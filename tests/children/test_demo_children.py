"""The seed_demo step that registers children and 24 months of measurements."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db.models import Count, Q

from children.demo import delete_children, seed_children
from children.models import Child, Measurement
from convergence.demo import SCALES, DemoDistrict
from tests.factories import DistrictFixture

TODAY = date(2026, 11, 23)


def run_step(district: DistrictFixture, seed: int) -> list[tuple[object, ...]]:
    demo = DemoDistrict(today=TODAY)
    demo.posyandu = [
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
    ]
    seed_children(rng_seed=seed, scale=SCALES["small"], district=demo, out=OutputWrapper(StringIO()))
    return list(
        Measurement.objects.order_by("child__name", "child__birth_date", "measured_on").values_list(
            "child__name",
            "child__sex",
            "child__birth_date",
            "measured_on",
            "weight_kg",
            "height_cm",
            "haz",
            "weight_gain",
        )
    )


def test_it_generates_the_same_children_for_the_same_seed(district: DistrictFixture) -> None:
    first = run_step(district, seed=7)
    delete_children(kabupaten=district.kabupaten, out=OutputWrapper(StringIO()))
    assert Child.objects.count() == 0
    again = run_step(district, seed=7)
    assert again == first
    delete_children(kabupaten=district.kabupaten, out=OutputWrapper(StringIO()))
    assert run_step(district, seed=8) != first


def test_it_measures_children_only_between_birth_and_59_months(district: DistrictFixture) -> None:
    run_step(district, seed=7)
    ages = Measurement.objects.values_list("age_days", "measured_on", "child__birth_date")
    assert ages
    for age_days, measured_on, birth_date in ages:
        assert age_days == (measured_on - birth_date).days
        assert 0 <= age_days < 1826
        assert measured_on <= TODAY


@pytest.mark.django_db
def test_it_seeds_a_small_district_with_falling_prevalence_around_20_to_28_percent() -> None:
    call_command("seed_demo", "--seed", "2026", stdout=StringIO())
    alive = Child.objects.filter(birth_date__gt=date(2021, 11, 24)).count()
    assert 9_000 <= alive <= 11_000
    by_month = (
        Measurement.objects.filter(haz_category__gte=0)
        .values("measured_on__year", "measured_on__month")
        .annotate(measured=Count("id"), stunted=Count("id", filter=Q(haz_category__in=[0, 1])))
        .order_by("measured_on__year", "measured_on__month")
    )
    shares = [row["stunted"] / row["measured"] for row in by_month]
    assert len(shares) == 24
    assert 0.25 <= shares[0] <= 0.29
    assert 0.19 <= shares[-1] <= 0.24
    assert shares[-1] < shares[0]
