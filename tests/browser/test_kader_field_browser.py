"""The kader's pages in the field: the first weight within three Tab presses on a phone, no serious or
critical axe-core violation on the posyandu day, the child page, the kader home and the duplicate step
(phone and laptop), and the "Rujuk" button of a result with alerts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from children.models import Child, DuplicateCandidate, Measurement
from children.services import measurement_record
from interventions.catalogue import catalogue_load
from interventions.models import Referral
from tests.browser.axe import severe_violations
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


def _active(page: Page) -> str:
    """The focused element as tag#id "text" (the id alone identifies the weight field)."""
    return str(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              return el ? `${el.tagName.toLowerCase()}#${el.id} "${(el.textContent || "").trim().slice(0, 30)}"` : "";
            }"""
        )
    )


def test_the_first_weight_is_reached_in_three_tab_presses_on_a_phone(
    new_context: NewContext, district: DistrictFixture
) -> None:
    born = timezone.localdate() - datetime.timedelta(days=400)
    ayu = ChildFactory(name="Ayu Lestari", sex="P", birth_date=born, posyandu=district.posyandu_a1)
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")

    target = f'input#id_c{ayu.pk}-weight_kg ""'
    reached = []
    for _press in range(3):
        page.keyboard.press("Tab")
        reached.append(_active(page))
        if reached[-1] == target:
            break
    assert reached[-1] == target, f"focus went through {reached}"
    expect(page.locator(f"#id_c{ayu.pk}-weight_kg")).to_be_focused()


def _stunted_today(district: DistrictFixture) -> Measurement:
    today = timezone.localdate()
    child = ChildFactory(
        name="Raka Pratama", birth_date=today - datetime.timedelta(days=400), posyandu=district.posyandu_a1
    )
    return measurement_record(
        user=None,
        child=child,
        measured_on=today,
        weight_kg=Decimal("8.5"),
        height_cm=Decimal("65.0"),
        position="L",
    ).measurement


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_kader_pages_have_no_serious_or_critical_violation(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str, size: str
) -> None:
    catalogue_load(kabupaten=district.kabupaten)
    measurement = _stunted_today(district)
    ChildFactory(
        name="Ayu Lestari",
        sex="P",
        birth_date=timezone.localdate() - datetime.timedelta(days=300),
        posyandu=district.posyandu_a1,
    )
    page = new_context(bypass_csp=True, **(PHONE if size == "phone" else LAPTOP)).new_page()
    log_in(page, username="kader_mawar")
    audited = {}

    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")
    expect(page.get_by_role("button", name="Rujuk ke puskesmas")).to_be_visible()
    audited["posyandu day"] = severe_violations(page, axe_source)
    page.goto(f"/anak/{measurement.child_id}/")
    expect(page.get_by_role("button", name="Rujuk ke puskesmas")).to_be_visible()
    audited["child page"] = severe_violations(page, axe_source)
    screenshot(page, f"child-page-{size}")
    page.goto("/kader/")
    audited["kader home"] = severe_violations(page, axe_source)
    page.goto("/anak/baru/")
    page.get_by_label("Nama").first.fill("Raka Pratama")
    page.get_by_label("Tanggal lahir").fill(measurement.child.birth_date.isoformat())
    page.get_by_label("Jenis kelamin").select_option("L")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Mungkin anak ini sudah terdaftar")).to_be_visible()
    audited["duplicate step"] = severe_violations(page, axe_source)
    screenshot(page, f"duplicate-step-{size}")

    assert audited == {"posyandu day": [], "child page": [], "kader home": [], "duplicate step": []}
    # Saved as new from the button next to the match, at the top of the form: one more child, one pair queued.
    page.get_by_role("button", name="Simpan sebagai anak baru").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raka Pratama")
    assert Child.objects.filter(name="Raka Pratama").count() == 2
    assert DuplicateCandidate.objects.filter(child_a=measurement.child).count() == 1


def test_a_kader_refers_a_result_from_the_child_page_and_finds_it_at_home(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    catalogue_load(kabupaten=district.kabupaten)
    measurement = _stunted_today(district)
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/anak/{measurement.child_id}/")

    page.get_by_role("button", name="Rujuk ke puskesmas").click()

    referral = Referral.objects.get()
    assert page.url.endswith(f"/intervensi/rujukan/{referral.pk}/")
    expect(page.get_by_text("Rujukan ke puskesmas dibuat.")).to_be_visible()
    expect(page.get_by_text(referral.reason)).to_be_visible()
    screenshot(page, "referral-made")
    page.goto(f"/anak/{measurement.child_id}/")
    expect(
        page.get_by_role("link", name="Sudah dirujuk ke puskesmas (Terbuka): lihat rujukan")
    ).to_be_visible()
    page.goto("/kader/")
    expect(page.get_by_test_id("open-referrals").get_by_role("link", name="Raka Pratama")).to_be_visible()
