"""Bappeda on a phone reaches the yearly action board and the convergence ledger through the menu."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from convergence.services_actions import action_update, action_year_prepare
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_bappeda_opens_the_board_and_the_ledger_from_the_menu_on_a_phone(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    today = timezone.localdate()
    bappeda = district.users["bappeda_admin"]
    actions = action_year_prepare(user=bappeda, kabupaten=district.kabupaten, year=today.year)
    late = actions[0]
    action_update(
        user=bappeda,
        action=late,
        planned_start=today - datetime.timedelta(days=60),
        planned_end=today - datetime.timedelta(days=30),
        status="berjalan",
    )
    page = new_context(**PHONE).new_page()
    log_in(page, username="bappeda")

    page.get_by_role("button", name="Menu").click()  # on a phone the menu folds behind one button
    page.get_by_text("Konvergensi", exact=True).click()
    page.get_by_role("link", name="Aksi konvergensi").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Aksi konvergensi {today.year}")
    expect(page.locator("body")).to_contain_text("Analisis Situasi")
    expect(page.locator("body")).to_contain_text("Terlambat")
    page.wait_for_load_state("load")  # widths are measured once the style sheets apply
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "phone-board")

    page.get_by_role("button", name="Menu").click()  # on a phone the menu folds behind one button
    page.get_by_text("Konvergensi", exact=True).click()
    page.get_by_role("link", name="Buku konvergensi").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "phone-ledger")
