"""Recomputing the summaries in the database: levels, idempotency, incremental = full, scoping."""

from __future__ import annotations

import datetime

import pytest

from children.models import Child, Measurement
from reports.models import PrevalenceSummary
from reports.services import periods_for_months, prevalence_recompute, prevalence_refresh
from tests.factories import ChildFactory

Row = PrevalenceSummary
JAN = datetime.date(2025, 1, 1)


def _measure(
    child: Child, day: datetime.date, haz: int, *, waz: int = 2, whz: int = 2, posyandu=None
) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=posyandu or child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        haz_category=haz,
        waz_category=waz,
        whz_category=whz,
    )


def _stored() -> dict[tuple, tuple]:
    fields = [
        "level",
        "region_id",
        "posyandu_id",
        "period_kind",
        "period",
        *(
            "registered",
            "measured",
            "haz_sangat_pendek",
            "haz_pendek",
            "haz_normal",
            "haz_tinggi",
            "haz_flagged",
            "whz_gizi_buruk",
        ),
    ]
    return {r[:5]: r[5:] for r in Row.objects.values_list(*fields)}


@pytest.fixture
def measured(district):
    d = district
    a = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 5, 1))
    b = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 6, 1))
    c = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2024, 1, 1))
    e = ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2022, 1, 1))
    ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2024, 2, 1))  # registered, never measured
    _measure(a, datetime.date(2025, 1, 10), 0)
    _measure(b, datetime.date(2025, 1, 11), 1, whz=0)
    _measure(b, datetime.date(2025, 2, 11), 2)
    _measure(c, datetime.date(2025, 1, 12), 2)
    _measure(e, datetime.date(2025, 1, 13), -2)  # WHO flag: out of the denominator
    # a child of desa A2 weighed at the posyandu of desa A1 this once
    _measure(c, datetime.date(2025, 2, 12), 1, posyandu=d.posyandu_a1)
    return d


def test_it_writes_every_level_by_hand(measured) -> None:
    d = measured
    result = prevalence_recompute(
        kabupaten=d.kabupaten, periods=periods_for_months([JAN, datetime.date(2025, 2, 1)])
    )
    assert result.chunks == 2
    jan = {"period_kind": "M", "period": JAN}
    kab = Row.objects.get(level="kabupaten", region=d.kabupaten, **jan)
    assert (
        kab.registered,
        kab.measured,
        kab.haz_sangat_pendek,
        kab.haz_pendek,
        kab.haz_normal,
        kab.haz_flagged,
    ) == (5, 4, 1, 1, 1, 1)
    assert kab.whz_gizi_buruk == 1
    kec_a = Row.objects.get(level="kecamatan", region=d.kecamatan_a, **jan)
    assert (kec_a.registered, kec_a.measured, kec_a.stunted, kec_a.haz_counted) == (3, 3, 2, 3)
    feb = {"period_kind": "M", "period": datetime.date(2025, 2, 1)}
    # February: child C lives in desa A2 but was weighed at posyandu A1
    assert Row.objects.get(level="desa", region=d.desa_a2, **feb).haz_pendek == 1
    assert Row.objects.get(level="posyandu", posyandu=d.posyandu_a1, **feb).measured == 2
    assert not Row.objects.filter(level="posyandu", posyandu=d.posyandu_a2, measured__gt=0, **feb).exists()
    year = Row.objects.get(level="kabupaten", region=d.kabupaten, period_kind="Y", period=JAN)
    assert (year.measured, year.haz_sangat_pendek, year.haz_pendek, year.haz_normal) == (4, 1, 1, 1)


def test_it_is_idempotent(measured) -> None:
    periods = periods_for_months([JAN])
    prevalence_recompute(kabupaten=measured.kabupaten, periods=periods)
    before = _stored()
    again = prevalence_recompute(kabupaten=measured.kabupaten, periods=periods)
    assert (again.written, again.deleted) == (0, 0)
    assert _stored() == before


def test_the_incremental_refresh_equals_a_full_recompute(
    measured, django_capture_on_commit_callbacks
) -> None:
    d = measured
    prevalence_recompute(kabupaten=d.kabupaten)
    child = Child.objects.filter(posyandu=d.posyandu_b1).order_by("pk").last()
    _measure(child, datetime.date(2025, 2, 3), 0)
    Measurement.objects.filter(child__posyandu=d.posyandu_a2, measured_on=datetime.date(2025, 1, 12)).delete()
    prevalence_refresh(
        desa_ids=[d.desa_b1.pk, d.desa_a2.pk],
        posyandu_ids=[d.posyandu_b1.pk, d.posyandu_a2.pk],
        months=[datetime.date(2025, 2, 1), JAN],
    )
    incremental = _stored()
    Row.objects.all().delete()
    prevalence_recompute(kabupaten=d.kabupaten)
    assert _stored() == incremental


def test_a_bulk_import_refreshes_the_prevalence_of_its_months(
    district, django_capture_on_commit_callbacks
) -> None:
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    sample = Path(__file__).parents[1] / "children" / "data" / "eppgbm_sample.csv"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_eppgbm", str(sample), "--commit", "--user", "pkm_pesanggaran", stdout=StringIO())
    months = set(Measurement.objects.values_list("measured_on", flat=True))
    assert months
    for day in months:
        kab = Row.objects.get(
            level="kabupaten", region=district.kabupaten, period_kind="M", period=day.replace(day=1)
        )
        assert (
            kab.measured
            == Measurement.objects.filter(measured_on__month=day.month, measured_on__year=day.year).count()
        )
