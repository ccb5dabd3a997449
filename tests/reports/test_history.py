"""A district's whole history, from a first measurement more than five years old with years without
any measurement in the middle: the full recompute equals the counts made month by month the simple
way (the group-by oracle for prevalence, one month at a time for the data-quality sums)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from children.models import Child, Measurement
from reports.models import PrevalenceSummary
from reports.models_quality import DataQualitySummary
from reports.services import full_periods, kecamatan_of, prevalence_recompute
from reports.services_quality import quality_recompute
from tests.factories import ChildFactory
from tests.reports.test_property import expected_counts, stored_counts

TODAY = datetime.date(2025, 3, 15)
FIRST = datetime.date(2015, 1, 10)
QUIET_YEARS = (2016, 2017, 2018)  # no measurement at all: only the registered children


def _measure(child: Child, day: datetime.date, *, height: str, weight: str, haz_c: int = 2, posyandu=None):
    return Measurement.objects.create(
        child=child,
        posyandu=posyandu or child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        height_cm=Decimal(height),
        adjusted_height_cm=Decimal(height),
        weight_kg=Decimal(weight),
        haz=-6.5 if haz_c == -2 else -1.0 + haz_c / 4,
        whz=0.25,
        haz_category=haz_c,
        waz_category=2,
        whz_category=1,
    )


@pytest.fixture
def history(district):
    d = district
    kader = d.users["kader"]
    ani = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2014, 3, 1))
    budi = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2014, 9, 15))
    citra = ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2020, 1, 1))
    ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2015, 5, 5))  # registered, never measured
    ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2021, 5, 5))  # registered, never measured
    _measure(ani, FIRST, height="75.0", weight="9.10")
    _measure(ani, datetime.date(2015, 1, 25), height="75.4", weight="9.30", haz_c=1)  # same month: latest
    _measure(ani, datetime.date(2015, 6, 10), height="73.0", weight="9.50")  # 2.4 cm shorter
    _measure(budi, datetime.date(2015, 11, 20), height="80.5", weight="10.05", haz_c=-2)  # WHO flag
    _measure(budi, datetime.date(2019, 7, 1), height="102.0", weight="15.00")  # aged out: left out
    measured = _measure(citra, datetime.date(2024, 12, 30), height="88.0", weight="12.00", haz_c=0)
    measured.measured_by = kader
    measured.save(update_fields=["measured_by"])
    _measure(citra, datetime.date(2025, 1, 2), height="88.5", weight="12.20", posyandu=d.posyandu_a1)
    return d


def _periods(kabupaten) -> list[tuple[str, datetime.date]]:
    periods = full_periods(kabupaten=kabupaten, today=TODAY)
    assert periods is not None
    epoch = datetime.date(1970, 1, 1)
    return [
        (str(kind), epoch + datetime.timedelta(days=int(day)))
        for kind, day in zip(periods.kind, periods.start_day, strict=True)
    ]


def _quality_rows() -> dict[tuple, tuple]:
    names = [
        f.attname for f in DataQualitySummary._meta.concrete_fields if f.attname not in ("id", "computed_at")
    ]
    return {
        (r["kind"], r["posyandu_id"], r["measurer_id"], r["period"]): tuple(r[n] for n in names)
        for r in DataQualitySummary.objects.values(*names)
    }


def test_it_summarises_every_month_from_the_first_measurement_like_the_oracle(history, monkeypatch) -> None:
    d = history
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: TODAY)
    periods = _periods(d.kabupaten)
    months = [start for kind, start in periods if kind == "M"]
    assert (months[0], months[-1], len(months)) == (datetime.date(2015, 1, 1), datetime.date(2025, 3, 1), 123)

    prevalence_recompute(kabupaten=d.kabupaten)

    assert stored_counts() == expected_counts(d.kabupaten, periods)
    stored = PrevalenceSummary.objects.filter(level="kabupaten", period_kind="M")
    assert min(stored.values_list("period", flat=True)) == datetime.date(2015, 1, 1)
    # the quiet years still hold the children registered, and nobody measured
    quiet = stored.filter(period__year__in=QUIET_YEARS)
    assert quiet.count() == 36
    assert set(quiet.values_list("measured", flat=True)) == {0}
    assert set(quiet.values_list("registered", flat=True)) == {3}  # Ani, Budi and the one never measured


def test_the_quality_sums_of_the_history_equal_those_made_one_month_at_a_time(history, monkeypatch) -> None:
    d = history
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: TODAY)
    prevalence_recompute(kabupaten=d.kabupaten)
    whole = _quality_rows()
    january = DataQualitySummary.objects.get(
        kind="posyandu", posyandu=d.posyandu_a1, period=FIRST.replace(day=1)
    )
    assert (january.measurements, january.registered, january.measured) == (2, 1, 1)  # Ani twice
    assert ("posyandu", d.posyandu_a1.pk, None, datetime.date(2017, 4, 1)) in whole  # quiet month: registered

    DataQualitySummary.objects.all().delete()
    kecamatan_ids = kecamatan_of(d.kabupaten)
    for kind, start in _periods(d.kabupaten):
        if kind == "M":
            end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            quality_recompute(kecamatan_ids=kecamatan_ids, first_day=start, last_day=end, full=False)

    assert _quality_rows() == whole
    shrunk = DataQualitySummary.objects.get(
        kind="posyandu", posyandu=d.posyandu_a1, period=datetime.date(2015, 6, 1)
    )
    assert (shrunk.measurements, shrunk.shrink_checked, shrunk.shrink_count) == (1, 1, 1)
    by_kader = DataQualitySummary.objects.get(kind="measurer", measurer=d.users["kader"])
    assert (by_kader.posyandu_id, by_kader.period, by_kader.measurements) == (
        d.posyandu_b1.pk,
        datetime.date(2024, 12, 1),
        1,
    )


def test_a_second_full_recompute_of_the_history_writes_nothing(history, monkeypatch) -> None:
    d = history
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: TODAY)
    prevalence_recompute(kabupaten=d.kabupaten)
    before = set(DataQualitySummary.objects.values_list("pk", flat=True))
    again = prevalence_recompute(kabupaten=d.kabupaten)
    assert (again.periods, again.written, again.deleted) == (123 + 11, 0, 0)
    assert set(DataQualitySummary.objects.values_list("pk", flat=True)) == before
