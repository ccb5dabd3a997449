"""Signing in, the scope each role browses, the phone layout and the language switch, in chromium."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser

# Regions of kabupaten BONDOWOSO (35.11), beside the district: nobody of BANYUWANGI (35.10) may open them.
OTHER_KABUPATEN = ("35.11", "35.11.01", "35.11.01.2001")


@dataclass(frozen=True)
class Persona:
    """A user of the district fixture and what the region pages must show him."""

    role: str
    username: str
    badge: str
    # Where /wilayah/ leads, as shown beside the role badge on the home page.
    home_code: str
    home_region: str
    # Region code -> the names listed on that region's page (sub-regions, or posyandu for a desa), in order.
    listings: dict[str, list[str]]
    # Region codes answering 404, and posyandu (attribute names of the district fixture) answering 404.
    not_found: tuple[str, ...]
    posyandu_not_found: tuple[str, ...] = field(default=())
    # Where the login leads: the home page, the kader's day or the bupati's dashboard.
    landing: str = "/"


DISTRICT_WIDE = {
    "35": ["BANYUWANGI"],
    "35.10": ["PESANGGARAN", "BANGOREJO"],
    "35.10.02": ["SAMBIMULYO"],
    "35.10.01.2001": ["Mawar", "Melati"],
}

PERSONAS = [
    Persona(
        role="bappeda_admin",
        username="bappeda",
        badge="Admin Bappeda",
        home_code="35.10",
        home_region="Kabupaten BANYUWANGI",
        listings=DISTRICT_WIDE,
        not_found=OTHER_KABUPATEN,
        posyandu_not_found=("other_posyandu",),
    ),
    Persona(
        role="pimpinan",
        username="bupati",
        badge="Bupati / pimpinan TPPS",
        home_code="35.10",
        home_region="Kabupaten BANYUWANGI",
        listings=DISTRICT_WIDE,
        not_found=OTHER_KABUPATEN,
        posyandu_not_found=("other_posyandu",),
        landing="/dasbor/",
    ),
    Persona(
        role="opd_officer",
        username="dinkes",
        badge="Petugas OPD",
        home_code="35.10",
        home_region="Kabupaten BANYUWANGI",
        listings=DISTRICT_WIDE,
        not_found=OTHER_KABUPATEN,
        posyandu_not_found=("other_posyandu",),
    ),
    Persona(
        role="puskesmas_officer",
        username="pkm_pesanggaran",
        badge="Petugas puskesmas",
        home_code="35.10.01",
        home_region="Kecamatan PESANGGARAN",
        listings={
            "35.10": ["PESANGGARAN"],
            "35.10.01": ["SUMBERAGUNG", "SILIRAGUNG"],
            "35.10.01.2001": ["Mawar", "Melati"],
        },
        not_found=("35.10.02", "35.10.02.2001", *OTHER_KABUPATEN),
        posyandu_not_found=("posyandu_b1", "other_posyandu"),
    ),
    Persona(
        role="kader",
        username="kader_mawar",
        badge="Kader posyandu",
        home_code="35.10.01.2001",
        home_region="Desa SUMBERAGUNG",
        listings={"35.10.01": ["SUMBERAGUNG"], "35.10.01.2001": ["Mawar"]},
        not_found=("35.10.02", "35.10.01.2002", *OTHER_KABUPATEN),
        posyandu_not_found=("posyandu_a1_second", "posyandu_a2", "other_posyandu"),
        landing="/kader/",
    ),
    Persona(
        role="kpm",
        username="kpm_siliragung",
        badge="Kader Pembangunan Manusia (KPM)",
        home_code="35.10.01.2002",
        home_region="Desa SILIRAGUNG",
        listings={"35.10.01": ["SILIRAGUNG"], "35.10.01.2002": ["Anggrek"]},
        not_found=("35.10.02", "35.10.01.2001", *OTHER_KABUPATEN),
        posyandu_not_found=("posyandu_a1", "other_posyandu"),
    ),
]


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def visit(page: Page, path: str) -> Response:
    response = page.goto(path)
    assert response is not None
    return response


def test_it_shows_the_login_page_in_indonesian_and_refuses_a_wrong_password(
    page: Page, district: DistrictFixture, screenshot: Screenshot
) -> None:
    static_status: dict[str, int] = {}

    def record_static(response: Response) -> None:
        if "/static/" in response.url:
            static_status[urlsplit(response.url).path] = response.status

    page.on("response", record_static)
    visit(page, "/masuk/")

    assert page.locator("html").get_attribute("lang") == "id"
    expect(page).to_have_title("Masuk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(page.get_by_label("Kata sandi")).to_be_visible()
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()
    # The live server serves the static files (pico and our own), so the page is styled. The browser
    # fetches the favicon when it pleases: checked apart.
    favicon = static_status.pop("/static/convergence/favicon.svg", None)
    assert static_status == {
        "/static/vendor/pico/pico.min.css": 200,
        "/static/convergence/app.css": 200,
        "/static/convergence/app.js": 200,
    }
    assert favicon in (None, 200)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    assert page.request.get(icon).status == 200
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"
    screenshot(page, "login")

    log_in(page, username="kader_mawar", password="bukan-sandinya")

    assert path_of(page) == "/masuk/"
    expect(page.get_by_role("alert")).to_have_text(
        "Masukkan nama pengguna dan sandi yang benar. Perhatikan bahwa huruf besar dan kecil dibedakan pada kedua kolom."
    )
    expect(page.locator("#id_username")).to_have_value("kader_mawar")
    expect(page.locator("#id_password")).to_have_value("")
    screenshot(page, "wrong-password")
    # Still signed out: the home page sends the visitor back to the login form.
    visit(page, "/")
    assert path_of(page) == "/masuk/"


@pytest.mark.parametrize("persona", PERSONAS, ids=[persona.role for persona in PERSONAS])
def test_it_signs_each_role_in_and_shows_only_its_scope(
    page: Page, district: DistrictFixture, persona: Persona, screenshot: Screenshot
) -> None:
    assert district.users[persona.role].username == persona.username

    log_in(page, username=persona.username)

    assert path_of(page) == persona.landing
    if persona.landing == "/":
        expect(page.get_by_test_id("role")).to_have_text(persona.badge)
        expect(page.get_by_test_id("scope")).to_have_text(persona.home_region)
    elif persona.landing == "/kader/":
        # The kader's home is today's work at her posyandu.
        expect(page.get_by_role("heading", level=1)).to_have_text("Kerja hari ini")
        expect(page.get_by_test_id("posyandu-day")).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Dasbor pimpinan: {persona.home_region}")
    screenshot(page, "home")

    visit(page, "/wilayah/")
    assert path_of(page) == f"/wilayah/{persona.home_code}/"
    for code, names in persona.listings.items():
        assert visit(page, f"/wilayah/{code}/").status == 200
        assert page.locator("main table tbody td a").all_inner_texts() == names, code
    visit(page, f"/wilayah/{persona.home_code}/")
    screenshot(page, "wilayah")

    statuses = {code: visit(page, f"/wilayah/{code}/").status for code in persona.not_found}
    assert statuses == dict.fromkeys(persona.not_found, 404)
    posyandu_statuses = {
        name: visit(page, f"/posyandu/{getattr(district, name).pk}/").status
        for name in persona.posyandu_not_found
    }
    assert posyandu_statuses == dict.fromkeys(persona.posyandu_not_found, 404)


def test_it_fits_the_login_and_home_pages_on_a_phone(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    phone = new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = phone.new_page()
    scroll_width = "document.scrollingElement.scrollWidth"

    visit(page, "/masuk/")
    screenshot(page, "phone-login")
    assert page.evaluate(scroll_width) <= 360

    # The district-wide admin has the longest menu and the kecamatan table on his home page.
    log_in(page, username="bappeda")
    assert path_of(page) == "/"
    screenshot(page, "phone-home")
    assert page.evaluate(scroll_width) <= 360


def test_it_switches_to_english_and_logs_out(
    page: Page, district: DistrictFixture, screenshot: Screenshot
) -> None:
    log_in(page, username="bappeda")
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()

    with page.expect_navigation():
        page.get_by_label("Bahasa").select_option("en")

    assert path_of(page) == "/"
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_test_id("role")).to_have_text("Bappeda administrator")
    # Other apps add menu entries; these are the backbone's, in order.
    expect(page.locator("header nav .menu a")).to_contain_text(["Home", "Regions", "Administration"])
    expect(page.get_by_label("Language")).to_have_value("en")
    screenshot(page, "english-home")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()

    assert path_of(page) == "/masuk/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "english-logged-out")
    visit(page, "/wilayah/")
    assert path_of(page) == "/masuk/"
