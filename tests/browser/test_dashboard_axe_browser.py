"""axe-core on the district head's and Bappeda's pages, on a laptop and on a phone: the dashboard with
its desa map drawn from the separately served geometry, the rankings, the drill-down at every level,
the data-quality page, the PMT pages and the public page. No serious or critical violation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from convergence.models import Posyandu
from interventions import services_pmt
from reports.models import RegionMap
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.browser.test_dashboard_browser import LAPTOP, PHONE, _summaries
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser


def _square(code: str, lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + 0.05, lat], [lon + 0.05, lat + 0.05], [lon, lat + 0.05], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _map(district: DistrictFixture) -> None:
    desa = (district.desa_a1, district.desa_a2, district.desa_b1)
    RegionMap.objects.create(
        kabupaten=district.kabupaten,
        geojson={
            "type": "FeatureCollection",
            "features": [_square(d.code, 114.0 + 0.05 * n, -8.5) for n, d in enumerate(desa)],
        },
        code_property="kode",
        feature_count=3,
    )


def _budget(district: DistrictFixture) -> int:
    line = services_pmt.budget_line_create(
        user=district.users["bappeda_admin"],
        kabupaten=district.kabupaten,
        year=2025,
        source="dak",
        name="PMT lokal balita",
        allocated=Decimal("976680000"),
        sub_activity_code="1.02.02.2.02.0011",
        opd=district.dinkes,
    )
    return line.year


def _audit(page: Page, source: str, found: dict[str, list[str]]) -> None:
    page.wait_for_load_state("load")
    found[page.url.split("//", 1)[1].split("/", 1)[1]] = severe_violations(page, source)


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 360)])
def test_the_dashboards_and_their_pages_pass_axe(
    new_context: NewContext,
    district: DistrictFixture,
    screenshot: Screenshot,
    axe_source: str,
    device: str,
    width: int,
) -> None:
    _summaries(district)
    _map(district)
    year = _budget(district)
    options = LAPTOP if device == "laptop" else PHONE
    page = new_context(bypass_csp=True, **options).new_page()
    log_in(page, username="bappeda")
    found: dict[str, list[str]] = {}

    page.goto("/dasbor/")
    # The polygons come from their own URL and are drawn, coloured by the page's figures.
    expect(page.locator("#desa-map path.desa-shape")).to_have_count(3)
    expect(page.locator("#desa-map a[aria-label]")).to_have_count(3)
    page.wait_for_function("() => document.getElementById('trend-chart').width > 0")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    screenshot(page, f"dashboard-map-{device}")
    _audit(page, axe_source, found)
    posyandu = Posyandu.objects.get(pk=district.posyandu_a1.pk)
    for url in (
        "/dasbor/peringkat/?tingkat=desa",
        "/dasbor/peringkat/?tingkat=kecamatan",
        "/dasbor/bappeda/",
        f"/dasbor/wilayah/{district.kecamatan_a.code}/",
        f"/dasbor/wilayah/{district.desa_a1.code}/",
        f"/dasbor/posyandu/{posyandu.pk}/",
        "/kualitas-data/",
        f"/pmt/{year}/",
        "/pmt/anggaran/",
    ):
        response = page.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        _audit(page, axe_source, found)

    public = new_context(bypass_csp=True, **options).new_page()
    # The index opens the latest complete year; the year with the data is audited too.
    for url in ("/publikasi/", f"/publikasi/{district.kabupaten.code}/2025/"):
        response = public.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        _audit(public, axe_source, found)

    assert {url: problems for url, problems in found.items() if problems} == {}
    assert len(found) == 11  # the index opens on 2025, the year with data: one page, audited once
