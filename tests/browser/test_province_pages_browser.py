"""The provincial Bappeda on a phone: from its home to the assessment grid, grades an indicator of a
kabupaten, sees the grade on the grid, enters a year of the province's target path, and finds both on its
dashboard at once (the dashboard was read, hence cached, before)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from convergence.services_actions import action_year_prepare, opd_catalogue_load
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_the_provincial_bappeda_grades_a_kabupaten_and_enters_a_target(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    year = timezone.localdate().year
    opd_catalogue_load(kabupaten=district.kabupaten)
    action_year_prepare(user=district.users["bappeda_admin"], kabupaten=district.kabupaten, year=year)
    page = new_context(**PHONE).new_page()
    log_in(page, username="bappeda_prov")

    # Home is the province dashboard, or the assessment grid until the reports app has one.
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/dasbor/provinsi/35/")
    expect(page.locator('tr[data-area="35.10"] [data-grades]')).to_have_attribute("data-grades", "0/0/0/0")
    expect(page.locator('tr[data-area="total"] [data-target-pct]').first).to_have_attribute(
        "data-target-pct", ""
    )
    page.get_by_role("button", name="Menu").click()  # on a phone the menu folds behind one button
    page.locator("#menu-utama").get_by_role("link", name="Penilaian kinerja").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Penilaian kinerja {year}")
    grid = page.get_by_test_id("assessment-grid")
    row = grid.locator('tr[data-kabupaten="35.10"]')
    expect(row.locator('[data-indicator="1.1"]')).to_contain_text("belum dinilai")
    page.wait_for_load_state("load")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "province-grid")

    row.get_by_role("link", name="Kabupaten BANYUWANGI").click()
    indicator = page.locator('section[data-indicator="1.1"]')
    indicator.get_by_text("Beri nilai").click()
    indicator.get_by_role("combobox", name="Nilai").select_option("A")
    indicator.get_by_label("Catatan").fill("Lokus dipilih dari data prevalensi")
    indicator.get_by_label("Tanggal penilaian").fill(f"{year}-11-20")
    indicator.get_by_role("button", name="Simpan nilai").click()
    expect(page.locator("p.message")).to_contain_text(
        "Nilai indikator 1.1 untuk Kabupaten BANYUWANGI tersimpan."
    )
    expect(page.locator('section[data-indicator="1.1"]').get_by_test_id("grade")).to_have_text("A")
    screenshot(page, "province-graded")

    page.get_by_role("link", name="Kembali ke Provinsi JAWA TIMUR").click()
    expect(
        page.get_by_test_id("assessment-grid").locator('tr[data-kabupaten="35.10"] [data-indicator="1.1"]')
    ).to_have_text("1.1: A")

    page.get_by_role("button", name="Menu").click()
    page.locator("#menu-utama").get_by_role("link", name="Target provinsi").click()
    form = page.get_by_test_id("target-form")
    form.get_by_label("Tahun").fill("2026")
    form.get_by_label("Target stunting (%)").fill("14,5")
    form.get_by_label("Sumber").fill("RPJMD 2025-2029")
    form.get_by_role("button", name="Simpan target").click()
    expect(page.locator("p.message")).to_contain_text("Target tahun 2026 tersimpan.")
    expect(
        page.get_by_test_id("target-path").locator('tr[data-year="2026"] [data-testid="provincial"]')
    ).to_have_text("14,50")
    page.wait_for_load_state("load")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "province-targets")

    page.goto("/dasbor/provinsi/35/")
    expect(page.locator('tr[data-area="35.10"] [data-grades]')).to_have_attribute("data-grades", "1/0/0/0")
    expect(page.locator('tr[data-area="total"] [data-target-pct]').first).to_have_attribute(
        "data-target-pct", "14.50"
    )
