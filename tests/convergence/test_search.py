"""The searchable selects' answers: only what the user may see, labelled with where it is, 20 at a time."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DistrictFixture, PosyanduFactory

pytestmark = pytest.mark.django_db

POSYANDU = reverse("convergence:search-posyandu")
DESA = reverse("convergence:search-desa")


def _get(district: DistrictFixture, role: str, url: str, **params: str) -> dict:  # type: ignore[type-arg]
    client = Client()
    client.force_login(district.users[role])
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return response.json()


def _labels(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["label"] for row in answer["results"]]


def test_it_labels_a_posyandu_with_its_desa_and_kecamatan(district: DistrictFixture) -> None:
    answer = _get(district, "bappeda_admin", POSYANDU, q="kenang")
    assert answer == {
        "results": [
            {"value": district.posyandu_b1.pk, "label": "Posyandu Kenanga — Desa SAMBIMULYO, Kec. BANGOREJO"}
        ],
        "more": False,
    }


def test_it_finds_a_posyandu_by_the_name_of_its_desa(district: DistrictFixture) -> None:
    assert _labels(_get(district, "bappeda_admin", POSYANDU, q="sumber")) == [
        "Posyandu Mawar — Desa SUMBERAGUNG, Kec. PESANGGARAN",
        "Posyandu Melati — Desa SUMBERAGUNG, Kec. PESANGGARAN",
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bappeda_admin", ["Mawar", "Melati", "Anggrek", "Kenanga"]),
        ("pimpinan", ["Mawar", "Melati", "Anggrek", "Kenanga"]),
        ("opd_officer", ["Mawar", "Melati", "Anggrek", "Kenanga"]),
        ("puskesmas_officer", ["Mawar", "Melati", "Anggrek"]),
        ("kpm", ["Anggrek"]),
        ("kader", ["Mawar"]),
        ("no_role", []),
    ],
)
def test_it_answers_only_the_posyandu_of_the_users_scope(
    district: DistrictFixture, role: str, expected: list[str]
) -> None:
    labels = _labels(_get(district, role, POSYANDU))
    assert [label.split(" — ")[0].removeprefix("Posyandu ") for label in labels] == expected
    # Beside the district: never, whatever is typed.
    assert _get(district, role, POSYANDU, q="dahlia")["results"] == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "bappeda_admin",
            [
                "Desa SUMBERAGUNG, Kec. PESANGGARAN",
                "Desa SILIRAGUNG, Kec. PESANGGARAN",
                "Desa SAMBIMULYO, Kec. BANGOREJO",
            ],
        ),
        ("puskesmas_officer", ["Desa SUMBERAGUNG, Kec. PESANGGARAN", "Desa SILIRAGUNG, Kec. PESANGGARAN"]),
        ("kpm", ["Desa SILIRAGUNG, Kec. PESANGGARAN"]),
        ("no_role", []),
    ],
)
def test_it_answers_only_the_desa_of_the_users_scope(
    district: DistrictFixture, role: str, expected: list[str]
) -> None:
    assert _labels(_get(district, role, DESA)) == expected
    assert _get(district, role, DESA, q="gambangan")["results"] == []


def test_it_answers_twenty_at_a_time_and_says_when_more_follow(district: DistrictFixture) -> None:
    for number in range(1, 46):
        PosyanduFactory(desa=district.desa_a2, code=f"T{number:02d}", name=f"Teratai {number:02d}")
    pages = [_get(district, "bappeda_admin", POSYANDU, q="teratai", halaman=str(n)) for n in (1, 2, 3)]
    assert [len(page["results"]) for page in pages] == [20, 20, 5]
    assert [page["more"] for page in pages] == [True, True, False]
    names = [label.split(" — ")[0] for page in pages for label in _labels(page)]
    assert names == [f"Posyandu Teratai {n:02d}" for n in range(1, 46)]


def test_every_word_typed_must_match(district: DistrictFixture) -> None:
    assert _labels(_get(district, "bappeda_admin", POSYANDU, q="mel sumber")) == [
        "Posyandu Melati — Desa SUMBERAGUNG, Kec. PESANGGARAN"
    ]


def test_it_sends_a_visitor_to_the_login(district: DistrictFixture) -> None:
    response = Client().get(POSYANDU, {"q": "mawar"})
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


REGION = reverse("convergence:search-region")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "bappeda_admin",
            [
                "Kabupaten BANYUWANGI",
                "Kecamatan PESANGGARAN",
                "Desa SUMBERAGUNG, Kec. PESANGGARAN",
                "Desa SILIRAGUNG, Kec. PESANGGARAN",
                "Kecamatan BANGOREJO",
                "Desa SAMBIMULYO, Kec. BANGOREJO",
            ],
        ),
        # The regions above her desa too, as the meeting form offers them (the region scope's rule).
        ("kpm", ["Kabupaten BANYUWANGI", "Kecamatan PESANGGARAN", "Desa SILIRAGUNG, Kec. PESANGGARAN"]),
        ("no_role", []),
    ],
)
def test_it_answers_the_meeting_regions_of_the_users_scope(
    district: DistrictFixture, role: str, expected: list[str]
) -> None:
    assert _labels(_get(district, role, REGION)) == expected
    assert _get(district, role, REGION, q="gambangan")["results"] == []


def test_the_meeting_form_searches_its_region(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    html = client.get(reverse("convergence:meeting-create")).content.decode()
    assert f'data-search-url="{REGION}"' in html
    assert "vendor/tom-select/tom-select.complete.min.js" in html
