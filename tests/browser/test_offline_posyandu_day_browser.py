"""The posyandu day without a connection, on a phone (360 x 740): entries wait on the phone with the
statuses computed there, the page opens again offline, and the entries reach the server exactly once,
also when the connection is cut in the middle of a sync."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route, expect

from children import compute
from children.growth import classify
from children.models import Child, Measurement
from children.services import measurement_record
from convergence.formatting import fixed
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
SYNC = "**/api/v1/measurements/sync/"
# Five children of 400 days, each with the values the kader types (decimal commas, as on the scale).
VALUES = [("8,9", "70,5"), ("9,4", "72,0"), ("7,6", "68,3"), ("10,2", "75,1"), ("8,1", "69,9")]


def _children(district: DistrictFixture) -> list[Child]:
    born = timezone.localdate() - datetime.timedelta(days=400)
    return [
        ChildFactory(name=f"Anak {letter}", sex="LP"[i % 2], birth_date=born, posyandu=district.posyandu_a1)
        for i, letter in enumerate("ABCDE")
    ]


def _expected(child: Child, weight: str, height: str) -> tuple[str, str]:
    """The server's TB/U z-score (as the page writes it) and category for these values."""
    age = (timezone.localdate() - child.birth_date).days
    columns = compute.measurement_growth_columns(
        sex=np.array([child.sex]),
        age_days=np.array([age]),
        weight_kg=np.array([float(weight.replace(",", "."))]),
        height_cm=np.array([float(height.replace(",", "."))]),
        position=np.array(["L"]),
        oedema=np.array([False]),
    )
    return fixed(float(columns["haz"][0]), 2), classify.TBU_LABELS_ID[int(columns["haz_category"][0])]


def _open_day(page: Page, district: DistrictFixture, *, worker: bool) -> None:
    log_in(page, username="kader_mawar")
    if worker:
        # The kader home registers the service worker; it takes the page over at once.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    today = timezone.localdate()
    page.goto(f"/posyandu/{district.posyandu_a1.pk}/penimbangan/{today.year}/{today.month}/")
    # The children's data and the growth engine's documents are on the phone.
    expect(page.locator("[data-offline]")).to_have_attribute("data-ready", "true")
    assert page.evaluate("() => window.GrowthEngine.ready") is True


def _enter_offline(page: Page, children: list[Child]) -> None:
    for child, (weight, height) in zip(children, VALUES, strict=True):
        page.locator(f"#id_c{child.pk}-weight_kg").fill(weight)
        page.locator(f"#id_c{child.pk}-height_cm").fill(height)
        page.locator(f"#id_c{child.pk}-height_cm").press("Enter")
        entry = page.locator(f"#anak-{child.pk} [data-outbox-entry]")
        expect(entry.locator("[data-entry-state]")).to_have_text("Belum terkirim")
        # The statuses appear at once, computed on the phone, as the server computes them.
        z, category = _expected(child, weight, height)
        expect(entry.locator("[data-z='haz']")).to_have_text(z)
        expect(entry.locator("[data-category='haz']")).to_have_text(category)
    expect(page.locator("[data-outbox-count]")).to_have_text("5")


def _expect_sent(page: Page, children: list[Child]) -> None:
    for child in children:
        entry = page.locator(f"#anak-{child.pk} [data-outbox-entry]")
        expect(entry.locator("[data-entry-state]")).to_have_text("Terkirim.")
    expect(page.locator("[data-outbox-summary]")).to_be_hidden()
    stored = {m.child_id: m for m in Measurement.objects.all()}
    assert sorted(stored) == sorted(child.pk for child in children)
    for child, (weight, _height) in zip(children, VALUES, strict=True):
        measurement = stored[child.pk]
        assert str(measurement.weight_kg) == weight.replace(",", ".") + "0"
        entry = page.locator(f"#anak-{child.pk} [data-outbox-entry]")
        # The server's own z-scores, with decimal commas.
        for index in ("waz", "haz", "whz"):
            expect(entry.locator(f"[data-z='{index}']")).to_have_text(fixed(getattr(measurement, index), 2))


