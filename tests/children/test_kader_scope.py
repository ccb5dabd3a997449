"""A kader sees the families and persons of her posyandu's children and the pregnant women of her desa,
not the rest of her desa (docs/privacy.md, "Siapa melihat apa")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from children.models import AdolescentGirl, Keluarga, Person, Pregnancy
from convergence.scoping import restrict
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, PersonFactory


@dataclass
class Desa:
    mawar_family: Keluarga
    mawar_mother: Person
    mawar_father: Person
    melati_family: Keluarga
    melati_mother: Person
    pregnant: Person
    girl: Person
    lone: Person


def _desa_a1(d: DistrictFixture) -> Desa:
    """Desa A1: a family at the kader's posyandu Mawar, one at Melati beside it, and women without one."""
    mawar_family = KeluargaFactory(head_name="Keluarga Mawar", desa=d.desa_a1)
    mawar_mother = PersonFactory(name="Ibu Mawar", desa=d.desa_a1)
    mawar_father = PersonFactory(name="Ayah Mawar", sex="L", desa=d.desa_a1, keluarga=mawar_family)
    ChildFactory(name="Anak Mawar", posyandu=d.posyandu_a1, keluarga=mawar_family, mother=mawar_mother)
    melati_family = KeluargaFactory(head_name="Keluarga Melati", desa=d.desa_a1)
    melati_mother = PersonFactory(name="Ibu Melati", desa=d.desa_a1, keluarga=melati_family)
    ChildFactory(
        name="Anak Melati", posyandu=d.posyandu_a1_second, keluarga=melati_family, mother=melati_mother
    )
    pregnant = PersonFactory(name="Ibu Hamil", desa=d.desa_a1)
    Pregnancy.objects.create(mother=pregnant, desa=d.desa_a1, lmp_date=datetime.date(2025, 1, 1))
    girl = PersonFactory(name="Remaja Putri", desa=d.desa_a1, birth_date=datetime.date(2011, 1, 1))
    AdolescentGirl.objects.create(person=girl)
    lone = PersonFactory(name="Penduduk Lain", desa=d.desa_a1)
    return Desa(mawar_family, mawar_mother, mawar_father, melati_family, melati_mother, pregnant, girl, lone)


def test_it_shows_a_kader_the_people_of_her_posyandu_and_the_women_her_desa_follows(
    district: DistrictFixture,
) -> None:
    desa = _desa_a1(district)
    kader = district.users["kader"]
    families = restrict(Keluarga.objects.order_by("head_name"), kader).values_list("head_name", flat=True)
    persons = restrict(Person.objects.order_by("name"), kader).values_list("name", flat=True)
    assert list(families) == ["Keluarga Mawar"]
    assert list(persons) == ["Ayah Mawar", "Ibu Hamil", "Ibu Mawar", "Remaja Putri"]
    assert desa.lone.desa_id == district.desa_a1.pk


def test_it_keeps_the_whole_desa_for_the_kpm_and_the_puskesmas(district: DistrictFixture) -> None:
    _desa_a1(district)
    officer = district.users["puskesmas_officer"]
    assert restrict(Keluarga.objects.all(), officer).count() == 2
    assert restrict(Person.objects.all(), officer).count() == 6


@pytest.mark.parametrize("name", ["children:keluarga-detail", "children:keluarga-update"])
def test_it_answers_404_for_a_family_linked_to_another_posyandu_of_her_desa(
    district: DistrictFixture, name: str
) -> None:
    desa = _desa_a1(district)
    client = Client()
    client.force_login(district.users["kader"])
    assert client.get(reverse(name, kwargs={"pk": desa.mawar_family.pk})).status_code == 200
    assert client.get(reverse(name, kwargs={"pk": desa.melati_family.pk})).status_code == 404


def test_it_answers_404_in_the_api_and_lists_only_her_families(district: DistrictFixture) -> None:
    desa = _desa_a1(district)
    api = APIClient()
    api.force_authenticate(district.users["kader"])
    assert api.get(f"/api/v1/keluarga/{desa.mawar_family.pk}/").status_code == 200
    assert api.get(f"/api/v1/keluarga/{desa.melati_family.pk}/").status_code == 404
    assert api.get(f"/api/v1/persons/{desa.melati_mother.pk}/").status_code == 404
    assert api.get(f"/api/v1/persons/{desa.lone.pk}/").status_code == 404
    listed = [row["head_name"] for row in api.get("/api/v1/keluarga/").json()["results"]]
    assert listed == ["Keluarga Mawar"]


def test_it_keeps_in_sight_a_family_and_a_mother_the_kader_just_registered(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["kader"])
    response = client.post(
        reverse("children:keluarga-create"), {"head_name": "Keluarga Baru", "desa": district.desa_a1.pk}
    )
    family = Keluarga.objects.get(head_name="Keluarga Baru")
    assert response.status_code == 302
    assert family.registered_posyandu_id == district.posyandu_a1.pk
    assert client.get(response["Location"]).status_code == 200
    response = client.post(
        reverse("children:person-create"),
        {"name": "Ibu Baru", "sex": "P", "desa": district.desa_a1.pk, "keluarga": family.pk},
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_it_registers_families_of_other_roles_without_a_posyandu(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["kpm"])
    client.post(
        reverse("children:keluarga-create"), {"head_name": "Keluarga KPM", "desa": district.desa_a2.pk}
    )
    assert Keluarga.objects.get(head_name="Keluarga KPM").registered_posyandu_id is None


def test_it_reads_the_kader_families_in_a_constant_number_of_queries(district: DistrictFixture) -> None:
    _desa_a1(district)
    kader = district.users["kader"]
    restrict(Person.objects.all(), kader).count()  # the scope is cached on the user
    with CaptureQueriesContext(connection) as one:
        list(restrict(Person.objects.all(), kader))
    for _ in range(3):
        family = KeluargaFactory(desa=district.desa_a1)
        ChildFactory(
            posyandu=district.posyandu_a1, keluarga=family, mother=PersonFactory(desa=district.desa_a1)
        )
    with CaptureQueriesContext(connection) as many:
        list(restrict(Person.objects.all(), kader))
    assert len(many) == len(one) == 1
