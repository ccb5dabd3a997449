"""The kader's posyandu day: the month's list, one child's entry, the confirmation of implausible values."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from children import compute
from children.growth import classify, weight_gain
from children.models import Child, Measurement
from children.services import measurement_record
from tests.factories import ChildFactory, DistrictFixture

JUNE_2025 = (2025, 6)
BORN = datetime.date(2024, 3, 10)  # 15 completed months on 14 June 2025


def page_url(posyandu_pk: int, year: int = 2025, month: int = 6) -> str:
    return reverse("children:posyandu-day", args=[posyandu_pk, year, month])


def client_for(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


def entry(child: Child, **values: str) -> dict[str, str]:
    """The POST of one child's row: 72.0 cm lying and 9.6 kg on 14 June 2025 unless overridden."""
    data = {"measured_on": "2025-06-14", "weight_kg": "9.6", "height_cm": "72.0", "position": "L", **values}
    return {"child": str(child.pk), **{f"c{child.pk}-{name}": value for name, value in data.items() if value}}


def engine(*, age_days: int, weight_kg: float, height_cm: float, sex: str = "L") -> dict[str, np.ndarray]:
    return compute.measurement_growth_columns(
        sex=np.array([sex]),
        age_days=np.array([age_days]),
        weight_kg=np.array([weight_kg]),
        height_cm=np.array([height_cm]),
        position=np.array(["L"]),
        oedema=np.array([False]),
    )


@pytest.fixture
def budi(district: DistrictFixture) -> Child:
    return ChildFactory(name="Budi Santoso", sex="L", birth_date=BORN, posyandu=district.posyandu_a1)


# role -> (GET status, POST status, entry form shown)
ACCESS = {
    "bappeda_admin": (200, 302, True),
    "puskesmas_officer": (200, 302, True),
    "kader": (200, 302, True),
    "pimpinan": (200, 403, False),
    "opd_officer": (200, 403, False),
    "kpm": (404, 404, False),  # KPM of SILIRAGUNG; posyandu Mawar lies in SUMBERAGUNG
    "no_role": (404, 404, False),
}


@pytest.mark.parametrize("role", list(ACCESS))
def test_it_scopes_the_posyandu_day_by_role(district: DistrictFixture, budi: Child, role: str) -> None:
    get_status, post_status, shows_form = ACCESS[role]
    client = client_for(district, role)

    page = client.get(page_url(district.posyandu_a1.pk))
    posted = client.post(page_url(district.posyandu_a1.pk), entry(budi))

    assert page.status_code == get_status
    assert (f'name="c{budi.pk}-weight_kg"' in page.content.decode()) is shows_form
    assert posted.status_code == post_status
    assert Measurement.objects.count() == (1 if post_status == 302 else 0)


def test_it_answers_404_for_another_posyandu_and_for_its_children(district: DistrictFixture) -> None:
    other = ChildFactory(name="Sari", birth_date=BORN, posyandu=district.posyandu_a1_second)
    client = client_for(district, "kader")

    assert client.get(page_url(district.posyandu_a1_second.pk)).status_code == 404
    assert client.get(reverse("children:skdn", args=[district.posyandu_b1.pk, 2025, 6])).status_code == 404
    # Her own posyandu's URL with a child of another posyandu: not found either, and nothing saved.
    assert client.post(page_url(district.posyandu_a1.pk), entry(other)).status_code == 404
    assert Measurement.objects.count() == 0


