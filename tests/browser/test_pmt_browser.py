"""Bappeda in the browser: a budget line, a payment requested by one officer and approved by another,
its reversal approved in turn, with the ledger checked at each step; axe-core on every PMT page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from convergence.models import Role
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture, UserFactory

pytestmark = pytest.mark.browser


def ledger(page: Page) -> dict[str, str]:
    """The figures of the page's ledger block, by their data-ledger name."""
    cells = page.get_by_test_id("ledger").locator("td[data-ledger]")
    return {
        cells.nth(i).get_attribute("data-ledger"): cells.nth(i).inner_text()  # type: ignore[misc]
        for i in range(cells.count())
    }


def audit(page: Page, source: str, audited: dict[str, list[str]]) -> None:
    audited[page.url.split("//", 1)[1].split("/", 1)[1]] = severe_violations(page, source)


def test_a_budget_line_to_a_second_officers_approval_and_a_reversal(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str
) -> None:
    UserFactory(username="bappeda_kedua", role=Role.BAPPEDA_ADMIN, kabupaten=district.kabupaten)
    audited: dict[str, list[str]] = {}
    maker = new_context(bypass_csp=True).new_page()
    log_in(maker, username="bappeda")

    # The menu leads to the budget lines.
    maker.get_by_text("PMT", exact=True).click()
    maker.get_by_role("link", name="Anggaran PMT").click()
    expect(maker.get_by_role("heading", level=1)).to_contain_text("Anggaran PMT")
    audit(maker, axe_source, audited)
    maker.get_by_role("button", name="Tambah baris anggaran").click()
    audit(maker, axe_source, audited)
    maker.locator("#id_year").fill("2025")
    maker.locator("#id_source").select_option("dak")
    maker.locator("#id_opd").select_option(label="Dinkes")
    maker.locator("#id_name").fill("PMT lokal balita gizi kurang")
    maker.locator("#id_allocated").fill("2.000.000")
    maker.get_by_role("button", name="Simpan").click()

    expect(maker.get_by_role("heading", level=1)).to_have_text("PMT lokal balita gizi kurang")
    expect(maker.locator("main .message")).to_have_text(
        "Baris anggaran PMT lokal balita gizi kurang tersimpan."
    )
    expect(maker.locator("main .message")).to_be_focused()
    assert ledger(maker) == {
        "allocated": "Rp 2.000.000",
        "disbursed": "Rp 0",
        "tied": "Rp 0",
        "available": "Rp 2.000.000",
        "pending": "Rp 0",
        "absorption": "0,0%",
    }
    line_url = maker.url

    # A revision below nothing committed is fine; an empty reason is refused where the eye is.
    maker.locator("#revisi > summary").click()
    maker.locator("#revisi-new_allocated").fill("1.800.000")
    maker.get_by_role("button", name="Simpan revisi").click()
    alert = maker.locator("#revisi .form-errors")
    expect(alert).to_be_focused()
    expect(alert).to_contain_text("Alasan")
    expect(maker.locator("#revisi")).to_have_attribute("open", "")
    audit(maker, axe_source, audited)
    screenshot(maker, "revision-error")
    maker.locator("#revisi-reason").fill("Refocusing anggaran")
    maker.get_by_role("button", name="Simpan revisi").click()
    expect(maker.locator("main .message")).to_have_text("Pagu direvisi menjadi Rp 1.800.000.")
    assert ledger(maker)["allocated"] == "Rp 1.800.000"

    # The maker requests a payment; he sees it waiting, without a button to approve it himself.
    maker.locator("#pencairan-baru > summary").click()
    maker.locator("#pencairan-amount").fill("750.000")
    maker.locator("#pencairan-payee").fill("Katering Ibu Sri")
    maker.locator("#pencairan-paid_on").fill("2025-04-01")
    maker.get_by_role("button", name="Catat pencairan").click()
    expect(maker.locator("main .message")).to_have_text(
        "Pencairan Rp 750.000 dicatat dan menunggu persetujuan petugas lain."
    )
    assert ledger(maker)["pending"] == "Rp 750.000"
    row = maker.get_by_test_id("disbursements").locator("tbody tr").first
    expect(row).to_contain_text("Menunggu persetujuan petugas lain")
    expect(row.get_by_role("button", name="Setujui")).to_have_count(0)
    audit(maker, axe_source, audited)

    # A second officer approves it from the queue.
    checker = new_context(bypass_csp=True).new_page()
    log_in(checker, username="bappeda_kedua")
    checker.goto("/pmt/pencairan/")
    audit(checker, axe_source, audited)
    queue_row = checker.get_by_test_id("disbursements").locator("tbody tr").first
    expect(queue_row).to_contain_text("Rp 750.000")
    queue_row.get_by_role("button", name="Setujui").click()
    expect(checker.locator("main .message")).to_have_text("Pencairan Rp 750.000 disetujui.")
    checker.goto(line_url)
    assert ledger(checker) == {
        "allocated": "Rp 1.800.000",
        "disbursed": "Rp 750.000",
        "tied": "Rp 0",
        "available": "Rp 1.050.000",
        "pending": "Rp 0",
        "absorption": "41,7%",
    }
    expect(checker.get_by_test_id("ledger").locator("[data-ledger=check]")).to_have_text(
        "Seimbang: pagu Rp 1.800.000 = dicairkan Rp 750.000 + terikat Rp 0 + sisa Rp 1.050.000."
    )
    screenshot(checker, "approved")

    # The checker reverses it; the maker of the payment approves the reversal.
    checker.get_by_role("link", name="Balik").click()
    audit(checker, axe_source, audited)
    checker.locator("#id_paid_on").fill("2025-04-10")
    checker.locator("#id_note").fill("Salah rekening penerima")
    checker.get_by_role("button", name="Catat pembalikan").click()
    expect(checker.locator("main .message")).to_have_text(
        "Pembalikan Rp 750.000 dicatat dan menunggu persetujuan petugas lain."
    )
    assert ledger(checker)["pending"] == "-Rp 750.000"
    maker.goto("/pmt/pencairan/")
    reversal = maker.get_by_test_id("disbursements").locator("tbody tr").first
    expect(reversal).to_contain_text("-Rp 750.000")
    reversal.get_by_role("button", name="Setujui").click()
    expect(maker.locator("main .message")).to_have_text("Pencairan -Rp 750.000 disetujui.")
    maker.goto(line_url)
    assert ledger(maker) == {
        "allocated": "Rp 1.800.000",
        "disbursed": "Rp 0",
        "tied": "Rp 0",
        "available": "Rp 1.800.000",
        "pending": "Rp 0",
        "absorption": "0,0%",
    }
    statuses = maker.get_by_test_id("disbursements").locator("tbody tr td:nth-child(5)")
    expect(statuses).to_have_text(["Disetujui", "Disetujui"])
    screenshot(maker, "reversed")

    # The other PMT pages pass the audit too.
    for url in (
        "/pmt/program/",
        "/pmt/program/baru/",
        "/pmt/tarif/",
        "/pmt/daftar/",
        "/pmt/daftar/?sasaran=ibu",
    ):
        maker.goto(url)
        audit(maker, axe_source, audited)
    assert {url: found for url, found in audited.items() if found} == {}
    assert len(audited) == 11
