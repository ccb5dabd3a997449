"""The seed_demo step that registers children and 24 months of measurements."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db.models import Count, F, Q

from children import identity, pii
from children.compute import keluarga_is_at_risk
from children.demo import delete_children, seed_adolescent_girls, seed_children, seed_pregnancies
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    Keluarga,
    Measurement,
    Person,
    Pregnancy,
    PregnancyVisit,
)
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


def run_registry_steps(district: DistrictFixture, seed: int) -> DemoDistrict:
    demo = DemoDistrict(today=TODAY)
    demo.posyandu = [
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
    ]
    out = OutputWrapper(StringIO())
    for step in (seed_children, seed_pregnancies, seed_adolescent_girls):
        step(rng_seed=seed, scale=SCALES["small"], district=demo, out=out)
    return demo


def registry_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Keluarga,
            Person,
            Child,
            Measurement,
            Pregnancy,
            PregnancyVisit,
            AdolescentGirl,
            AdolescentTTD,
        )
    }


def test_it_links_most_children_to_a_family_and_a_mother(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    children = Child.objects.count()
    with_family = Child.objects.filter(keluarga__isnull=False).count()
    assert 0.85 * children <= with_family < children
    assert Child.objects.filter(keluarga__isnull=False, mother__isnull=True).count() == 0
    assert Child.objects.exclude(mother=None).exclude(mother__keluarga=F("keluarga")).count() == 0
    assert Child.objects.filter(mother_name="").count() == 0
    # Siblings: some families hold more than one registered child.
    assert Keluarga.objects.annotate(n=Count("children")).filter(n__gt=1).exists()
    assert 0.78 <= Child.objects.exclude(nik_hash="").count() / children <= 0.92
    mothers = Person.objects.filter(children__isnull=False).distinct()
    assert all(
        date(1980, 1, 1) <= born <= date(2006, 12, 31)
        for born in mothers.values_list("birth_date", flat=True)
    )


def test_it_gives_only_valid_unique_nik_and_kk_numbers(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    niks = []
    for model in (Child, Person):
        for encrypted, sex, birth_date in model.objects.exclude(nik_hash="").values_list(
            "nik_encrypted", "sex", "birth_date"
        ):
            nik = pii.decrypt(encrypted)
            check = identity.check_nik(nik, today=TODAY, birth_date_hint=birth_date)
            assert check.ok, (nik, check.error)
            assert identity.nik_warnings(check, sex=sex, birth_date=birth_date) == []
            niks.append(nik)
    assert len(niks) == len(set(niks))
    kk = [pii.decrypt(value) for value in Keluarga.objects.values_list("kk_encrypted", flat=True)]
    assert [number for number in kk if identity.check_kk(number, today=TODAY)[1]] == []
    assert len(kk) == len(set(kk))


def test_it_flags_families_at_risk_from_their_data(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    families = list(Keluarga.objects.values_list("water_source", "latrine", "at_risk", "at_risk_reasons"))
    for water, latrine, at_risk, reasons in families:
        assert at_risk == keluarga_is_at_risk(reasons)
        unsafe_water = water != "" and water not in Keluarga.SAFE_WATER
        assert ("air_tidak_layak" in reasons) == unsafe_water
        assert ("jamban_tidak_layak" in reasons) == (latrine in ("tidak_layak", "bab_sembarangan"))
    assert 0 < sum(1 for row in families if row[2]) < len(families)
    pregnant_families = Keluarga.objects.filter(members__pregnancies__outcome="berlangsung").distinct()
    assert pregnant_families.exists()
    assert all(
        "ada_ibu_hamil" in reasons for reasons in pregnant_families.values_list("at_risk_reasons", flat=True)
    )


def test_it_derives_pregnancy_flags_from_the_visits(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    ongoing = Pregnancy.objects.filter(outcome="berlangsung").count()
    alive = Child.objects.filter(birth_date__gt=TODAY - timedelta(days=1826)).count()
    assert round(alive * 0.2) - 2 <= ongoing <= round(alive * 0.2)
    finished = Pregnancy.objects.filter(outcome="lahir_hidup")
    assert finished.exists()
    assert finished.filter(newborn__isnull=True).count() == 0
    assert all(
        (delivery == born and mother == newborn_mother)
        for delivery, born, mother, newborn_mother in finished.values_list(
            "delivery_date", "newborn__birth_date", "mother_id", "newborn__mother_id"
        )
    )
    for pregnancy in Pregnancy.objects.prefetch_related("visits"):
        visits = sorted(pregnancy.visits.all(), key=lambda v: v.visit_date)
        lila = [v.lila_cm for v in visits if v.lila_cm is not None]
        hb = [v.hb_g_dl for v in visits if v.hb_g_dl is not None]
        assert pregnancy.is_kek == (bool(lila) and float(lila[-1]) < 23.5)
        assert pregnancy.is_anaemic == (bool(hb) and float(hb[-1]) < 11.0)
        assert pregnancy.ttd_total == sum(v.ttd_tablets for v in visits)
        assert pregnancy.anc_visits == len(visits)
        assert all(pregnancy.lmp_date <= v.visit_date <= TODAY for v in visits)
        if pregnancy.delivery_date:
            assert all(v.visit_date < pregnancy.delivery_date for v in visits)


def test_it_registers_adolescent_girls_with_weekly_ttd(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    girls = AdolescentGirl.objects.select_related("person")
    alive = Child.objects.filter(birth_date__gt=TODAY - timedelta(days=1826)).count()
    assert girls.count() == round(alive / 3)
    assert all(
        12 <= (TODAY - girl.person.birth_date).days / 365.25 < 19 and girl.person.sex == "P" for girl in girls
    )
    weeks = AdolescentTTD.objects.values_list("week_start", flat=True)
    assert {week.weekday() for week in weeks} == {0}
    assert min(weeks) >= TODAY - timedelta(weeks=53)
    adherence = AdolescentTTD.objects.count() / (girls.count() * 52)
    assert 0.3 <= adherence <= 0.8


def test_it_leaves_the_counts_unchanged_when_seeded_again(district: DistrictFixture) -> None:
    run_registry_steps(district, seed=7)
    first = registry_counts()
    assert all(count > 0 for count in first.values())
    delete_children(kabupaten=district.kabupaten, out=OutputWrapper(StringIO()))
    assert set(registry_counts().values()) == {0}
    run_registry_steps(district, seed=7)
    assert registry_counts() == first