def test_it_redirects_to_the_current_month(district: DistrictFixture) -> None:
    today = timezone.localdate()
    response = client_for(district, "kader").get(
        reverse("children:posyandu-day-current", args=[district.posyandu_a1.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(district.posyandu_a1.pk, today.year, today.month)


def test_it_lists_the_children_due_with_their_age_and_last_measurement(district: DistrictFixture) -> None:
    ChildFactory(name="Citra", sex="P", birth_date=datetime.date(2025, 1, 20), posyandu=district.posyandu_a1)
    ChildFactory(name="Ahmad", birth_date=datetime.date(2020, 6, 16), posyandu=district.posyandu_a1)  # 59 mo
    ChildFactory(name="Lewat", birth_date=datetime.date(2020, 6, 15), posyandu=district.posyandu_a1)  # 60 mo
    ChildFactory(name="Belum lahir", birth_date=datetime.date(2025, 6, 16), posyandu=district.posyandu_a1)
    ChildFactory(name="Pindah", birth_date=BORN, posyandu=district.posyandu_a1, status=Child.Status.MOVED)
    dewi = ChildFactory(name="Dewi", sex="P", birth_date=BORN, posyandu=district.posyandu_a1)
    measurement_record(
        user=None,
        child=dewi,
        measured_on=datetime.date(2025, 5, 10),
        weight_kg=Decimal("9.1"),
        height_cm=Decimal("74.5"),
        position="L",
    )

    response = client_for(district, "kader").get(page_url(district.posyandu_a1.pk))

    rows = [row.child.name for row in (item["row"] for item in response.context["rows"])]
    assert rows == ["Ahmad", "Citra", "Dewi"]
    ages = [item["row"].age_months for item in response.context["rows"]]
    assert ages == [59, 4, 15]
    positions = [item["form"].initial["position"] for item in response.context["rows"]]
    assert positions == ["H", "L", "L"]
    assert response.context["rows"][0]["form"].initial["measured_on"] == datetime.date(2025, 6, 15)
    html = response.content.decode()
    # Numbers are shown the Indonesian way, with a decimal comma.
    assert "Sebelumnya 10-05-2025: 9,10 kg, 74,5 cm; TB/U Normal; B" in html
    assert f'href="{reverse("children:child-detail", args=[dewi.pk])}"' in html


def test_it_saves_a_measurement_and_shows_the_z_scores_and_status(
    district: DistrictFixture, budi: Child
) -> None:
    client = client_for(district, "kader")

    response = client.post(page_url(district.posyandu_a1.pk), entry(budi))

    assert response.status_code == 302
    assert response["Location"] == f"{page_url(district.posyandu_a1.pk)}#anak-{budi.pk}"
    measurement = Measurement.objects.get()
    age_days = (datetime.date(2025, 6, 14) - BORN).days
    expected = engine(age_days=age_days, weight_kg=9.6, height_cm=72.0)
    assert (measurement.child, measurement.measured_on, measurement.age_days) == (
        budi,
        datetime.date(2025, 6, 14),
        461,
    )
    assert (measurement.weight_kg, measurement.height_cm, measurement.position) == (
        Decimal("9.60"),
        Decimal("72.0"),
        "L",
    )
    assert measurement.measured_by == district.users["kader"]
    assert measurement.haz == pytest.approx(float(expected["haz"][0]))
    assert measurement.haz_category == classify.TBU_PENDEK
    assert measurement.weight_gain == weight_gain.B_BARU

    html = client.get(response["Location"]).content.decode()
    for index in ("waz", "haz", "whz", "baz"):
        z = f"{float(expected[index][0]):.2f}".replace(".", ",")  # Indonesian decimal comma
        assert f'<span data-z="{index}">{z}</span>' in html
    assert '<span data-category="haz">Pendek</span>' in html
    assert "<strong data-gain>B</strong> <span>Baru pertama kali ditimbang</span>" in html
    assert "Simpan koreksi" in html


def test_it_shows_english_labels_in_english(district: DistrictFixture, budi: Child) -> None:
    client = client_for(district, "kader")
    client.post(page_url(district.posyandu_a1.pk), entry(budi))
    client.cookies["django_language"] = "en"

    html = client.get(page_url(district.posyandu_a1.pk)).content.decode()

    assert '<span data-category="haz">Stunted</span>' in html
    assert "<strong data-gain>B</strong> <span>First weighing</span>" in html


@pytest.mark.parametrize(
    ("month", "values", "field", "message"),
    [
        (
            "tomorrow",
            {"measured_on": "tomorrow"},
            "measured_on",
            "Tanggal pengukuran tidak boleh di masa depan.",
        ),
        (
            (2024, 3),
            {"measured_on": "2024-03-05"},
            "measured_on",
            "Tanggal pengukuran sebelum tanggal lahir anak.",
        ),
        (JUNE_2025, {"position": ""}, "position", "Pilih cara ukur: telentang atau berdiri."),
        (JUNE_2025, {"weight_kg": "", "height_cm": ""}, "weight_kg", "Isi berat atau panjang/tinggi badan."),
        (
            JUNE_2025,
            {"measured_on": "2025-05-31"},
            "measured_on",
            "Tanggal pengukuran harus di bulan yang sama (01-06-2025 sampai 30-06-2025).",
        ),
    ],
    ids=["future", "before-birth", "missing-position", "nothing-measured", "other-month"],
)
def test_it_refuses_impossible_values_next_to_the_field(
    district: DistrictFixture, budi: Child, month: object, values: dict[str, str], field: str, message: str
) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    year, number = (tomorrow.year, tomorrow.month) if month == "tomorrow" else month  # type: ignore[misc]
    if values.get("measured_on") == "tomorrow":
        values = {**values, "measured_on": tomorrow.isoformat()}

    response = client_for(district, "kader").post(
        page_url(district.posyandu_a1.pk, year, number), entry(budi, **values)
    )

    assert response.status_code == 422
    assert Measurement.objects.count() == 0
    (item,) = [item for item in response.context["rows"] if item["row"].child == budi]
    assert item["form"].errors == {field: [message]}
    assert (
        f'<ul class="errorlist" id="id_c{budi.pk}-{field}_error"><li>{message}</li></ul>'
        in response.content.decode()
    )


def test_it_asks_for_a_remeasurement_of_a_who_flagged_weight_then_saves_it(
    district: DistrictFixture, budi: Child
) -> None:
    client = client_for(district, "kader")
    flagged = engine(age_days=461, weight_kg=3.0, height_cm=72.0)
    indices = [
        label
        for label, name in (
            ("BB/U", "waz_category"),
            ("TB/U", "haz_category"),
            ("BB/TB", "whz_category"),
            ("IMT/U", "baz_category"),
        )
        if flagged[name][0] == classify.FLAGGED
    ]
    assert indices == ["BB/U", "BB/TB", "IMT/U"]

    asked = client.post(page_url(district.posyandu_a1.pk), entry(budi, weight_kg="3.0"))

    assert asked.status_code == 422
    assert Measurement.objects.count() == 0
    html = asked.content.decode()
    assert "Nilai di luar batas wajar WHO (BB/U, BB/TB, IMT/U): periksa alat dan ukur ulang." in html
    assert f'name="c{budi.pk}-remeasure_confirmed"' in html
    assert f'name="c{budi.pk}-weight_kg" value="3.0"' in html

    confirmed = client.post(
        page_url(district.posyandu_a1.pk), entry(budi, weight_kg="3.0", remeasure_confirmed="on")
    )

    assert confirmed.status_code == 302
    measurement = Measurement.objects.get()
    assert (measurement.weight_kg, measurement.remeasure_confirmed) == (Decimal("3.00"), True)
    assert measurement.waz_category == classify.FLAGGED


def test_it_stops_a_height_shrinking_more_than_one_and_a_half_cm(
    district: DistrictFixture, budi: Child
) -> None:
    measurement_record(
        user=None,
        child=budi,
        measured_on=datetime.date(2025, 5, 14),
        weight_kg=Decimal("9.5"),
        height_cm=Decimal("76.0"),
        position="L",
    )
    client = client_for(district, "kader")

    asked = client.post(page_url(district.posyandu_a1.pk), entry(budi, weight_kg="9.6", height_cm="74.0"))

    assert asked.status_code == 422
    assert (
        "Panjang/tinggi turun 2.0 cm sejak 14-05-2025 (batas 1.5 cm): ukur ulang." in asked.content.decode()
    )
    assert list(Measurement.objects.values_list("measured_on", flat=True)) == [datetime.date(2025, 5, 14)]

    confirmed = client.post(
        page_url(district.posyandu_a1.pk),
        entry(budi, weight_kg="9.6", height_cm="74.0", remeasure_confirmed="on"),
    )

    assert confirmed.status_code == 302
    june = Measurement.objects.get(measured_on=datetime.date(2025, 6, 14))
    assert (june.height_cm, june.remeasure_confirmed, june.weight_gain) == (
        Decimal("74.0"),
        True,
        weight_gain.TIDAK_NAIK,
    )


def test_it_returns_the_row_alone_to_the_script(district: DistrictFixture, budi: Child) -> None:
    client = client_for(district, "kader")

    saved = client.post(page_url(district.posyandu_a1.pk), entry(budi), headers={"X-Requested-With": "fetch"})
    refused = client.post(
        page_url(district.posyandu_a1.pk),
        entry(budi, measured_on="2025-07-01"),
        headers={"X-Requested-With": "fetch"},
    )

    assert saved.status_code == 200
    html = saved.content.decode()
    assert html.startswith(f'<article class="child-row measured" id="anak-{budi.pk}" data-child-row>')
    assert "<html" not in html
    assert '<strong class="saved">Tersimpan.</strong>' in html
    assert '<span data-category="haz">Pendek</span>' in html
    assert refused.status_code == 422
    assert refused.content.decode().startswith(f'<article class="child-row measured" id="anak-{budi.pk}"')
    assert (
        "Tanggal pengukuran harus di bulan yang sama (01-06-2025 sampai 30-06-2025)."
        in refused.content.decode()
    )
    assert Measurement.objects.count() == 1


def test_it_lists_the_posyandu_day_in_the_same_number_of_queries_for_one_and_three_children(
    district: DistrictFixture, django_assert_num_queries: object
) -> None:
    client = client_for(district, "kader")
    url = page_url(district.posyandu_a1.pk)

    def add_child(n: int) -> None:
        child = ChildFactory(name=f"Anak {n}", birth_date=BORN, posyandu=district.posyandu_a1)
        for day, weight in ((datetime.date(2025, 5, 14), "9.2"), (datetime.date(2025, 6, 14), "9.6")):
            measurement_record(
                user=None,
                child=child,
                measured_on=day,
                weight_kg=Decimal(weight),
                height_cm=Decimal("75.0"),
                position="L",
            )

    add_child(1)
    client.get(url)  # warms the session and the scope caches of nothing else than the request itself
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_child(2)
    add_child(3)
    with django_assert_num_queries(len(one)):  # type: ignore[operator]
        response = client.get(url)
    assert len(response.context["rows"]) == 3
    # Session, user, the kader's scope, the posyandu, the children, their measurements.
    assert len(one) == 6


# --- resent forms and a day measured twice -------------------------------------------------------------

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def test_the_form_carries_a_fresh_client_id_and_the_row_it_corrects(
    district: DistrictFixture, budi: Child
) -> None:
    client = client_for(district, "kader")
    empty = client.get(page_url(district.posyandu_a1.pk)).content.decode()
    assert f'name="c{budi.pk}-client_id"' in empty
    assert f'name="c{budi.pk}-corrects"' in empty
    assert f'name="c{budi.pk}-corrects" value=' not in empty
    client.post(page_url(district.posyandu_a1.pk), entry(budi))
    measured = client.get(page_url(district.posyandu_a1.pk)).content.decode()
    assert f'name="c{budi.pk}-corrects" value="{Measurement.objects.get().pk}"' in measured


def test_a_form_sent_twice_is_saved_once_and_shows_the_stored_result(
    district: DistrictFixture, budi: Child
) -> None:
    client = client_for(district, "kader")
    data = entry(budi, client_id="6f1c7a52-3f0e-4a43-9a0c-2f6a1f1f8b11")
    first = client.post(page_url(district.posyandu_a1.pk), data)
    again = client.post(page_url(district.posyandu_a1.pk), data, **FETCH)
    assert (first.status_code, again.status_code) == (302, 200)
    assert "Tersimpan." in again.content.decode()
    assert list(Measurement.objects.values_list("client_id", flat=True)) == [
        uuid.UUID("6f1c7a52-3f0e-4a43-9a0c-2f6a1f1f8b11")
    ]


def test_the_same_values_sent_again_without_client_id_show_the_stored_result(
    district: DistrictFixture, budi: Child
) -> None:
    client = client_for(district, "kader")
    statuses = [client.post(page_url(district.posyandu_a1.pk), entry(budi)).status_code for _ in range(2)]
    assert statuses == [302, 302]
    assert Measurement.objects.count() == 1


def test_other_values_for_a_measured_day_show_the_stored_ones_and_replace_them_only_when_chosen(
    district: DistrictFixture, budi: Child
) -> None:
    stored = measurement_record(
        user=None,
        child=budi,
        measured_on=datetime.date(2025, 6, 14),
        weight_kg=Decimal("9.1"),
        height_cm=Decimal("72.0"),
        position="L",
    ).measurement
    client = client_for(district, "kader")

    asked = client.post(page_url(district.posyandu_a1.pk), entry(budi, weight_kg="9.6"), **FETCH)

    html = asked.content.decode()
    assert asked.status_code == 409
    assert (
        "Anak ini sudah diukur pada 14-06-2025: 9,10 kg, 72,0 cm (Telentang (panjang badan)). Nilai di bawah "
        "belum disimpan: tekan Ganti untuk menggantinya, atau biarkan data yang tersimpan."
    ) in html
    assert f'name="c{budi.pk}-weight_kg" value="9.6"' in html
    assert f'name="c{budi.pk}-corrects" value="{stored.pk}"' in html
    assert list(Measurement.objects.values_list("weight_kg", flat=True)) == [Decimal("9.10")]

    replaced = client.post(
        page_url(district.posyandu_a1.pk), entry(budi, weight_kg="9.6", corrects=str(stored.pk))
    )

    assert replaced.status_code == 302
    assert list(Measurement.objects.values_list("pk", "weight_kg")) == [(stored.pk, Decimal("9.60"))]
