"""The district head opens the dashboard on a laptop and on a phone: trend chart, rankings, desa grid."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from children.models import Measurement
from reports.services import periods_for_months, prevalence_recompute
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.browser

FEB = datetime.date(2025, 2, 1)
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def _summaries(district: DistrictFixture) -> None:
    for posyandu, haz in ((district.posyandu_a1, 1), (district.posyandu_a2, 2), (district.posyandu_b1, 0)):
        child = ChildFactory(posyandu=posyandu, birth_date=datetime.date(2023, 5, 1))
        day = datetime.date(2025, 2, 10)
        Measurement.objects.create(
            child=child,
            posyandu=posyandu,
            measured_on=day,
            age_days=(day - child.birth_date).days,
            haz_category=haz,
            waz_category=2,
            whz_category=2,
        )
    prevalence_recompute(kabupaten=district.kabupaten, periods=periods_for_months([FEB]))


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 360)])
def test_the_district_head_sees_trend_rankings_and_grid(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, device: str, width: int
) -> None:
    _summaries(district)
    page = new_context(**(LAPTOP if device == "laptop" else PHONE)).new_page()
    log_in(page, username="bupati")
    page.goto("/dasbor/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Dasbor pimpinan")
    expect(page.locator("#trend-chart")).to_be_visible()
    # Chart.js has drawn into the canvas: it sets the drawing buffer's size from the box.
    page.wait_for_function("() => document.getElementById('trend-chart').width > 0")
    assert page.evaluate("!!window.Chart && Object.keys(window.Chart.instances).length") == 1
    # One child per desa: no unit reaches the 10 children a ranking needs; all are listed apart.
    expect(page.locator("[data-ranking=kecamatan][data-part=insufficient] tbody tr")).to_have_count(2)
    expect(page.locator("[data-ranking=desa][data-part=insufficient] tbody tr")).to_have_count(3)
    insufficient_desa = page.locator("[data-ranking=desa][data-part=insufficient] tbody tr")
    expect(insufficient_desa.first).to_have_attribute("data-unit", "35.10.01.2001")
    expect(page.locator("[data-grid] [data-tile]")).to_have_count(3)
    expect(page.locator("body")).to_contain_text("Sumber: Data rutin posyandu")
    page.wait_for_load_state("load")  # widths are measured once the style sheets apply
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    screenshot(page, device)
