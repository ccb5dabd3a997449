"""An anonymous visitor reads the public Aksi 7 publication on a laptop and on a phone."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from reports.models import PrevalenceSummary
from tests.browser.conftest import NewContext, Screenshot
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
Y2025 = datetime.date(2025, 1, 1)


def _row(level: str, region, measured: int, stunted: int) -> None:
    PrevalenceSummary.objects.create(
        level=level,
        region=region,
        period_kind="Y",
        period=Y2025,
        registered=measured,
        measured=measured,
        haz_pendek=stunted,
        haz_normal=measured - stunted,
        whz_gizi_baik=measured,
        waz_normal=measured,
    )


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 360)])
def test_a_visitor_reads_the_publication_without_logging_in(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, device: str, width: int
) -> None:
    d = district
    _row("desa", d.desa_a1, 3, 1)  # too few children: suppressed
    _row("desa", d.desa_a2, 20, 4)  # suppressed with it
    _row("desa", d.desa_b1, 40, 8)
    _row("kabupaten", d.kabupaten, 63, 13)
    options = PHONE if device == "phone" else {}
    page = new_context(**options).new_page()

    page.goto("/publikasi/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("BANYUWANGI tahun 2025")
    desa = page.get_by_test_id("desa")
    expect(desa).to_be_visible()
    expect(desa.locator(f'tr[data-code="{d.desa_b1.code}"]')).to_contain_text("SAMBIMULYO")
    expect(desa.locator(f'tr[data-code="{d.desa_b1.code}"]')).to_contain_text("20,00%")
    suppressed = desa.locator(f'tr[data-code="{d.desa_a1.code}"]')
    expect(suppressed).to_contain_text("*")
    expect(suppressed).not_to_contain_text("%")
    expect(page.get_by_test_id("notes")).to_contain_text("tidak ditampilkan")
    expect(page.get_by_test_id("pdf")).to_be_visible()
    page.wait_for_load_state("load")  # widths are measured once the style sheets apply
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    screenshot(page, device)
