"""The searchable person and family selects: two letters at least, only the user's scope, labelled with the
desa and the birth year, every answer logged as a read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from children.models import Child, Keluarga, Person, RecordAccess
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


def _get(people: People | DistrictFixture, role: str, url: str, q: str) -> dict:  # type: ignore[type-arg]
    district = people.district if isinstance(people, People) else people
    client = Client()
    client.force_login(district.users[role])
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


# Children ------------------------------------------------------------------------------------------------

CHILD = reverse("children:search-child")


@dataclass
class Children:
    district: DistrictFixture
    mawar: Child  # posyandu Mawar, Sumberagung (kecamatan A)
    anggrek: Child  # posyandu Anggrek, Siliragung (kecamatan A)
    kenanga: Child  # posyandu Kenanga, Sambimulyo (kecamatan B)
    dahlia: Child  # the kabupaten beside: nobody of this district sees her


@pytest.fixture
def children(district: DistrictFixture) -> Children:
    d = district
    return Children(
        d,
        ChildFactory(posyandu=d.posyandu_a1, name="Putri Ayu Lestari", birth_date=datetime.date(2023, 5, 2)),
        ChildFactory(posyandu=d.posyandu_a2, name="Putri Ayu Wulan", birth_date=datetime.date(2024, 1, 20)),
        ChildFactory(posyandu=d.posyandu_b1, name="Putri Ayuning", birth_date=datetime.date(2022, 8, 30)),
        ChildFactory(
            posyandu=d.other_posyandu, name="Putri Ayu Dahlia", birth_date=datetime.date(2024, 6, 1)
        ),
    )


def test_it_labels_a_child_with_her_desa_and_birth_year(children: Children) -> None:
    c = children
    assert _get(c.district, "bappeda_admin", CHILD, "putri ayu") == {
        "results": [
            {"value": c.mawar.pk, "label": "Putri Ayu Lestari — Desa SUMBERAGUNG, lahir 2023"},
            {"value": c.anggrek.pk, "label": "Putri Ayu Wulan — Desa SILIRAGUNG, lahir 2024"},
            {"value": c.kenanga.pk, "label": "Putri Ayuning — Desa SAMBIMULYO, lahir 2022"},
        ],
        "more": False,
    }


def test_every_word_of_a_child_search_must_match(children: Children) -> None:
    assert _labels(_get(children.district, "bappeda_admin", CHILD, "wulan putri")) == [
        "Putri Ayu Wulan — Desa SILIRAGUNG, lahir 2024"
    ]
    assert _get(children.district, "bappeda_admin", CHILD, "putri sari") == {"results": [], "more": False}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bappeda_admin", ["Putri Ayu Lestari", "Putri Ayu Wulan", "Putri Ayuning"]),
        ("pimpinan", ["Putri Ayu Lestari", "Putri Ayu Wulan", "Putri Ayuning"]),
        ("opd_officer", ["Putri Ayu Lestari", "Putri Ayu Wulan", "Putri Ayuning"]),
        ("puskesmas_officer", ["Putri Ayu Lestari", "Putri Ayu Wulan"]),
        ("kpm", ["Putri Ayu Wulan"]),
        ("kader", ["Putri Ayu Lestari"]),
        ("no_role", []),
    ],
)
def test_it_answers_only_the_children_of_the_users_scope(
    children: Children, role: str, expected: list[str]
) -> None:
    labels = _labels(_get(children.district, role, CHILD, "putri"))
    assert [label.split(" — ")[0] for label in labels] == expected
    assert "Putri Ayu Dahlia" not in " ".join(labels)


def test_a_child_search_needs_a_login(children: Children) -> None:
    response = Client().get(CHILD, {"q": "putri"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert RecordAccess.objects.count() == 0


def test_a_child_search_waits_for_two_letters_and_never_searches_a_number(children: Children) -> None:
    assert _get(children.district, "bappeda_admin", CHILD, "p") == {"results": [], "more": False}
    assert _get(children.district, "bappeda_admin", CHILD, " p ") == {"results": [], "more": False}
    assert _get(children.district, "bappeda_admin", CHILD, "3510") == {"results": [], "more": False}
    assert _get(children.district, "bappeda_admin", CHILD, "putri 2") == {"results": [], "more": False}
    assert RecordAccess.objects.count() == 0


def test_a_child_search_answers_twenty_at_a_time(children: Children) -> None:
    d = children.district
    Child.objects.bulk_create(
        Child(
            name=f"Rina {n:02d}",
            sex="P",
            birth_date=datetime.date(2024, 1, 1),
            posyandu=d.posyandu_a1,
            desa=d.desa_a1,
        )
        for n in range(25)
    )
    client = Client()
    client.force_login(d.users["bappeda_admin"])
    first = client.get(CHILD, {"q": "rina"}).json()
    second = client.get(CHILD, {"q": "rina", "halaman": "2"}).json()
    assert [row["label"].split(" — ")[0] for row in first["results"]] == [f"Rina {n:02d}" for n in range(20)]
    assert first["more"] is True
    assert [row["label"].split(" — ")[0] for row in second["results"]] == [
        f"Rina {n:02d}" for n in range(20, 25)
    ]
    assert second["more"] is False


def test_every_child_answer_is_logged_as_a_read_of_the_children_it_names(children: Children) -> None:
    c = children
    _get(c.district, "puskesmas_officer", CHILD, "putri")
    logged = RecordAccess.objects.filter(kind=RecordAccess.Kind.CHILD).values_list("object_id", "path")
    assert sorted(logged) == sorted([(c.mawar.pk, CHILD), (c.anggrek.pk, CHILD)])
    assert RecordAccess.objects.exclude(kind=RecordAccess.Kind.CHILD).count() == 0
    _get(c.district, "puskesmas_officer", CHILD, "nobody")
    assert RecordAccess.objects.filter(kind=RecordAccess.Kind.CHILD).count() == 2


def test_the_pregnancy_form_offers_its_newborn_through_the_child_search(children: Children) -> None:
    client = Client()
    client.force_login(children.district.users["bappeda_admin"])
    html = client.get(reverse("children:pregnancy-create")).content.decode()
    assert f'<select name="newborn" data-search-url="{CHILD}" data-search-min="2" id="id_newborn">' in html


# Desa options ----------------------------------------------------------------------------------------------


def test_a_desa_option_says_its_kecamatan_without_javascript(district: DistrictFixture) -> None:
    d = district
    client = Client()
    client.force_login(d.users["puskesmas_officer"])
    form = client.get(reverse("children:keluarga-create")).content.decode()
    listing = client.get(reverse("children:child-list")).content.decode()
    for html in (form, listing):
        assert f'<option value="{d.desa_a1.pk}">Desa SUMBERAGUNG, Kec. PESANGGARAN</option>' in html
        assert f'<option value="{d.desa_a2.pk}">Desa SILIRAGUNG, Kec. PESANGGARAN</option>' in html
        assert "SAMBIMULYO" not in html


def test_the_export_form_searches_its_posyandu_and_names_where_each_place_is(
    district: DistrictFixture,
) -> None:
    d = district
    client = Client()
    client.force_login(d.users["puskesmas_officer"])
    html = client.get(reverse("children:export")).content.decode()
    assert 'name="posyandu" data-search-url="/cari/posyandu/" data-search-min="0"' in html
    assert (
        f'<option value="{d.posyandu_a2.pk}">Posyandu Anggrek — Desa SILIRAGUNG, Kec. PESANGGARAN</option>'
        in html
    )
    assert f'<option value="{d.desa_a1.code}">Desa SUMBERAGUNG, Kec. PESANGGARAN</option>' in html
    assert "Kenanga" not in html
    assert "SAMBIMULYO" not in html
