"""Long lists in the browser: the PMT recipients and the full desa ranking are paged on the server, the
page and its size in the URL, the size bounded."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from convergence.paging import MAX_PAGE_SIZE
from interventions import services_pmt as svc
from interventions.models import PMTCategory, PMTRate
from reports.models import PrevalenceSummary
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture, RegionFactory
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child

pytestmark = pytest.mark.browser

Row = PrevalenceSummary
RECIPIENTS = 30
RANKED_DESA = 60


def _recipients(d: DistrictFixture) -> None:
    """Thirty wasted children of Mawar enrolled in one 2025 programme (56 days at Rp 17.500 each)."""
    # The default rates come with a data migration, which an earlier live-server test's flush removes.
    PMTRate.objects.create(
        kabupaten=d.kabupaten,
        category=PMTCategory.GIZI_KURANG,
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(17_500),
        duration_days=56,
    )
    programme = make_programme(d, make_line(d, Decimal(980_000 * RECIPIENTS)))
    for number in range(1, RECIPIENTS + 1):
        child = wasted_child(d, f"Balita {number:02d}")
        svc.pmt_enrol(user=d.users["bappeda_admin"], programme=programme, recipient=child, start_date=START)


def _names(page: Page) -> list[str]:
    return page.get_by_test_id("recipients").locator("tbody tr td:nth-child(2)").all_inner_texts()


def test_the_pmt_recipients_are_paged_in_the_url(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    _recipients(district)
    page = new_context().new_page()
    log_in(page, username="bappeda")

    page.goto("/pmt/2025/penerima/?per_halaman=10")
    first = _names(page)
    assert len(first) == 10
    pager = page.get_by_test_id("recipients-pager")
    expect(pager).to_contain_text("Halaman 1 dari 3 (30 baris)")

    # Page 2 by its URL: ten other recipients.
    page.goto("/pmt/2025/penerima/?per_halaman=10&halaman=2")
    second = _names(page)
    assert len(second) == 10
    assert set(first).isdisjoint(second)
    expect(pager).to_contain_text("Halaman 2 dari 3 (30 baris)")
    screenshot(page, "page-2")

    # The link to the next page keeps the size and the filter.
    with page.expect_navigation():
        pager.get_by_role("link", name="Berikutnya").click()
    assert page.url.endswith("/pmt/2025/penerima/?per_halaman=10&halaman=3")
    third = _names(page)
    assert len(third) == 10
    assert sorted(first + second + third) == [f"Balita {n:02d}" for n in range(1, RECIPIENTS + 1)]

    # A size link of the pager, then a size beyond the bound: clamped to the largest page.
    with page.expect_navigation():
        pager.get_by_role("link", name="25", exact=True).click()
    assert len(_names(page)) == 25
    page.goto("/pmt/2025/penerima/?per_halaman=100000")
    assert len(_names(page)) == RECIPIENTS
    expect(pager).to_have_count(1)
    expect(pager.locator("[aria-current]")).to_have_text(str(MAX_PAGE_SIZE))


def _ranking_rows(d: DistrictFixture) -> datetime.date:
    """Sixty desa of kecamatan A measured last month, each a different prevalence; the district's month
    complete."""
    month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    month = month.replace(day=1)
    common = {"period_kind": "M", "period": month, "whz_gizi_baik": 0, "waz_normal": 0}
    Row.objects.create(
        level=Row.Level.KABUPATEN,
        region=d.kabupaten,
        registered=RANKED_DESA * 25,
        measured=RANKED_DESA * 20,
        haz_pendek=300,
        haz_normal=RANKED_DESA * 20 - 300,
        **common,
    )
    for number in range(1, RANKED_DESA + 1):
        desa = RegionFactory(
            code=f"35.10.01.2{100 + number:03d}",
            name=f"DESA {number:02d}",
            level="desa",
            parent=d.kecamatan_a,
        )
        stunted = number % 20
        Row.objects.create(
            level=Row.Level.DESA,
            region=desa,
            registered=25,
            measured=20,
            haz_pendek=stunted,
            haz_normal=20 - stunted,
            **common,
        )
    return month


def _units(page: Page) -> list[str]:
    return page.locator("[data-ranking=desa][data-part=page] tbody tr[data-unit]").evaluate_all(
        "rows => rows.map((row) => row.dataset.unit)"
    )


def test_the_full_ranking_is_paged_in_the_url(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    month = _ranking_rows(district)
    page = new_context().new_page()
    log_in(page, username="bupati")
    base = f"/dasbor/peringkat/?tingkat=desa&periode={month:%Y-%m}"

    page.goto(f"{base}&per_halaman=25")
    first = _units(page)
    assert len(first) == 25
    page.goto(f"{base}&per_halaman=25&halaman=2")
    second = _units(page)
    assert len(second) == 25
    assert set(first).isdisjoint(second)
    expect(page.get_by_test_id("ranking-pager")).to_contain_text("Halaman 2 dari 3 (60 baris)")
    screenshot(page, "page-2")
    page.goto(f"{base}&per_halaman=25&halaman=3")
    third = _units(page)
    assert len(third) == 10
    assert len(set(first + second + third)) == RANKED_DESA

    # Without a size, the page's own (50); beyond the bound, the largest page.
    page.goto(base)
    assert len(_units(page)) == 50
    page.goto(f"{base}&per_halaman=5000")
    assert len(_units(page)) == RANKED_DESA
    expect(page.get_by_test_id("ranking-pager").locator("[aria-current]")).to_have_text(str(MAX_PAGE_SIZE))
