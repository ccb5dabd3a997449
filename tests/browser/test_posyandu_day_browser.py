"""A kader on a phone enters a measurement with the keyboard only and sees the status in the row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from children import compute
from children.growth import classify
from children.models import Measurement
from children.services import measurement_record
from tests.browser.conftest import NewContext, Screenshot, log_in
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def test_a_kader_enters_a_measurement_on_a_phone_with_the_keyboard_only(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    today = timezone.localdate()
    born = today - datetime.timedelta(days=400)
    ayu = ChildFactory(name="Ayu Lestari", sex="P", birth_date=born, posyandu=district.posyandu_a1)
    bima = ChildFactory(name="Bima Saputra", sex="L", birth_date=born, posyandu=district.posyandu_a1)
    expected = compute.measurement_growth_columns(
        sex=np.array(["P"]),
        age_days=np.array([400]),
        weight_kg=np.array([8.9]),
        height_cm=np.array([70.0]),
        position=np.array(["L"]),
        oedema=np.array([False]),
    )
    haz_label = classify.TBU_LABELS_ID[int(expected["haz_category"][0])]
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")

    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")

    assert page.url.endswith(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/{today.year}/{today.month}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hari posyandu Mawar")
    weight = page.locator(f"#id_c{ayu.pk}-weight_kg")
    # Large inputs for fingers: at least 44 CSS pixels tall, and nothing wider than the phone.
    assert weight.bounding_box()["height"] >= 44  # type: ignore[index]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    # Lying is the default under 24 months.
    expect(page.locator(f"#id_c{ayu.pk}-position_0")).to_be_checked()
    screenshot(page, "phone-list")
    page.evaluate("window.notReloaded = true")

    weight.focus()
    page.keyboard.type("8.9")
    page.keyboard.press("Tab")
    expect(page.locator(f"#id_c{ayu.pk}-height_cm")).to_be_focused()
    page.keyboard.type("70.0")
    page.keyboard.press("Enter")

    row = page.locator(f"#anak-{ayu.pk}")
    expect(row.locator(".saved")).to_have_text("Tersimpan.")
    expect(row.locator("[data-category='haz']")).to_have_text(haz_label)
    expect(row.locator("[data-z='haz']")).to_have_text(f"{float(expected['haz'][0]):.2f}".replace(".", ","))
    expect(row.locator("[data-gain]")).to_have_text("B")
    expect(page.get_by_test_id("progress")).to_have_text("1 dari 2 anak sudah diukur bulan ini.")
    # The row was replaced in place: the page itself was not loaded again.
    assert page.evaluate("window.notReloaded") is True
    # Focus moved on to the next child's weight.
    expect(page.locator(f"#id_c{bima.pk}-weight_kg")).to_be_focused()
    screenshot(page, "phone-saved")

    measurement = Measurement.objects.get(child=ayu)
    assert (measurement.measured_on, measurement.weight_kg, measurement.height_cm, measurement.position) == (
        today,
        Decimal("8.90"),
        Decimal("70.0"),
        "L",
    )
    assert measurement.measured_by == district.users["kader"]
    assert not Measurement.objects.filter(child=bima).exists()


def test_the_child_page_draws_the_three_who_charts_on_a_phone(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    today = timezone.localdate()
    ayu = ChildFactory(
        name="Ayu Lestari",
        sex="P",
        birth_date=today - datetime.timedelta(days=400),
        posyandu=district.posyandu_a1,
    )
    for back, weight, height in ((60, "8.3", "67.5"), (30, "8.6", "68.8"), (0, "8.9", "70.0")):
        measurement_record(
            user=None,
            child=ayu,
            measured_on=today - datetime.timedelta(days=back),
            weight_kg=Decimal(weight),
            height_cm=Decimal(height),
            position="L",
        )
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")

    page.goto(f"/anak/{ayu.pk}/")

    expect(page.locator("[data-chart-url]")).to_have_attribute("data-charts-ready", "true")
    charts = page.evaluate(
        "[...document.querySelectorAll('canvas[data-chart]')].map((c) => {"
        " const chart = Chart.getChart(c); return [c.dataset.chart, chart.data.datasets.length,"
        " chart.data.datasets[5].data.length]; })"
    )
    # Five SD lines and the child's three points on each chart; under 24 months: weight-for-length.
    assert charts == [["wfa", 6, 3], ["lhfa", 6, 3], ["wfl", 6, 3]]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "phone-child-page")


def test_a_day_measured_meanwhile_on_another_phone_is_shown_and_replaced_only_when_chosen(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    today = timezone.localdate()
    ayu = ChildFactory(
        name="Ayu Lestari",
        sex="P",
        birth_date=today - datetime.timedelta(days=400),
        posyandu=district.posyandu_a1,
    )
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")
    page.evaluate("window.notReloaded = true")
    # Another kader records Ayu while this page is open.
    stored = measurement_record(
        user=None,
        child=ayu,
        measured_on=today,
        weight_kg=Decimal("8.7"),
        height_cm=Decimal("70.0"),
        position="L",
    ).measurement

    page.locator(f"#id_c{ayu.pk}-weight_kg").fill("8.9")
    page.locator(f"#id_c{ayu.pk}-height_cm").fill("70.0")
    page.locator(f"#id_c{ayu.pk}-height_cm").press("Enter")

    row = page.locator(f"#anak-{ayu.pk}")
    expect(row.locator("[data-errors]")).to_contain_text(
        f"Anak ini sudah diukur pada {today:%d-%m-%Y}: 8,70 kg, 70,0 cm (Telentang (panjang badan))."
    )
    expect(row.get_by_role("button", name="Ganti")).to_be_visible()
    assert Measurement.objects.get(child=ayu).weight_kg == Decimal("8.70")
    screenshot(page, "phone-conflict")

    row.get_by_role("button", name="Ganti").click()

    expect(page.locator(f"#anak-{ayu.pk} .saved")).to_have_text("Tersimpan.")
    assert page.evaluate("window.notReloaded") is True
    assert list(Measurement.objects.filter(child=ayu).values_list("pk", "weight_kg")) == [
        (stored.pk, Decimal("8.90"))
    ]


def test_a_weight_typed_with_a_comma_is_kept_and_two_separators_are_refused_in_the_row(
    new_context: NewContext, district: DistrictFixture
) -> None:
    today = timezone.localdate()
    born = today - datetime.timedelta(days=400)
    ayu = ChildFactory(name="Ayu Lestari", sex="P", birth_date=born, posyandu=district.posyandu_a1)
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")
    weight = page.locator(f"#id_c{ayu.pk}-weight_kg")
    # A text input with the decimal keyboard: a number input would turn "8,9" into 89.
    assert weight.get_attribute("type") == "text"
    assert weight.get_attribute("inputmode") == "decimal"

    weight.fill("8,9,1")
    page.locator(f"#id_c{ayu.pk}-height_cm").fill("70,0")
    page.locator(f"#anak-{ayu.pk} button[type=submit]").click()

    message = weight.evaluate("input => input.validationMessage")
    assert message == "Berat (kg): tulis angka dengan satu tanda desimal (koma atau titik), misalnya 8,9."
    assert Measurement.objects.count() == 0

    weight.fill("8,9")
    page.locator(f"#anak-{ayu.pk} button[type=submit]").click()

    expect(page.locator(f"#anak-{ayu.pk} .saved")).to_have_text("Tersimpan.")
    expect(page.locator(f"#anak-{ayu.pk} .result")).to_contain_text("8,90 kg, 70,0 cm")
    stored = Measurement.objects.get()
    assert (stored.weight_kg, stored.height_cm) == (Decimal("8.90"), Decimal("70.0"))


def test_the_position_is_checked_at_entry_for_a_baby_and_a_toddler(
    new_context: NewContext, district: DistrictFixture
) -> None:
    today = timezone.localdate()
    baby = ChildFactory(
        name="Bayi Kecil", birth_date=today - datetime.timedelta(days=150), posyandu=district.posyandu_a1
    )
    toddler = ChildFactory(
        name="Balita", birth_date=today - datetime.timedelta(days=450), posyandu=district.posyandu_a1
    )
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")

    page.locator(f"#id_c{baby.pk}-weight_kg").fill("6,5")
    page.locator(f"#id_c{baby.pk}-height_cm").fill("63,0")
    page.locator(f"#id_c{baby.pk}-position_1").check()  # Berdiri

    baby_hint = page.locator(f"#anak-{baby.pk} [data-position-hint]")
    refused = "Bayi di bawah 9 bulan diukur telentang, bukan berdiri: pilih Telentang."
    expect(baby_hint).to_have_text(refused)
    expect(baby_hint).to_have_class("position-note refused")
    page.locator(f"#anak-{baby.pk} button[type=submit]").click()
    assert page.locator(f"#id_c{baby.pk}-position_1").evaluate("radio => radio.validationMessage") == refused
    assert Measurement.objects.count() == 0
    # Lying clears the refusal and the row saves.
    page.locator(f"#id_c{baby.pk}-position_0").check()
    expect(baby_hint).to_have_text("")
    page.locator(f"#anak-{baby.pk} button[type=submit]").click()
    expect(page.locator(f"#anak-{baby.pk} .saved")).to_have_text("Tersimpan.")

    adjusted = "Anak di bawah 24 bulan diukur berdiri: 0,7 cm ditambahkan ke tingginya, seperti aturan WHO."
    page.locator(f"#id_c{toddler.pk}-weight_kg").fill("9,6")
    page.locator(f"#id_c{toddler.pk}-height_cm").fill("76,0")
    page.locator(f"#id_c{toddler.pk}-position_1").check()
    expect(page.locator(f"#anak-{toddler.pk} [data-position-hint]")).to_have_text(adjusted)
    page.locator(f"#anak-{toddler.pk} button[type=submit]").click()

    expect(page.locator(f"#anak-{toddler.pk} .saved")).to_have_text("Tersimpan.")
    expect(page.locator(f"#anak-{toddler.pk} [data-result-note]")).to_have_text(adjusted)
    assert Measurement.objects.get(child=toddler).adjusted_height_cm == Decimal("76.7")


def test_on_a_phone_the_menu_folds_and_the_first_weight_is_one_tab_and_enter_away(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    born = timezone.localdate() - datetime.timedelta(days=400)
    ayu = ChildFactory(name="Ayu Lestari", sex="P", birth_date=born, posyandu=district.posyandu_a1)
    page = new_context(**PHONE).new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")

    toggle = page.get_by_role("button", name="Menu")
    menu = page.locator("#menu-utama")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    screenshot(page, "phone-menu-open")
    toggle.click()
    expect(menu).to_be_hidden()

    # From the top of the page: the first Tab reaches the skip link, Enter lands on the first weight.
    page.reload()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Langsung ke isi")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#id_c{ayu.pk}-weight_kg")).to_be_focused()


def test_on_a_laptop_the_menu_stays_open_without_a_toggle(
    new_context: NewContext, district: DistrictFixture
) -> None:
    page = new_context().new_page()
    log_in(page, username="kader_mawar")
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/")

    expect(page.locator("#menu-utama")).to_be_visible()
    expect(page.locator("button[data-menu-toggle]")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Langsung ke isi")).to_be_focused()