def test_a_kader_enters_five_measurements_offline_reloads_and_sends_them_once(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    children = _children(district)
    context = new_context(**PHONE)
    page = context.new_page()
    _open_day(page, district, worker=True)
    # Chromium finds the app installable (manifest, icon, service worker); a test profile is incognito.
    errors = context.new_cdp_session(page).send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors] == ["in-incognito"]

    context.set_offline(True)
    _enter_offline(page, children)
    screenshot(page, "offline-entries")
    assert Measurement.objects.count() == 0

    # The page opens again without a connection, with the entries still waiting.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hari posyandu Mawar")
    expect(page.locator("[data-connection]")).to_be_visible()
    expect(page.locator("[data-outbox-count]")).to_have_text("5")
    expect(page.locator("[data-outbox-entry] [data-entry-state]")).to_have_text(["Belum terkirim"] * 5)
    z, _category = _expected(children[0], *VALUES[0])
    expect(page.locator(f"#anak-{children[0].pk} [data-z='haz']")).to_have_text(z)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "offline-reloaded")

    # The connection returns: the outbox is sent by itself.
    context.set_offline(False)
    _expect_sent(page, children)
    assert Measurement.objects.count() == 5
    screenshot(page, "sent")

    # Nothing waits: logout asks nothing and leaves none of the children's data on the phone.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.get_by_role("button", name="Menu").click()
    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    assert dialogs == []
    assert _phone_store(page) == {"outbox": [], "scope": 0, "pages": False}


def test_a_sync_cut_off_after_the_server_recorded_it_is_resent_without_doubling(
    new_context: NewContext, district: DistrictFixture
) -> None:
    children = _children(district)
    # Without the service worker, so that the test sees (and cuts) the page's own request.
    context = new_context(**PHONE, service_workers="block")
    page = context.new_page()
    _open_day(page, district, worker=False)
    context.set_offline(True)
    _enter_offline(page, children)

    cut: list[int] = []

    def reach_the_server_then_cut(route: Route) -> None:
        response = route.fetch()  # the server records the batch ...
        cut.append(response.status)
        route.abort("connectionreset")  # ... and the phone never hears the answer

    page.route(SYNC, reach_the_server_then_cut)
    context.set_offline(False)
    expect(page.locator("[data-sync-message]")).to_have_text(
        "Belum terkirim: tidak ada sambungan. Dicoba lagi saat sinyal kembali."
    )
    assert cut == [200]
    assert Measurement.objects.count() == 5
    expect(page.locator("[data-outbox-count]")).to_have_text("5")

    page.unroute(SYNC)
    page.get_by_role("button", name="Kirim sekarang").click()
    _expect_sent(page, children)
    assert Measurement.objects.count() == 5


def _phone_store(page: Page) -> Any:
    """What IndexedDB and the page cache hold on this phone (read from any page of the site)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
          const request = indexedDB.open("posyandu-luring");
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const db = request.result;
            const tx = db.transaction(["outbox", "scope"], "readonly");
            const outbox = tx.objectStore("outbox").getAll();
            const scope = tx.objectStore("scope").count();
            tx.oncomplete = () => caches.has("posyandu-pages").then((pages) => resolve({
              outbox: outbox.result.map((entry) => [entry.child, entry.weight_kg, entry.state]),
              scope: scope.result,
              pages,
            }));
          };
        })"""
    )


def test_logout_warns_of_unsent_entries_keeps_them_and_clears_the_childrens_data(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot
) -> None:
    children = _children(district)
    context: BrowserContext = new_context(**PHONE)
    page = context.new_page()
    _open_day(page, district, worker=True)
    context.set_offline(True)
    page.locator(f"#id_c{children[0].pk}-weight_kg").fill("8,9")
    page.locator(f"#id_c{children[0].pk}-weight_kg").press("Enter")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    # Back online, but the sync does not get through: the entry still waits.
    page.route(SYNC, lambda route: route.abort())
    context.set_offline(False)
    before = _phone_store(page)
    assert (before["outbox"], before["scope"], before["pages"]) == (
        [[children[0].pk, "8.9", "unsent"]],
        1,
        True,
    )

    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        if len(dialogs) == 1:
            dialog.dismiss()  # the first time she stays
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="Menu").click()  # the menu folds on a phone
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hari posyandu Mawar")
    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    assert (
        dialogs
        == [
            "Masih ada pengukuran yang belum terkirim. Pengukuran itu tetap disimpan di HP ini sampai terkirim "
            "atau dibuang. Tetap keluar?"
        ]
        * 2
    )
    assert "/masuk/" in page.url
    after = _phone_store(page)
    assert (after["outbox"], after["scope"], after["pages"]) == (
        [[children[0].pk, "8.9", "unsent"]],
        0,
        False,
    )
    assert Measurement.objects.count() == 0

    # Back in: her home counts the entry waiting on the phone.
    log_in(page, username="kader_mawar")
    expect(page.get_by_test_id("unsent")).to_contain_text("1 pengukuran belum terkirim dari HP ini.")
    screenshot(page, "home-unsent")


