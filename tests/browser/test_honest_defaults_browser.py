"""The bupati signs in on a laptop in a district whose current month is still being weighed: his
dashboard opens on the latest complete month, the targets and his first-screen blocks above the fold,
and an incomplete month chosen by hand says so. axe-core finds no serious or critical violation on
the dashboard nor on the public page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from convergence.formatting import month_name
from reports.models import NationalTarget, PrevalenceSummary, TargetRule
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser

Row = PrevalenceSummary
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
REGISTERED = 10369


def _months_back(day: datetime.date, n: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


def _row(
    level: str, region, kind: str, period: datetime.date, measured: int, stunted: int, registered: int
) -> None:  # type: ignore[no-untyped-def]
    Row.objects.create(
        level=level,
        region=region,
        period_kind=kind,
        period=period,
        registered=registered,
        measured=measured,
        haz_pendek=stunted,
        haz_normal=measured - stunted,
        whz_gizi_baik=measured,
        waz_normal=measured,
    )


def _weighing_in_progress(d: DistrictFixture) -> tuple[datetime.date, datetime.date]:
    """Three complete months, then the current one with 268 of 10369 measured (2.6%)."""
    current = timezone.localdate().replace(day=1)
    last_complete = _months_back(current, 1)
    for n, measured in ((3, 7260), (2, 7570), (1, 7932), (0, 268)):
        month = _months_back(current, n)
        _row(Row.Level.KABUPATEN, d.kabupaten, "M", month, measured, measured * 21 // 100, REGISTERED)
    # Kecamatan B: 2 of 3 stunted, the 66.67% that must not top the ranking.
    _row(Row.Level.KECAMATAN, d.kecamatan_a, "M", last_complete, 4000, 800, 5000)
    _row(Row.Level.KECAMATAN, d.kecamatan_b, "M", last_complete, 3, 2, 40)
    _row(Row.Level.KECAMATAN, d.kecamatan_a, "M", current, 268, 61, 5000)
    for desa, measured, stunted in ((d.desa_a1, 2500, 500), (d.desa_a2, 1500, 300), (d.desa_b1, 3, 2)):
        _row(Row.Level.DESA, desa, "M", last_complete, measured, stunted, measured + 500)
    for year, measured in ((current.year - 1, 9000), (current.year, 9500)):
        _row(Row.Level.KABUPATEN, d.kabupaten, "Y", datetime.date(year, 1, 1), measured, 1900, REGISTERED)
        _row(Row.Level.DESA, d.desa_a1, "Y", datetime.date(year, 1, 1), measured // 2, 950, REGISTERED // 2)
        _row(Row.Level.DESA, d.desa_a2, "Y", datetime.date(year, 1, 1), measured // 2, 950, REGISTERED // 2)
    TargetRule.objects.create(kabupaten=d.kabupaten, target_year=2029, target_pct=18)
    # The national path comes with a data migration, which an earlier live-server test's flush removes.
    NationalTarget.objects.update_or_create(
        year=2029, defaults={"stunting_pct": Decimal("14.20"), "source": "RPJMN 2025-2029"}
    )
    return last_complete, current


def test_the_bupati_opens_on_the_latest_complete_month(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str
) -> None:
    last_complete, current = _weighing_in_progress(district)
    page = new_context(bypass_csp=True, **LAPTOP).new_page()

    log_in(page, username="bupati")

    assert page.url.endswith("/dasbor/")
    expect(page.locator("#id_periode")).to_have_value(f"{last_complete:%Y-%m}")
    expect(page.locator(f'[data-period-complete="{last_complete:%Y-%m}"]')).to_contain_text("diukur 76,5%")
    expect(page.locator("[data-period-incomplete]")).to_have_count(0)
    # The district path has a value for the year: the target of that year, beside the figure.
    expect(page.locator("[data-target=district]")).to_contain_text(f"Target daerah {last_complete.year}")
    expect(page.locator("[data-target=national]")).to_contain_text("14,20%")
    # The first screen: the headline against its targets, the eight actions and PMT absorption.
    for selector in ("[data-headline]", "[data-target=national]", "[data-action='8']", "[data-absorption]"):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] + box["height"] <= 900, selector
    ranked = page.locator("[data-ranking=kecamatan][data-part=top] tbody tr")
    expect(ranked).to_have_count(1)
    expect(ranked.first).to_have_attribute("data-unit", district.kecamatan_a.code)
    expect(page.locator("[data-insufficient=kecamatan] summary")).to_contain_text(
        "Data belum cukup (kurang dari 10 balita diukur): 1 wilayah tidak diperingkat"
    )
    screenshot(page, "default-period")
    assert severe_violations(page, axe_source) == []

    with page.expect_navigation():
        page.locator("#id_periode").select_option(f"{current:%Y-%m}")

    incomplete = page.locator(f'[data-period-incomplete="{current:%Y-%m}"]')
    expect(incomplete).to_be_visible()
    expect(incomplete).to_contain_text("Periode belum lengkap: diukur 2,6%")
    with translation.override("id"):
        expect(incomplete).to_contain_text(f"Periode lengkap terakhir: {month_name(last_complete)}.")
    screenshot(page, "incomplete-period")


def test_the_public_page_passes_axe(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str
) -> None:
    _last_complete, current = _weighing_in_progress(district)
    page = new_context(bypass_csp=True, **LAPTOP).new_page()

    page.goto("/publikasi/")

    expected_year = current.year - 1  # the running year is not complete before its December is
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"tahun {expected_year}")
    expect(page.locator(f'[data-period-complete="{expected_year}"]')).to_be_visible()
    screenshot(page, "public")
    assert severe_violations(page, axe_source) == []
    page.goto(f"/publikasi/{district.kabupaten.code}/{current.year}/")
    expect(page.locator(f'[data-period-incomplete="{current.year}"]')).to_contain_text(
        "Periode belum lengkap"
    )
    assert severe_violations(page, axe_source) == []
