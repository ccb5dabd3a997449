"""NIK/KK look-ups: one limit per user for the search page and the API, and a read-log row for each
look-up, hit or miss, that never holds the number sought."""

from __future__ import annotations

import datetime

from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from children import services
from children.models import RecordAccess
from config.env import Rate
from tests.factories import DistrictFixture, KeluargaFactory

NIK_BOY = "3510011003240001"
UNKNOWN_NIK = "3510011003240002"
KK = "3510010101200001"


def _boy(district: DistrictFixture) -> int:
    return services.child_save(
        user=None,
        name="Budi",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_a1,
        nik=NIK_BOY,
    ).obj.pk


def _page(district: DistrictFixture, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users[role])
    return client


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    api.force_authenticate(district.users[role])
    return api


def _lookups() -> list[tuple[str, int | None, int, str, str]]:
    return list(
        RecordAccess.objects.filter(kind=RecordAccess.Kind.LOOKUP)
        .order_by("pk")
        .values_list("user__username", "object_id", "record_count", "channel", "path")
    )


@override_settings(NIK_LOOKUP_RATE=Rate(3, 3600))
def test_it_limits_look_ups_per_user_across_the_page_and_the_api(district: DistrictFixture) -> None:
    _boy(district)
    api, page = _api(district, "puskesmas_officer"), _page(district, "puskesmas_officer")
    assert api.post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json").status_code == 200
    assert api.post("/api/v1/persons/lookup/", {"nik": UNKNOWN_NIK}, format="json").status_code == 200
    assert page.post(reverse("children:nik-search"), {"nik": UNKNOWN_NIK}).status_code == 200
    refused = api.post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json")
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert (refused.json()["code"], refused.json()["detail"]) == (
        "throttled",
        "Terlalu banyak pencarian NIK/KK. Coba lagi dalam 60 menit.",
    )
    on_page = page.post(reverse("children:nik-search"), {"nik": NIK_BOY})
    assert on_page.status_code == 429
    assert "Terlalu banyak pencarian NIK/KK. Coba lagi dalam 60 menit." in on_page.content.decode()
    # Refused look-ups look nothing up: three logged, no more.
    assert len(_lookups()) == 3
    # The limit is the user's own: a colleague still searches.
    other = _api(district, "bappeda_admin").post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json")
    assert other.status_code == 200


def test_it_logs_every_api_look_up_hit_or_miss_without_the_nik(district: DistrictFixture) -> None:
    boy = _boy(district)
    api = _api(district, "kader")
    api.post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json")
    api.post("/api/v1/children/lookup/", {"nik": UNKNOWN_NIK}, format="json")
    api.post("/api/v1/persons/lookup/", {"nik": NIK_BOY}, format="json")
    assert _lookups() == [
        ("kader_mawar", None, 1, "api", "/api/v1/children/lookup/"),
        ("kader_mawar", None, 0, "api", "/api/v1/children/lookup/"),
        ("kader_mawar", None, 0, "api", "/api/v1/persons/lookup/"),
    ]
    # The record found is also logged as read, as before.
    assert RecordAccess.objects.filter(kind=RecordAccess.Kind.CHILD, object_id=boy).count() == 1


def test_it_logs_every_page_look_up_hit_or_miss_without_the_nik(district: DistrictFixture) -> None:
    _boy(district)
    page = _page(district, "kader")
    assert page.post(reverse("children:nik-search"), {"nik": NIK_BOY}).status_code == 302
    missed = page.post(reverse("children:nik-search"), {"nik": UNKNOWN_NIK})
    assert missed.context["not_found"] is True
    assert _lookups() == [
        ("kader_mawar", None, 1, "halaman", "/cari-nik/"),
        ("kader_mawar", None, 0, "halaman", "/cari-nik/"),
    ]
    assert not RecordAccess.objects.filter(path__contains="3510").exists()


def test_it_finds_a_family_by_kk_number_on_the_search_page(district: DistrictFixture) -> None:
    keluarga = KeluargaFactory(head_name="Slamet", kk_number=KK, desa=district.desa_a1)
    response = _page(district, "puskesmas_officer").post(reverse("children:nik-search"), {"nik": KK})
    assert (response.status_code, response["Location"]) == (302, f"/keluarga/{keluarga.pk}/")
    assert _lookups() == [("pkm_pesanggaran", None, 1, "halaman", "/cari-nik/")]