def test_a_conflict_is_shown_with_both_values_and_replaced_only_when_chosen_and_a_refused_entry_discarded(
    new_context: NewContext, district: DistrictFixture, screenshot: Screenshot, axe_source: str
) -> None:
    ayu, bima, citra = _children(district)[:3]
    # bypass_csp: axe-core is injected into the page (the other tests of this module keep the policy).
    context = new_context(**PHONE, service_workers="block", bypass_csp=True)
    page = context.new_page()
    _open_day(page, district, worker=False)
    context.set_offline(True)
    page.locator(f"#id_c{ayu.pk}-weight_kg").fill("8,9")
    page.locator(f"#id_c{ayu.pk}-height_cm").fill("70,5")
    page.locator(f"#id_c{ayu.pk}-height_cm").press("Enter")
    page.locator(f"#id_c{bima.pk}-weight_kg").fill("90")
    page.locator(f"#id_c{bima.pk}-weight_kg").press("Enter")
    # 25 kg at 13 months: possible on the scale, a WHO flag: the server asks for a re-measurement.
    page.locator(f"#id_c{citra.pk}-weight_kg").fill("25")
    page.locator(f"#id_c{citra.pk}-weight_kg").press("Enter")
    expect(page.locator(f"#anak-{citra.pk} [data-entry-message]")).to_have_text(
        "Nilai tidak wajar: periksa alat dan ukur ulang. Bila nilainya benar, tekan tombol di bawah."
    )
    refused = page.locator(f"#anak-{bima.pk} [data-outbox-entry]")
    # The rule the server applies is said at once, before sending.
    expect(refused.locator("[data-entry-message]")).to_have_text(
        "Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"
    )
    # Meanwhile another kader records Ayu's day with other values.
    stored = measurement_record(
        user=None,
        child=ayu,
        measured_on=timezone.localdate(),
        weight_kg=Decimal("8.7"),
        height_cm=Decimal("70.0"),
        position="L",
    ).measurement

    context.set_offline(False)
    conflict = page.locator(f"#anak-{ayu.pk} [data-outbox-entry]")
    expect(conflict.locator("[data-entry-message]")).to_contain_text("8,70 kg, 70,0 cm")
    expect(conflict).to_contain_text("8,90 kg, 70,5 cm")
    expect(refused.locator("[data-entry-message]")).to_have_text(
        "Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"
    )
    flagged = page.locator(f"#anak-{citra.pk} [data-outbox-entry]")
    expect(flagged.locator("[data-entry-message]")).to_be_visible()
    expect(page.locator("[data-outbox-count]")).to_have_text("3")
    assert list(Measurement.objects.values_list("pk", "weight_kg")) == [(stored.pk, Decimal("8.70"))]
    screenshot(page, "conflict-and-refused")
    assert severe_violations(page, axe_source) == []

    flagged.get_by_role("button", name="Sudah diukur ulang, kirim lagi").click()
    expect(flagged.locator("[data-entry-state]")).to_have_text("Terkirim.")
    assert Measurement.objects.get(child=citra).remeasure_confirmed is True
    conflict.get_by_role("button", name="Ganti").click()
    expect(page.locator(f"#anak-{ayu.pk} .saved")).to_have_text("Tersimpan.")
    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="Buang").click()
    expect(page.locator("[data-outbox-entry]")).to_have_count(1)  # Citra's, sent
    expect(page.locator("[data-outbox-summary]")).to_be_hidden()
    assert list(Measurement.objects.filter(child=ayu).values_list("pk", "weight_kg", "height_cm")) == [
        (stored.pk, Decimal("8.90"), Decimal("70.5"))
    ]
    assert Measurement.objects.filter(child=bima).count() == 0
