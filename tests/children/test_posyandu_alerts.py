"""Results that ask for action stand out in words (2T, BGM, WHO flag, the most severe categories), and the
"Belum ditimbang" list of a posyandu and month, scoped like the posyandu day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from children.growth import classify, weight_gain
from children.models import Measurement
from children.selectors_posyandu import measurement_alerts, measurement_status
from children.services import measurement_record
from tests.factories import ChildFactory, DistrictFixture

BORN = datetime.date(2024, 3, 10)


def stored(**values: int) -> Measurement:
    """An unsaved measurement with normal categories unless overridden."""
    defaults = {
        "waz_category": classify.BBU_NORMAL,
        "haz_category": classify.TBU_NORMAL,
        "whz_category": classify.GIZI_BAIK,
        "baz_category": classify.GIZI_BAIK,
        "weight_gain": weight_gain.NAIK,
    }
    return Measurement(measured_on=datetime.date(2025, 6, 14), **{**defaults, **values})


@pytest.mark.parametrize(
    ("values", "alerts"),
    [
        ({}, []),
        ({"weight_gain": weight_gain.DUA_T}, [("2t", "2T: berat tidak naik 2 kali berturut-turut")]),
        ({"waz_category": classify.BBU_SANGAT_KURANG}, [("bgm", "BGM: berat di bawah garis merah")]),
        ({"waz_category": classify.BBU_KURANG}, []),
        (
            {"haz_category": classify.FLAGGED},
            [("flag", "Nilai di luar batas WHO: periksa alat dan ukur ulang")],
        ),
        ({"haz_category": classify.TBU_SANGAT_PENDEK}, [("severe-haz", "TB/U: Sangat pendek")]),
        ({"haz_category": classify.TBU_PENDEK}, []),
        (
            {"whz_category": classify.GIZI_BURUK, "baz_category": classify.GIZI_BURUK},
            [("severe-whz", "BB/TB: Gizi buruk"), ("severe-baz", "IMT/U: Gizi buruk")],
        ),
    ],
    ids=["normal", "2t", "bgm", "kurang", "flag", "sangat-pendek", "pendek", "gizi-buruk"],
)
def test_the_alerts_of_a_result(values: dict[str, int], alerts: list[tuple[str, str]]) -> None:
    with translation.override("id"):
        found = [(alert.code, alert.text) for alert in measurement_alerts(stored(**values))]
    assert [(code, text.split(" (")[0]) for code, text in found] == alerts


def test_the_most_severe_band_gets_its_own_tone() -> None:
    status = measurement_status(
        stored(haz_category=classify.TBU_SANGAT_PENDEK, waz_category=classify.BBU_KURANG)
    )
    tones = {index.index: index.tone for index in status.indices}
    assert tones == {"waz": "problem", "haz": "problem severe", "whz": "", "baz": ""}


def kader(district: DistrictFixture) -> Client:
    client = Client()
    client.force_login(district.users["kader"])
    return client


def test_the_posyandu_day_shows_the_alerts_of_a_severe_result_in_words(district: DistrictFixture) -> None:
    child = ChildFactory(name="Kecil", sex="L", birth_date=BORN, posyandu=district.posyandu_a1)
    # 15 months, 66 cm lying: TB/U far below -3 SD (sangat pendek).
    measurement_record(
        user=None,
        child=child,
        measured_on=datetime.date(2025, 6, 14),
        weight_kg=Decimal("7.9"),
        height_cm=Decimal("66.0"),
        position="L",
        remeasure_confirmed=True,
    )
    row = Measurement.objects.get()
    assert row.haz_category == classify.TBU_SANGAT_PENDEK

    html = (
        kader(district)
        .get(reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2025, 6]))
        .content.decode()
    )

    assert (
        '<li class="alert" data-alert="severe-haz"><strong>Perhatian:</strong> TB/U: Sangat pendek</li>'
        in html
    )
    assert '<div class="status-item problem severe"><dt>TB/U</dt>' in html


# Belum ditimbang


def not_weighed_url(posyandu_pk: int) -> str:
    return reverse("children:posyandu-not-weighed", args=[posyandu_pk, 2025, 6])


def test_the_not_weighed_list_holds_the_children_without_a_weight_this_month(
    district: DistrictFixture,
) -> None:
    weighed = ChildFactory(name="Sudah", birth_date=BORN, posyandu=district.posyandu_a1)
    length_only = ChildFactory(name="Panjang Saja", birth_date=BORN, posyandu=district.posyandu_a1)
    waiting = ChildFactory(name="Menunggu", birth_date=BORN, posyandu=district.posyandu_a1)
    for child, weight in ((weighed, Decimal("9.6")), (length_only, None)):
        measurement_record(
            user=None,
            child=child,
            measured_on=datetime.date(2025, 6, 14),
            weight_kg=weight,
            height_cm=Decimal("76.0"),
            position="L",
        )
    measurement_record(
        user=None,
        child=waiting,
        measured_on=datetime.date(2025, 5, 10),
        weight_kg=Decimal("9.1"),
        height_cm=Decimal("74.5"),
        position="L",
    )

    response = kader(district).get(not_weighed_url(district.posyandu_a1.pk))

    assert response.status_code == 200
    assert {row.child.pk for row in response.context["rows"]} == {length_only.pk, waiting.pk}
    html = response.content.decode()
    assert "2 dari 3 anak belum ditimbang." in html
    assert "10-05-2025: 9,10 kg" in html
    day = reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2025, 6])
    assert f'href="{day}#anak-{waiting.pk}">Timbang Menunggu</a>' in html
    assert f'data-child="{weighed.pk}"' not in html
    assert f'data-child="{length_only.pk}"' in html


def test_the_not_weighed_list_of_another_posyandu_is_not_found(district: DistrictFixture) -> None:
    ChildFactory(name="Sari", birth_date=BORN, posyandu=district.posyandu_a1_second)
    client = kader(district)

    assert client.get(not_weighed_url(district.posyandu_a1_second.pk)).status_code == 404
    assert client.get(not_weighed_url(district.posyandu_b1.pk)).status_code == 404


def test_the_posyandu_day_links_its_not_weighed_list(district: DistrictFixture) -> None:
    html = (
        kader(district)
        .get(reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2025, 6]))
        .content.decode()
    )
    assert f'href="{not_weighed_url(district.posyandu_a1.pk)}">Belum ditimbang</a>' in html
