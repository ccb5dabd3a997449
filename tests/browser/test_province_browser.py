"""The provincial Bappeda opens its province's dashboard (38 kabupaten/kota) on a laptop and on a phone:
the table, the chart, the map of kabupaten outlines; a kabupaten link opens that kabupaten's panel of
figures on the same page (aggregates only, never a kabupaten's named pages). The national monitor opens
the national overview and follows a province. axe-core finds no serious or critical violation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from convergence.models import Region
from reports.models import NationalTarget, PrevalenceSummary, ProvincialTarget, RegionMap
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.browser.test_dashboard_browser import LAPTOP, PHONE
from tests.factories import DistrictFixture, RegionFactory

pytestmark = pytest.mark.browser

AUG, JUL = datetime.date(2025, 8, 1), datetime.date(2025, 7, 1)
MAX_HEIGHT_PX = 8_000
KABUPATEN = 38
# Kabupaten with an uploaded map (the others are listed as tiles beside the map).
MAPPED = 30


def _square(code: str, lon: float, lat: float, size: float) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _province(district: DistrictFixture) -> None:
    """38 kabupaten in province 35 with July and August rows; 30 of them with a map of two desa."""
    kabupaten = [district.kabupaten, district.other_kabupaten] + [
        RegionFactory(
            code=f"35.{n:02d}", name=f"KABUPATEN CONTOH {n}", level="kabupaten", parent=district.provinsi
        )
        for n in range(20, 20 + KABUPATEN - 2)
    ]
    rows = [
        PrevalenceSummary(
            level="kabupaten", region=kab, period_kind="M", period=period, registered=250, measured=200,
            haz_pendek=10 + (n * 7) % 45, haz_normal=190 - (n * 7) % 45, whz_gizi_baik=200, waz_normal=200,
        )
        for n, kab in enumerate(kabupaten)
        for period in (JUL, AUG)
    ]  # fmt: skip
    PrevalenceSummary.objects.bulk_create(rows)
    for n, kab in enumerate(kabupaten[:MAPPED]):
        lon, lat = 111.0 + (n % 6) * 0.5, -8.5 + (n // 6) * 0.5
        RegionMap.objects.create(
            kabupaten=kab,
            geojson={
                "type": "FeatureCollection",
                "features": [
                    _square(f"{kab.code}.01.2001", lon, lat, 0.25),
                    _square(f"{kab.code}.01.2002", lon + 0.25, lat, 0.25),
                ],
            },
            code_property="kode",
            feature_count=2,
        )
    ProvincialTarget.objects.create(provinsi=district.provinsi, year=2024, stunting_pct=Decimal("20.00"))
    ProvincialTarget.objects.create(provinsi=district.provinsi, year=2026, stunting_pct=Decimal("16.00"))
    # The live server's database is flushed of migration data: the national path again.
    NationalTarget.objects.get_or_create(year=2024, defaults={"stunting_pct": Decimal("14.00")})
    NationalTarget.objects.get_or_create(year=2029, defaults={"stunting_pct": Decimal("14.20")})


def _fits(page: Page, width: int) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    assert page.evaluate("() => document.documentElement.scrollHeight") < MAX_HEIGHT_PX


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 360)])
def test_the_province_opens_its_dashboard_and_a_kabupaten_panel(
    new_context: NewContext,
    district: DistrictFixture,
    screenshot: Screenshot,
    axe_source: str,
    device: str,
    width: int,
) -> None:
    _province(district)
    page = new_context(bypass_csp=True, **(LAPTOP if device == "laptop" else PHONE)).new_page()
    log_in(page, username="bappeda_prov")
    page.goto("/dasbor/provinsi/35/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Dasbor provinsi")
    expect(page.locator("[data-table=areas] tbody tr")).to_have_count(KABUPATEN)
    expect(page.locator("[data-area=total] [data-measured]")).to_have_text("7.600")  # 38 x 200, Indonesian
    page.wait_for_function("() => document.getElementById('trend-chart').width > 0")
    # The outlines come from their own URL: one shape per mapped kabupaten; the rest are tiles.
    expect(page.locator("#kabupaten-map path.desa-shape")).to_have_count(MAPPED)
    expect(page.locator("[data-unmapped] [data-tile]")).to_have_count(KABUPATEN - MAPPED)
    _fits(page, width)
    screenshot(page, f"province-{device}")
    assert severe_violations(page, axe_source) == []

    # A kabupaten's link opens its panel on this page, not one of the kabupaten's own pages.
    page.locator("[data-area-link='35.10']").click()
    expect(page).to_have_url(f"{page.url.split('#')[0].split('?')[0]}#kab-35-10")
    panel = page.locator("#kab-35-10")
    expect(panel).to_have_attribute("open", "")
    expect(panel.locator("[data-panel-stunting]")).to_contain_text("5,00%")  # 10 of 200
    expect(panel).to_contain_text("200 dari 250 balita terdaftar")
    assert severe_violations(page, axe_source) == []
    # So does its outline on the map.
    page.locator("#kabupaten-map a[href='#kab-35-11']").click()
    expect(page.locator("#kab-35-11")).to_have_attribute("open", "")
    screenshot(page, f"province-panel-{device}")

    # The table sorted by name keeps every kabupaten.
    page.locator("a[data-order=nama]").click()
    expect(page.locator("[data-table=areas]")).to_have_attribute("data-order", "nama")
    expect(page.locator("[data-table=areas] tbody tr")).to_have_count(KABUPATEN)


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 360)])
def test_the_national_monitor_follows_a_province(
    new_context: NewContext,
    district: DistrictFixture,
    screenshot: Screenshot,
    axe_source: str,
    device: str,
    width: int,
) -> None:
    _province(district)
    banten = RegionFactory(code="36", name="BANTEN", level="provinsi")
    RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=banten)
    page = new_context(bypass_csp=True, **(LAPTOP if device == "laptop" else PHONE)).new_page()
    log_in(page, username="pemantau_nasional")
    page.goto("/dasbor/nasional/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dasbor nasional")
    expect(page.locator("[data-table=areas] tbody tr")).to_have_count(2)
    _fits(page, width)
    screenshot(page, f"national-{device}")
    assert severe_violations(page, axe_source) == []
    with page.expect_navigation():
        page.locator("[data-area-link='35']").click()
    expect(page).to_have_url(f"{page.url.split('/dasbor/')[0]}/dasbor/provinsi/35/")
    expect(page.locator("[data-table=areas] tbody tr")).to_have_count(KABUPATEN)
    assert Region.objects.filter(level="provinsi").count() == 2
