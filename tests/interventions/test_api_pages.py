"""API and pages: scoping per role, OPD restriction on deliveries, query counts, ledger and gaps."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from children.models import RecordAccess
from config.env import Rate
from convergence.models import OPD, User
from interventions.models import Delivery, Referral
from tests.interventions.conftest import Village, deliver
from tests.problems import field_errors

# Deliveries of the `delivered` fixture by subject: Ema x3 (TTD x2, PMT-KEK), Fani (TTD 2024), Ayu
# (MPASI) are Dinkes's in SUMBERAGUNG; Budi (AIR) is PUPR's, Sari (TPK) DP3AP2KB's; plus Eko (MPASI,
# Dinkes) in SILIRAGUNG added here.
VISIBLE = {
    "bappeda_admin": 8,
    "pimpinan": 8,
    "opd_officer": 6,  # Dinkes only
    "puskesmas_officer": 8,
    "kader": 7,  # SUMBERAGUNG
    "kpm": 1,  # SILIRAGUNG
}


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", [*VISIBLE, "no_role"])
def test_it_scopes_the_delivery_list_per_role(delivered: Village, role: str) -> None:
    deliver(delivered, "MPASI", delivered.children["eko"], datetime.date(2025, 9, 1))
    response = _api(delivered.district.users[role]).get("/api/v1/deliveries/")
    if role == "no_role":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert response.json()["count"] == VISIBLE[role]
    if role == "opd_officer":
        dinkes = delivered.district.users["opd_officer"].opd
        assert {(row["opd"], row["opd_code"]) for row in response.json()["results"]} == {
            (dinkes.pk, "DINKES")
        }
    page = Client()
    page.force_login(User.objects.get(username=delivered.district.users[role].username))
    html = page.get(reverse("interventions:delivery-list")).content.decode()
    assert html.count("<tr>") - 1 == VISIBLE[role]


def test_an_opd_officer_cannot_record_another_opds_delivery(delivered: Village) -> None:
    before = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    response = _api(delivered.district.users["opd_officer"]).post(
        "/api/v1/deliveries/",
        {
            "intervention": delivered.interventions["AIR"].pk,
            "subject_kind": "keluarga",
            "subject_id": delivered.families["tono"].pk,
            "delivered_on": "2025-12-01",
        },
        format="json",
    )
    assert response.status_code == 403
    assert list(Delivery.objects.order_by("pk").values_list("pk", flat=True)) == before


@pytest.mark.parametrize("role", ["pimpinan", "bappeda_provinsi", "nasional"])
def test_it_refuses_writes_by_read_only_roles_before_reading_the_body(delivered: Village, role: str) -> None:
    """The bupati, the province and the nation: 403 even when the body names rows they cannot read."""
    before = [list(m.objects.order_by("pk").values_list("pk", flat=True)) for m in (Delivery, Referral)]
    body = {
        "intervention": delivered.interventions["PMT-GK"].pk,
        "subject_kind": "anak",
        "subject_id": delivered.children["ayu"].pk,
        "delivered_on": "2025-11-20",
    }
    client = _api(delivered.district.users[role])
    assert client.post("/api/v1/deliveries/", body, format="json").status_code == 403
    assert (
        client.post("/api/v1/referrals/", {**body, "due_date": "2025-12-01"}, format="json").status_code
        == 403
    )
    assert [
        list(m.objects.order_by("pk").values_list("pk", flat=True)) for m in (Delivery, Referral)
    ] == before


def test_an_opd_officer_cannot_read_another_opds_delivery(delivered: Village) -> None:
    air = Delivery.objects.get(intervention__code="AIR")
    client = _api(delivered.district.users["opd_officer"])
    assert client.get(f"/api/v1/deliveries/{air.pk}/").status_code == 404
    assert _api(delivered.pupr_officer).get(f"/api/v1/deliveries/{air.pk}/").status_code == 200


def test_it_records_through_the_api_idempotently(delivered: Village) -> None:
    client = _api(delivered.district.users["opd_officer"])
    body = {
        "intervention": delivered.interventions["PMT-GK"].pk,
        "subject_kind": "anak",
        "subject_id": delivered.children["ayu"].pk,
        "delivered_on": "2025-11-20",
        "quantity": "1.50",
        "funding_source": "dak",
    }
    first = client.post("/api/v1/deliveries/", body, format="json")
    second = client.post("/api/v1/deliveries/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert (
        first.json()["opd_code"],
        first.json()["source"],
        first.json()["unit"],
        first.json()["quantity"],
    ) == (
        "DINKES",
        "api",
        "paket",
        "1.50",
    )
    wrong = client.post("/api/v1/deliveries/", {**body, "subject_kind": "keluarga"}, format="json")
    assert (wrong.status_code, list(field_errors(wrong))) == (400, ["subject"])


@pytest.mark.parametrize("url", ["/api/v1/deliveries/", "/api/v1/referrals/"])
def test_list_queries_do_not_grow_with_rows(village: Village, url: str) -> None:
    counts = []
    for n in (1, 3):
        Delivery.objects.all().delete()
        Referral.objects.all().delete()
        for i, name in enumerate(["ayu", "bima", "dodi"][:n]):
            delivery = deliver(village, "MPASI", village.children[name], datetime.date(2025, 10, 1 + i))
            Referral.objects.create(
                intervention=delivery.intervention,
                opd=delivery.opd,
                child=delivery.child,
                desa=delivery.desa,
                reason="-",
                due_date=datetime.date(2026, 1, 1),
                created_by=village.district.users["bappeda_admin"],
            )
        # A fresh user each time: the scope cached on the user object would hide its queries.
        client = _api(User.objects.get(username="bappeda"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).json()["count"] == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_ledger_endpoint_answers_rows_and_totals(delivered: Village) -> None:
    response = _api(delivered.district.users["bappeda_admin"]).get(
        "/api/v1/ledger/", {"region": "35.10.01", "year": 2024 + 1}
    )
    assert response.status_code == 200
    data = response.json()
    assert [(row["code"], row["due"], row["received"], row["rate"]) for row in data["desa_rows"]] == [
        ("35.10.01.2001", 10, 5, 50.0),
        ("35.10.01.2002", 1, 0, 0.0),
    ]
    assert (data["total"]["due"], data["total"]["received"], data["total"]["rate"]) == (11, 5, 45.5)
    assert (
        _api(delivered.district.users["kpm"])
        .get("/api/v1/ledger/", {"region": "35.10.02", "year": 2025})
        .status_code
        == 404
    )


def test_the_gaps_endpoint_uses_the_officers_own_opd(delivered: Village) -> None:
    dinsos = OPD.objects.get(kabupaten=delivered.district.kabupaten, code="DINSOS")
    response = _api(delivered.pupr_officer).get("/api/v1/gaps/", {"year": 2025, "opd": dinsos.pk})
    assert [(row["intervention_code"], row["subject_name"]) for row in response.json()] == [
        ("AIR", "Keluarga Tono")
    ]
    bappeda = _api(delivered.district.users["bappeda_admin"]).get(
        "/api/v1/gaps/", {"year": 2025, "opd": dinsos.pk}
    )
    assert [
        (row["year"], row["opd"], row["opd_code"], row["intervention_code"], row["subject_name"], row["desa"])
        for row in bappeda.json()
    ] == [(2025, dinsos.pk, "DINSOS", "PKH", "Keluarga Budi", "35.10.01.2001")]


def test_referral_api_life_cycle(delivered: Village) -> None:
    kpm = _api(delivered.district.users["kpm"])
    created = kpm.post(
        "/api/v1/referrals/",
        {
            "intervention": delivered.interventions["MPASI"].pk,
            "subject_kind": "anak",
            "subject_id": delivered.children["eko"].pk,
            "due_date": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        kpm.post(f"/api/v1/referrals/{pk}/status/", {"status": "diproses"}, format="json").status_code == 403
    )
    dinkes = _api(delivered.district.users["opd_officer"])
    moved = dinkes.post(f"/api/v1/referrals/{pk}/status/", {"status": "diproses"}, format="json")
    assert (moved.status_code, moved.json()["status"]) == (200, "diproses")
    recorded = dinkes.post(
        "/api/v1/deliveries/",
        {
            "intervention": delivered.interventions["MPASI"].pk,
            "subject_kind": "anak",
            "subject_id": delivered.children["eko"].pk,
            "delivered_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert recorded.status_code == 201
    closed = dinkes.get(f"/api/v1/referrals/{pk}/").json()
    assert (closed["status"], closed["delivery"]) == ("selesai", recorded.json()["id"])
    # The PUPR officer does not see a Dinkes referral.
    assert _api(delivered.pupr_officer).get(f"/api/v1/referrals/{pk}/").status_code == 404


@pytest.mark.parametrize(
    "name",
    ["catalogue", "delivery-list", "ledger", "gap-list", "referral-list"],
)
def test_pages_render_for_every_role(delivered: Village, name: str) -> None:
    for role in ("bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm"):
        client = Client()
        client.force_login(User.objects.get(username=delivered.district.users[role].username))
        assert client.get(reverse(f"interventions:{name}"), {"tahun": 2025}).status_code == 200, role
    client = Client()
    client.force_login(User.objects.get(username="tanpa_peran"))
    assert client.get(reverse(f"interventions:{name}")).status_code == 403


def test_the_ledger_page_drills_down_to_a_desas_packages(delivered: Village) -> None:
    client = Client()
    client.force_login(User.objects.get(username="bappeda"))
    html = client.get(
        reverse("interventions:ledger"), {"wilayah": "35.10.01.2001", "tahun": 2025}
    ).content.decode()
    assert "5 / 10 = <strong>50,0%</strong>" in html
    assert html.count('class="service got"') == 5
    assert html.count('class="service missing"') == 5


@pytest.mark.parametrize("role", ["pimpinan", "kader", "kpm", "puskesmas_officer"])
def test_read_only_roles_cannot_open_the_delivery_form(delivered: Village, role: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username=delivered.district.users[role].username))
    before = Delivery.objects.count()
    assert client.get(reverse("interventions:delivery-create")).status_code == 403
    response = client.post(
        reverse("interventions:delivery-create"),
        {
            "intervention": delivered.interventions["MPASI"].pk,
            "subject_kind": "anak",
            "subject_id": delivered.children["bima"].pk,
            "delivered_on": "2025-12-01",
            "quantity": "1",
            "funding_source": "apbd",
        },
    )
    assert response.status_code == 403
    assert Delivery.objects.count() == before


def test_the_delivery_form_finds_the_subject_by_posted_nik(delivered: Village) -> None:
    client = Client()
    client.force_login(User.objects.get(username="dinkes"))
    response = client.post(
        reverse("interventions:delivery-create"),
        {
            "intervention": delivered.interventions["PMT-GK"].pk,
            "nik": "3510014107250001",
            "delivered_on": "2025-12-01",
            "quantity": "2",
            "funding_source": "apbd",
        },
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get(intervention__code="PMT-GK")
    assert (delivery.child_id, delivery.recorded_by.username, delivery.source) == (
        delivered.children["ayu"].pk,
        "dinkes",
        "manual",
    )
    # The PUPR intervention is not among the Dinkes officer's choices.
    refused = client.post(
        reverse("interventions:delivery-create"),
        {
            "intervention": delivered.interventions["AIR"].pk,
            "kk_number": "3510010101200001",
            "delivered_on": "2025-12-01",
            "quantity": "1",
            "funding_source": "apbd",
        },
    )
    assert refused.status_code == 400
    assert Delivery.objects.filter(intervention__code="AIR").count() == 1


@override_settings(NIK_LOOKUP_RATE=Rate(1, 3600))
def test_the_delivery_forms_nik_look_up_is_limited_and_logged_like_the_nik_search(
    delivered: Village,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(User.objects.get(username="dinkes"))
    form = {
        "intervention": delivered.interventions["PMT-GK"].pk,
        "nik": "3510014107250001",
        "delivered_on": "2025-12-01",
        "quantity": "2",
        "funding_source": "apbd",
    }
    assert client.post(reverse("interventions:delivery-create"), form).status_code == 302
    refused = client.post(reverse("interventions:delivery-create"), {**form, "delivered_on": "2025-12-02"})
    assert refused.status_code == 429
    assert refused.context["form"].errors["nik"] == [
        "Terlalu banyak pencarian NIK/KK. Coba lagi dalam 60 menit."
    ]
    assert Delivery.objects.filter(intervention__code="PMT-GK").count() == 1
    assert list(
        RecordAccess.objects.filter(kind=RecordAccess.Kind.LOOKUP).values_list(
            "user__username", "object_id", "record_count", "path"
        )
    ) == [("dinkes", None, 1, "/intervensi/penyaluran/baru/")]
