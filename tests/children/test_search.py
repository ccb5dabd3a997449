"""The searchable person and family selects: two letters at least, only the user's scope, labelled with the
desa and the birth year, every answer logged as a read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from children.models import Keluarga, Person, RecordAccess
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, PersonFactory

pytestmark = pytest.mark.django_db

PERSON = reverse("children:search-person")
KELUARGA = reverse("children:search-keluarga")


@dataclass
class People:
    district: DistrictFixture
    aminah: Person  # Sumberagung, mother of a child of Mawar
    badriyah: Person  # Sambimulyo (kecamatan B)
    chasanah: Person  # Siliragung
    keluarga_aminah: Keluarga


@pytest.fixture
def people(district: DistrictFixture) -> People:
    d = district
    keluarga = KeluargaFactory(desa=d.desa_a1, head_name="Budi Santoso")
    aminah = PersonFactory(
        name="Siti Aminah", desa=d.desa_a1, keluarga=keluarga, birth_date=datetime.date(1995, 3, 1)
    )
    ChildFactory(posyandu=d.posyandu_a1, mother=aminah, keluarga=keluarga)
    badriyah = PersonFactory(name="Siti Badriyah", desa=d.desa_b1, birth_date=datetime.date(1998, 7, 9))
    chasanah = PersonFactory(name="Siti Chasanah", desa=d.desa_a2, birth_date=None)
    KeluargaFactory(desa=d.desa_b1, head_name="Budi Waluyo")
    return People(d, aminah, badriyah, chasanah, keluarga)


def _get(people: People, role: str, url: str, q: str) -> dict:  # type: ignore[type-arg]
    client = Client()
    client.force_login(people.district.users[role])
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return response.json()


def _labels(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["label"] for row in answer["results"]]


def test_it_labels_a_mother_with_her_desa_and_birth_year(people: People) -> None:
    assert _get(people, "bappeda_admin", PERSON, "siti") == {
        "results": [
            {"value": people.aminah.pk, "label": "Siti Aminah — Desa SUMBERAGUNG, lahir 1995"},
            {"value": people.badriyah.pk, "label": "Siti Badriyah — Desa SAMBIMULYO, lahir 1998"},
            {"value": people.chasanah.pk, "label": "Siti Chasanah — Desa SILIRAGUNG"},
        ],
        "more": False,
    }


def test_it_labels_a_family_with_its_desa(people: People) -> None:
    assert _labels(_get(people, "bappeda_admin", KELUARGA, "budi")) == [
        "KK Budi Santoso — Desa SUMBERAGUNG",
        "KK Budi Waluyo — Desa SAMBIMULYO",
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bappeda_admin", ["Siti Aminah", "Siti Badriyah", "Siti Chasanah"]),
        ("puskesmas_officer", ["Siti Aminah", "Siti Chasanah"]),
        ("kpm", ["Siti Chasanah"]),
        ("kader", ["Siti Aminah"]),
        ("no_role", []),
    ],
)
def test_it_answers_only_the_persons_of_the_users_scope(
    people: People, role: str, expected: list[str]
) -> None:
    labels = _labels(_get(people, role, PERSON, "siti"))
    assert [label.split(" — ")[0] for label in labels] == expected


def test_it_waits_for_two_letters_and_never_searches_a_number(people: People) -> None:
    assert _get(people, "bappeda_admin", PERSON, "s") == {"results": [], "more": False}
    assert _get(people, "bappeda_admin", PERSON, "3510") == {"results": [], "more": False}
    assert _get(people, "bappeda_admin", KELUARGA, "b") == {"results": [], "more": False}


def test_every_answer_is_logged_as_a_read_of_the_persons_it_names(people: People) -> None:
    _get(people, "puskesmas_officer", PERSON, "siti")
    logged = RecordAccess.objects.filter(kind=RecordAccess.Kind.PERSON).values_list("object_id", "path")
    assert sorted(logged) == sorted([(people.aminah.pk, PERSON), (people.chasanah.pk, PERSON)])
    _get(people, "puskesmas_officer", PERSON, "nobody")
    assert RecordAccess.objects.filter(kind=RecordAccess.Kind.PERSON).count() == 2


def test_a_registry_form_offers_its_people_through_the_search(people: People) -> None:
    client = Client()
    client.force_login(people.district.users["bappeda_admin"])
    html = client.get(reverse("children:adolescent-create")).content.decode()
    assert f'data-search-url="{PERSON}" data-search-min="2"' in html
    assert 'data-search-url="/cari/desa/" data-search-min="0"' in html
    assert "vendor/tom-select/tom-select.complete.min.js" in html
