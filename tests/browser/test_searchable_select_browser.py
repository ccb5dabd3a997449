"""Searchable selects in the browser: typing a few letters into the posyandu filter of the PMT recipients
finds the posyandu of the user's scope, labelled with desa and kecamatan, and filters the list; a registry
form finds a mother among hundreds by her name, labelled with her desa and birth year; the pregnancy form
finds the newborn among the children of the user's area."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from children.forms.registry import SELECT_LIMIT
from children.models import Child, Person
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.browser.test_paging_browser import _names, _recipients
from tests.factories import ChildFactory, DistrictFixture, PersonFactory, PosyanduFactory

pytestmark = pytest.mark.browser


def _search(page: Page, typed: str, *, query: str) -> None:
    """Type into the searchable field once it has the focus (keys sent while it is still opening are
    lost), and wait for the server's answer to the whole query."""
    field = page.locator(".ts-control input")
    if not field.evaluate("input => input === document.activeElement"):
        page.locator(".ts-control").click()
        expect(field).to_be_focused()
    with page.expect_response(lambda response: f"q={quote(query)}" in response.url):
        page.keyboard.type(typed, delay=20)


def test_typing_into_the_posyandu_filter_finds_it_with_its_desa(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    d = district
    _recipients(d)
    # More posyandu than a select can usefully list.
    for number in range(1, 61):
        PosyanduFactory(desa=d.desa_b1, code=f"T{number:02d}", name=f"Teratai {number:02d}")
    ChildFactory(posyandu=d.posyandu_b1, name="Bukan penerima")
    page = new_context().new_page()
    log_in(page, username="bappeda")
    page.goto("/pmt/2025/penerima/")

    _search(page, "mawa", query="mawa")
    option = page.locator(".ts-dropdown .option", has_text="Posyandu Mawar")
    expect(option).to_have_text("Posyandu Mawar — Desa SUMBERAGUNG, Kec. PESANGGARAN")
    expect(page.locator(".ts-dropdown .option")).to_have_count(1)
    screenshot(page, "found")
    option.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Tampilkan").click()
    assert f"posyandu={d.posyandu_a1.pk}" in page.url
    assert len(_names(page)) == 25  # the first page of Mawar's thirty

    # The twenty first of sixty, narrowed by typing more.
    _search(page, "terat", query="terat")
    expect(page.locator(".ts-dropdown .option")).to_have_count(20)
    _search(page, " 42", query="terat 42")
    expect(page.locator(".ts-dropdown .option")).to_have_text(
        ["Posyandu Teratai 42 — Desa SAMBIMULYO, Kec. BANGOREJO"]
    )


def test_a_puskesmas_officer_finds_no_posyandu_beyond_her_area(
    new_context: NewContext, district: DistrictFixture
) -> None:
    _recipients(district)
    page = new_context().new_page()
    log_in(page, username="pkm_pesanggaran")
    page.goto("/pmt/2025/penerima/")

    page.locator(".ts-control").click()
    expect(page.locator(".ts-control input")).to_be_focused()
    page.keyboard.type("kenanga")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text("Tidak ditemukan.")
    page.locator(".ts-control input").fill("")
    page.keyboard.type("anggrek")
    expect(page.locator(".ts-dropdown .option")).to_have_text(
        ["Posyandu Anggrek — Desa SILIRAGUNG, Kec. PESANGGARAN"]
    )


def test_a_registry_form_finds_a_mother_among_hundreds_by_her_name(
    new_context: NewContext, district: DistrictFixture
) -> None:
    d = district
    # Past the number of entries a select may hold: without JavaScript the field is a number box.
    Person.objects.bulk_create(
        Person(name=f"Ibu Contoh {n:03d}", sex="P", desa=d.desa_a2, birth_date=datetime.date(1990, 1, 1))
        for n in range(SELECT_LIMIT + 1)
    )
    aminah = PersonFactory(name="Siti Aminah", desa=d.desa_a1, birth_date=datetime.date(1995, 3, 1))
    page = new_context().new_page()
    log_in(page, username="bappeda")
    page.goto("/remaja/baru/")

    field = page.locator("#id_person")
    expect(field).to_have_js_property("tagName", "SELECT")
    page.locator("#id_person + .ts-wrapper .ts-control").click()
    expect(page.locator("#id_person + .ts-wrapper .ts-control input")).to_be_focused()
    page.keyboard.type("s")
    expect(page.locator("#id_person-ts-dropdown .no-results")).to_have_text("Ketik paling sedikit 2 huruf.")
    page.keyboard.type("iti am")
    option = page.locator("#id_person-ts-dropdown .option")
    expect(option).to_have_text(["Siti Aminah — Desa SUMBERAGUNG, lahir 1995"])
    option.click()
    expect(field).to_have_value(str(aminah.pk))


def test_the_pregnancy_form_finds_the_newborn_by_her_name_with_her_desa(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str
) -> None:
    d = district
    Child.objects.bulk_create(
        Child(
            name=f"Anak Contoh {n:02d}",
            sex="L",
            birth_date=datetime.date(2024, 1, 1),
            posyandu=d.posyandu_a2,
            desa=d.desa_a2,
        )
        for n in range(60)
    )
    putri = ChildFactory(
        posyandu=d.posyandu_a1, name="Putri Ayu Lestari", birth_date=datetime.date(2025, 2, 3)
    )
    ChildFactory(posyandu=d.posyandu_b1, name="Putri Ayuning", birth_date=datetime.date(2024, 8, 30))
    ChildFactory(posyandu=d.other_posyandu, name="Putri Ayu Dahlia", birth_date=datetime.date(2024, 6, 1))
    page = new_context(bypass_csp=True).new_page()
    log_in(page, username="pkm_pesanggaran")
    page.goto("/kehamilan/baru/")
    # The searchable fields keep their labels for a screen reader.
    expect(page.locator("#id_newborn + .ts-wrapper")).to_be_visible()
    assert severe_violations(page, axe_source) == []

    field = page.locator("#id_newborn")
    page.locator("#id_newborn + .ts-wrapper .ts-control").click()
    expect(page.locator("#id_newborn + .ts-wrapper .ts-control input")).to_be_focused()
    page.keyboard.type("p")
    expect(page.locator("#id_newborn-ts-dropdown .no-results")).to_have_text("Ketik paling sedikit 2 huruf.")
    page.keyboard.type("utri ayu")
    option = page.locator("#id_newborn-ts-dropdown .option")
    # Only the child of her area: not the one of kecamatan B, nor the one of the next kabupaten.
    expect(option).to_have_text(["Putri Ayu Lestari — Desa SUMBERAGUNG, lahir 2025"])
    screenshot(page, "newborn-found")
    option.click()
    expect(field).to_have_value(str(putri.pk))
