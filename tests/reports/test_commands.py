"""Operators' commands: recompute_prevalence and the prevalence year table."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from children.models import Measurement
from reports.models import PrevalenceSummary, TargetRule
from tests.factories import ChildFactory


def _cohort(posyandu, year: int, categories: list[int]) -> None:
    for i, category in enumerate(categories):
        child = ChildFactory(posyandu=posyandu, birth_date=datetime.date(year - 2, 1 + i % 12, 1))
        day = datetime.date(year, 8, 10)
        Measurement.objects.create(
            child=child,
            posyandu=posyandu,
            measured_on=day,
            age_days=(day - child.birth_date).days,
            haz_category=category,
            waz_category=2,
            whz_category=2,
        )


@pytest.fixture
def two_years(district):
    # 2023: 2 sangat pendek + 3 pendek + 14 normal + 1 tinggi = 20 measured, 25.00%
    _cohort(district.posyandu_a1, 2023, [0] * 2 + [1] * 3 + [2] * 14 + [3])
    # 2024: 1 + 3 of 20 = 20.00%; one WHO-flagged height left out. Both cohorts are balita both
    # years, so 41 children are registered in each.
    _cohort(district.posyandu_a1, 2024, [0] + [1] * 3 + [2] * 16 + [-2])
    TargetRule.objects.create(
        kabupaten=district.kabupaten, regulation="Perbup 68/2020", min_reduction_points=1
    )
    return district


def test_it_recomputes_and_prints_the_year_table(two_years) -> None:
    out = StringIO()
    call_command("recompute_prevalence", "--region", two_years.kabupaten.code, stdout=out)
    # Run at once on the embedded default, queued (and run by the test's in-process Celery) with a broker.
    assert ": 2 kecamatan" in out.getvalue() or ": 2 tugas kecamatan diantrekan." in out.getvalue()
    years = PrevalenceSummary.objects.filter(level="kabupaten", period_kind="Y", measured__gt=0)
    assert [row.period.year for row in years] == [2023, 2024]
    table = StringIO()
    call_command("prevalence", two_years.desa_a1.code, "--year", "2024", stdout=table)
    lines = table.getvalue().splitlines()
    assert lines[0].startswith("Desa SUMBERAGUNG (35.10.01.2001)")
    row_2023 = next(line for line in lines if line.strip().startswith("2023")).split()
    row_2024 = next(line for line in lines if line.strip().startswith("2024")).split()
    # year, registered, measured, sangat pendek, pendek, normal, tinggi, stunting %, CI, change, status, target, on course
    assert row_2023[:8] == ["2023", "41", "20", "2", "3", "14", "1", "25,00"]
    assert row_2024[:8] == ["2024", "41", "20", "1", "3", "16", "0", "20,00"]
    assert row_2024[9:] == ["-5,00", "Turun", "24,00", "ya"]
    assert "1 nilai TB/U di luar batas WHO tidak dihitung." in table.getvalue()
    assert "Perbup 68/2020" in table.getvalue()


def test_it_recomputes_one_kecamatan_from_a_desa_code(two_years) -> None:
    call_command("recompute_prevalence", "--region", two_years.desa_a1.code, stdout=StringIO())
    assert set(PrevalenceSummary.objects.filter(level="kecamatan").values_list("region_id", flat=True)) == {
        two_years.kecamatan_a.pk
    }


def test_it_refuses_unknown_codes_and_years_without_data(two_years) -> None:
    with pytest.raises(CommandError, match="tidak dikenal"):
        call_command("recompute_prevalence", "--region", "99.99", stdout=StringIO())
    call_command("recompute_prevalence", stdout=StringIO())
    with pytest.raises(CommandError, match="Belum ada ringkasan"):
        call_command("prevalence", two_years.kabupaten.code, "--year", "2019", stdout=StringIO())


def test_it_summarises_history_older_than_five_years(district) -> None:
    # A district loading the exports of its baseline years, seven and six years back.
    first = timezone.localdate().year - 7
    # first: 2 sangat pendek + 2 pendek + 15 normal + 1 tinggi = 20 measured, 20.00%
    _cohort(district.posyandu_a1, first, [0] * 2 + [1] * 2 + [2] * 15 + [3])
    # first + 1: 1 sangat pendek + 2 pendek + 17 normal = 20 measured, 15.00%
    _cohort(district.posyandu_a1, first + 1, [0] + [1] * 2 + [2] * 17)
    call_command("recompute_prevalence", "--region", district.kabupaten.code, stdout=StringIO())
    years = PrevalenceSummary.objects.filter(level="kabupaten", period_kind="Y", measured__gt=0)
    assert [row.period.year for row in years] == [first, first + 1]
    table = StringIO()
    call_command("prevalence", district.kabupaten.code, "--year", str(first + 1), stdout=table)
    rows = [line.split() for line in table.getvalue().splitlines() if line.strip()[:4].isdigit()]
    # Both cohorts are balita in both years: 40 registered each year.
    assert [row[:8] for row in rows] == [
        [str(first), "40", "20", "2", "2", "15", "1", "20,00"],
        [str(first + 1), "40", "20", "1", "2", "17", "0", "15,00"],
    ]


def test_the_nightly_run_rewrites_only_the_recent_months(district, settings) -> None:
    from reports.services import prevalence_recompute_kecamatan

    settings.PREVALENCE_MONTHS = 12
    first = timezone.localdate().year - 7
    _cohort(district.posyandu_a1, first, [1, 2])
    call_command("recompute_prevalence", "--region", district.kabupaten.code, stdout=StringIO())
    old = PrevalenceSummary.objects.get(
        level="kecamatan", period_kind="Y", period=datetime.date(first, 1, 1), region=district.kecamatan_a
    )
    result = prevalence_recompute_kecamatan(kecamatan_id=district.kecamatan_a.pk, recent=True)
    # 12 months and the years they span (one in December, two otherwise); the old year is left as it was.
    assert result.periods == 12 + (1 if timezone.localdate().month == 12 else 2)
    assert PrevalenceSummary.objects.get(pk=old.pk).haz_pendek == 1
