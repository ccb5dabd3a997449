"""The "Rujuk" button of a result with alerts: a referral to the puskesmas, prefilled with the reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from children.models import Child, Measurement
from children.services import measurement_record
from convergence.models import Role
from interventions.access import can_refer_measurement
from interventions.catalogue import catalogue_load
from interventions.models import Intervention, Referral
from interventions.services_referral import (
    GROWTH_REFERRAL_CODE,
    GROWTH_REFERRAL_DAYS,
    referral_reason_for_measurement,
)
from tests.factories import ChildFactory, DistrictFixture, UserFactory

MEASURED = datetime.date(2025, 11, 5)


@pytest.fixture
def intervention(district: DistrictFixture) -> Intervention:
    catalogue_load(kabupaten=district.kabupaten)
    return Intervention.objects.get(kabupaten=district.kabupaten, code=GROWTH_REFERRAL_CODE)


def _stunted(district: DistrictFixture, posyandu: object = None) -> Measurement:
    """A 13-month-old boy 65 cm long: TB/U far below -3 SD (sangat pendek)."""
    child = ChildFactory(
        name="Raka", birth_date=datetime.date(2024, 10, 1), posyandu=posyandu or district.posyandu_a1
    )
    return measurement_record(
        user=None,
        child=child,
        measured_on=MEASURED,
        weight_kg=Decimal("8.5"),
        height_cm=Decimal("65.0"),
        position="L",
    ).measurement


def _normal(district: DistrictFixture) -> Measurement:
    child = ChildFactory(name="Sehat", birth_date=datetime.date(2024, 10, 1), posyandu=district.posyandu_a1)
    return measurement_record(
        user=None,
        child=child,
        measured_on=MEASURED,
        weight_kg=Decimal("9.8"),
        height_cm=Decimal("76.0"),
        position="L",
    ).measurement


def client_for(district: DistrictFixture, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users[role])
    return client


def refer(client: Client, measurement: Measurement) -> object:
    return client.post(reverse("interventions:referral-from-measurement", kwargs={"pk": measurement.pk}))


def test_it_writes_the_reason_from_the_result_the_indonesian_way(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    assert measurement.haz is not None
    assert measurement.haz < -3
    z = f"{measurement.haz:.2f}".replace(".", ",")
    puskesmas = district.desa_a1.puskesmas
    place = "Posyandu Mawar" + (f", Puskesmas {puskesmas.name}" if puskesmas else "")
    assert referral_reason_for_measurement(measurement=measurement) == (
        f"Sangat pendek (TB/U {z} SD), diukur 5 November 2025. {place}."
    )


def test_a_kader_refers_a_child_of_her_posyandu_once(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    client = client_for(district, "kader")
    first = refer(client, measurement)
    referral = Referral.objects.get()
    assert first.status_code == 302
    assert first["Location"] == reverse("interventions:referral-detail", kwargs={"pk": referral.pk})
    assert (referral.intervention, referral.opd, referral.child, referral.desa, referral.status) == (
        intervention,
        district.dinkes,
        measurement.child,
        district.desa_a1,
        Referral.Status.OPEN,
    )
    assert referral.reason == referral_reason_for_measurement(measurement=measurement)
    assert referral.created_by == district.users["kader"]
    assert referral.due_date == timezone.localdate() + datetime.timedelta(days=GROWTH_REFERRAL_DAYS)
    # A second press opens the same referral.
    second = refer(client, measurement)
    assert second["Location"] == first["Location"]
    assert Referral.objects.count() == 1
    assert client.get(first["Location"]).status_code == 200


def test_the_button_shows_on_the_child_page_then_the_existing_referral(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    client = client_for(district, "kader")
    page_url = reverse("children:child-detail", kwargs={"pk": measurement.child_id})
    action = reverse("interventions:referral-from-measurement", kwargs={"pk": measurement.pk})
    before = client.get(page_url).content.decode()
    assert f'action="{action}"' in before
    assert "Rujuk ke puskesmas" in before
    refer(client, measurement)
    after = client.get(page_url).content.decode()
    referral = Referral.objects.get()
    assert f'action="{action}"' not in after
    assert reverse("interventions:referral-detail", kwargs={"pk": referral.pk}) in after
    assert "Sudah dirujuk ke puskesmas (Terbuka): lihat rujukan" in after


def test_the_button_shows_on_the_posyandu_day_result(
    district: DistrictFixture, intervention: Intervention
) -> None:
    today = timezone.localdate()
    child = ChildFactory(
        name="Raka", birth_date=today - datetime.timedelta(days=400), posyandu=district.posyandu_a1
    )
    measurement = measurement_record(
        user=None,
        child=child,
        measured_on=today,
        weight_kg=Decimal("8.5"),
        height_cm=Decimal("65.0"),
        position="L",
    ).measurement
    page = client_for(district, "kader").get(
        reverse("children:posyandu-day-current", kwargs={"pk": district.posyandu_a1.pk}), follow=True
    )
    html = page.content.decode()
    action = reverse("interventions:referral-from-measurement", kwargs={"pk": measurement.pk})
    assert f'action="{action}"' in html


def test_no_button_and_no_referral_for_a_result_without_alerts(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _normal(district)
    client = client_for(district, "kader")
    page = client.get(reverse("children:child-detail", kwargs={"pk": measurement.child_id})).content.decode()
    assert "Rujuk ke puskesmas" not in page
    response = refer(client, measurement)
    assert response.status_code == 302
    assert response["Location"] == reverse("children:child-detail", kwargs={"pk": measurement.child_id})
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 302),
        ("opd_officer", 302),  # Dinas Kesehatan, the intervention's OPD
        ("puskesmas_officer", 302),
        ("kader", 302),
        ("pimpinan", 403),
        ("kpm", 404),  # another desa: the result is not hers to read
        ("no_role", 404),
    ],
)
def test_who_may_refer_a_result(
    district: DistrictFixture, intervention: Intervention, role: str, status: int
) -> None:
    measurement = _stunted(district)
    response = refer(client_for(district, role), measurement)
    assert response.status_code == status
    assert Referral.objects.count() == (1 if status == 302 else 0)


def test_an_officer_of_another_agency_may_not_refer(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    pupr = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    client = Client()
    client.force_login(pupr)
    assert refer(client, measurement).status_code == 403
    assert Referral.objects.count() == 0
    page = client.get(reverse("children:child-detail", kwargs={"pk": measurement.child_id})).content.decode()
    assert "Rujuk ke puskesmas" not in page


def test_a_kader_of_another_posyandu_may_not_refer(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    other = UserFactory(username="kader_melati", role=Role.KADER, posyandu=district.posyandu_a1_second)
    client = Client()
    client.force_login(other)
    assert refer(client, measurement).status_code == 404
    assert Referral.objects.count() == 0
    assert can_refer_measurement(other, measurement, intervention) is False
    assert can_refer_measurement(district.users["kader"], measurement, intervention) is True


def test_a_kader_may_not_refer_a_child_of_another_posyandu_weighed_at_hers(
    district: DistrictFixture, intervention: Intervention
) -> None:
    # The result is read at her posyandu (weighed there), but the child belongs to another posyandu.
    measurement = _stunted(district, posyandu=district.posyandu_a1_second)
    Measurement.objects.filter(pk=measurement.pk).update(posyandu=district.posyandu_a1)
    measurement.refresh_from_db()
    response = refer(client_for(district, "kader"), measurement)
    assert response.status_code == 403
    assert Referral.objects.count() == 0


def test_the_kader_home_lists_her_open_referral(
    district: DistrictFixture, intervention: Intervention
) -> None:
    measurement = _stunted(district)
    client = client_for(district, "kader")
    refer(client, measurement)
    referral = Referral.objects.get()
    home = client.get(reverse("children:kader-home")).content.decode()
    assert "1 rujukan anak posyandu ini belum selesai." in home
    assert reverse("interventions:referral-detail", kwargs={"pk": referral.pk}) in home
    assert Child.objects.get(pk=measurement.child_id).name in home


def test_without_the_catalogue_entry_the_kader_is_told(district: DistrictFixture) -> None:
    measurement = _stunted(district)
    client = client_for(district, "kader")
    response = refer(client, measurement)
    assert response.status_code == 302
    assert Referral.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "Katalog intervensi kabupaten belum memuat tata laksana balita gizi buruk (TL-GIZI-BURUK)." in page


def test_the_posyandu_day_reads_the_buttons_in_the_same_queries_for_one_and_three_alerts(
    district: DistrictFixture, intervention: Intervention, django_assert_num_queries: object
) -> None:
    today = timezone.localdate()
    client = client_for(district, "kader")
    url = reverse(
        "children:posyandu-day",
        kwargs={"pk": district.posyandu_a1.pk, "year": today.year, "month": today.month},
    )

    def add_stunted(n: int) -> Measurement:
        child = ChildFactory(
            name=f"Anak {n}", birth_date=today - datetime.timedelta(days=400), posyandu=district.posyandu_a1
        )
        return measurement_record(
            user=None,
            child=child,
            measured_on=today,
            weight_kg=Decimal("8.5"),
            height_cm=Decimal("65.0"),
            position="L",
        ).measurement

    first = add_stunted(1)
    refer(client, first)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_stunted(2)
    add_stunted(3)
    with django_assert_num_queries(len(one)):  # type: ignore[operator]
        html = client.get(url).content.decode()
    assert html.count("Rujuk ke puskesmas") == 2
    assert html.count("Sudah dirujuk ke puskesmas (Terbuka): lihat rujukan") == 1
