"""Every page each role reaches from the menu runs under the Content-Security-Policy, with its scripts working.

The `new_context` fixture fails a test on any violation; these tests also check after each page, so that a
failure names the page, and check that the scripts the policy allows did run (charts drawn, quick entry
saved, Swagger UI built, the admin's own scripts).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from children.models import Child
from children.services import measurement_record
from reports.models import PrevalenceSummary
from reports.services import periods_for_months, prevalence_recompute
from tests.browser.conftest import log_in
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.browser

ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm"]
MENU_LINKS = "[...document.querySelectorAll('header nav a[href]')].map((a) => a.getAttribute('href'))"
# Chart.js has drawn into every canvas of the page (it sets the drawing buffer's size from the box).
# A function, not an expression: wait_for_function polls an expression through eval, which the policy refuses.
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('canvas')]"
    ".every((c) => !!window.Chart && !!Chart.getChart(c) && c.width > 0)"
)


def _child_measured_this_month(district: DistrictFixture) -> Child:
    """A child of posyandu Mawar measured three times, the last today, with the summaries recomputed."""
    today = timezone.localdate()
    child = ChildFactory(
        name="Ayu Lestari",
        sex="P",
        birth_date=today - datetime.timedelta(days=400),
        posyandu=district.posyandu_a1,
    )
    for back, weight, height in ((60, "8.3", "67.5"), (30, "8.6", "68.8"), (0, "8.9", "70.0")):
        measurement_record(
            user=None,
            child=child,
            measured_on=today - datetime.timedelta(days=back),
            weight_kg=Decimal(weight),
            height_cm=Decimal(height),
            position="L",
        )
    months = [today.replace(day=1) - datetime.timedelta(days=31 * n) for n in range(3)]
    prevalence_recompute(kabupaten=district.kabupaten, periods=periods_for_months(months))
    return child


def _visit_cleanly(page: Page, path: str, violations: list[str]) -> int:
    """Open `path`, expect a page (200) whose charts are drawn and no violation; return its chart count."""
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, path
    assert "script-src 'self';" in response.headers["content-security-policy"] + ";", path
    page.wait_for_load_state("load")
    page.wait_for_function(CHARTS_DRAWN)
    assert violations == [], path
    return page.locator("canvas").count()


def test_the_harness_reports_a_violation(
    page: Page, district: DistrictFixture, csp_violations: list[str]
) -> None:
    page.goto("/masuk/")

    # The policy allows no inline style: chromium refuses the attribute and reports it.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.evaluate("0")

    assert [line.split(" ")[:3] for line in csp_violations if line.startswith("event: ")] == [
        ["event:", "enforce", "style-src-attr"]
    ]
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(255, 0, 0)"
    csp_violations.clear()


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_of_each_role_runs_under_the_policy(
    page: Page, district: DistrictFixture, csp_violations: list[str], role: str
) -> None:
    _child_measured_this_month(district)
    log_in(page, username=district.users[role].username)
    menu = list(dict.fromkeys(page.evaluate(MENU_LINKS)))
    assert len(menu) >= 10

    charts = {path: _visit_cleanly(page, path, csp_violations) for path in menu}

    # The dashboards' trend chart, for the roles that have them.
    dashboards = {path: count for path, count in charts.items() if path.startswith("/dasbor/") and count}
    expected = {"bappeda_admin": 2, "pimpinan": 2, "puskesmas_officer": 1}.get(role, 0)
    assert len(dashboards) == expected, charts


def test_the_kader_enters_a_measurement_and_sees_the_growth_charts_under_the_policy(
    page: Page, district: DistrictFixture, csp_violations: list[str]
) -> None:
    ayu = _child_measured_this_month(district)
    bima = ChildFactory(
        name="Bima Saputra", sex="L", birth_date=ayu.birth_date, posyandu=district.posyandu_a1
    )
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")
    page.evaluate("window.notReloaded = true")

    page.locator(f"#id_c{bima.pk}-weight_kg").fill("9.4")
    page.locator(f"#id_c{bima.pk}-height_cm").fill("72.0")
    page.locator(f"#id_c{bima.pk}-height_cm").press("Enter")

    expect(page.locator(f"#anak-{bima.pk} .saved")).to_have_text("Tersimpan.")
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_test_id("progress")).to_have_text("2 dari 2 anak sudah diukur bulan ini.")

    assert _visit_cleanly(page, f"/anak/{ayu.pk}/", csp_violations) == 3
    expect(page.locator("[data-chart-url]")).to_have_attribute("data-charts-ready", "true")


def test_the_login_and_public_publication_pages_run_under_the_policy(
    page: Page, district: DistrictFixture, csp_violations: list[str]
) -> None:
    PrevalenceSummary.objects.create(
        level="kabupaten",
        region=district.kabupaten,
        period_kind="Y",
        period=datetime.date(2025, 1, 1),
        registered=40,
        measured=40,
        haz_pendek=8,
        haz_normal=32,
        whz_gizi_baik=40,
        waz_normal=40,
    )

    _visit_cleanly(page, "/masuk/", csp_violations)
    _visit_cleanly(page, "/publikasi/", csp_violations)

    expect(page.get_by_role("heading", level=1)).to_contain_text("BANYUWANGI tahun 2025")
    expect(page.get_by_test_id("pdf")).to_be_visible()


def test_the_admin_runs_its_own_scripts_under_the_policy(
    page: Page, district: DistrictFixture, csp_violations: list[str]
) -> None:
    ayu = _child_measured_this_month(district)
    log_in(page, username="bappeda")

    _visit_cleanly(page, "/admin/", csp_violations)
    _visit_cleanly(page, "/admin/children/child/", csp_violations)
    # nav_sidebar.js opened the sidebar and folds it on the toggle.
    expect(page.locator("#main")).to_have_class("main shifted")
    page.locator("#toggle-nav-sidebar").click()
    expect(page.locator("#main")).to_have_class("main")
    _visit_cleanly(page, f"/admin/children/child/{ayu.pk}/change/", csp_violations)
    _visit_cleanly(page, f"/admin/children/child/{ayu.pk}/history/", csp_violations)
    _visit_cleanly(page, "/admin/children/child/export/", csp_violations)


def test_the_api_docs_build_swagger_ui_under_the_policy(
    page: Page, district: DistrictFixture, csp_violations: list[str]
) -> None:
    log_in(page, username="bappeda")

    _visit_cleanly(page, "/api/docs/", csp_violations)

    # The start-up script (a file) ran and fetched the schema: the first tag, opened, lists its operations.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Konvergensi Stunting API")
    page.locator(".opblock-tag").first.click()
    expect(page.locator(".opblock").first).to_be_visible()
    paths = page.evaluate(
        "[...document.querySelectorAll('.opblock-summary-path')].map((p) => p.textContent.replace(/\\u200b/g, ''))"
    )
    assert {"/api/v1/action-outputs/", "/api/v1/action-outputs/{id}/"} <= set(paths)
    assert csp_violations == []
