"""Adolescent girls and their weekly TTD through the API: writes go through the services, scoped."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from children.models import AdolescentGirl, AdolescentTTD
from tests.factories import DistrictFixture, PersonFactory
from tests.problems import field_errors


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def _girl_born() -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - 14, day=1)


def test_a_kader_registers_a_girl_and_records_weeks(district: DistrictFixture) -> None:
    person = PersonFactory(
        desa=district.desa_a1, birth_date=_girl_born(), registered_posyandu=district.posyandu_a1
    )
    api = _api(district, "kader")
    created = api.post(
        "/api/v1/adolescent-girls/", {"person": person.pk, "school_name": "SMPN 1"}, format="json"
    )
    assert created.status_code == 201, created.content
    girl_id = created.json()["id"]
    assert created.json()["school_name"] == "SMPN 1"
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 7)
    first = api.post(
        "/api/v1/adolescent-ttd/", {"girl": girl_id, "week_start": str(monday + datetime.timedelta(days=2))}
    )
    assert first.status_code == 201, first.content
    assert first.json()["week_start"] == str(monday)
    again = api.post("/api/v1/adolescent-ttd/", {"girl": girl_id, "week_start": str(monday), "tablets": 2})
    assert again.status_code == 201
    assert list(AdolescentTTD.objects.values_list("week_start", "tablets")) == [(monday, 2)]
    patched = api.patch(f"/api/v1/adolescent-girls/{girl_id}/", {"school_class": "8B"}, format="json")
    assert patched.status_code == 200
    assert AdolescentGirl.objects.get().school_class == "8B"


def test_a_boy_or_a_second_registration_is_refused_by_field(district: DistrictFixture) -> None:
    api = _api(district, "kader")
    boy = PersonFactory(
        desa=district.desa_a1, sex="L", birth_date=_girl_born(), registered_posyandu=district.posyandu_a1
    )
    refused = api.post("/api/v1/adolescent-girls/", {"person": boy.pk}, format="json")
    assert (refused.status_code, field_errors(refused)) == (
        400,
        {"person": ["Remaja putri harus perempuan."]},
    )
    girl = PersonFactory(
        desa=district.desa_a1, birth_date=_girl_born(), registered_posyandu=district.posyandu_a1
    )
    assert api.post("/api/v1/adolescent-girls/", {"person": girl.pk}, format="json").status_code == 201
    twice = api.post("/api/v1/adolescent-girls/", {"person": girl.pk}, format="json")
    assert twice.status_code == 400
    assert AdolescentGirl.objects.count() == 1


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer"])
def test_read_only_roles_cannot_register(district: DistrictFixture, role: str) -> None:
    person = PersonFactory(desa=district.desa_a1, birth_date=_girl_born())
    response = _api(district, role).post("/api/v1/adolescent-girls/", {"person": person.pk}, format="json")
    assert response.status_code == 403
    assert AdolescentGirl.objects.count() == 0


def test_a_person_outside_the_scope_cannot_be_registered(district: DistrictFixture) -> None:
    person = PersonFactory(desa=district.desa_b1, birth_date=_girl_born())
    response = _api(district, "kpm").post("/api/v1/adolescent-girls/", {"person": person.pk}, format="json")
    assert response.status_code == 400
    assert AdolescentGirl.objects.count() == 0
