"""The penilaian kinerja grades: written only by the provincial Bappeda of the kabupaten's province, through
the service, the page and the API; every other role is refused and nothing changes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from convergence import province
from convergence.actions import ASSESSMENT_INDICATORS, ASSESSMENT_INDICATORS_BY_CODE
from convergence.models import AssessmentGrade
from tests.convergence.province_fixtures import YEAR, ProvinceWorld, build_province_world, client_for
from tests.factories import DistrictFixture

# Every role but the provincial Bappeda of province 35, and why it may not grade kabupaten 35.10.
REFUSED = [
    "bappeda_admin",  # the kabupaten graded does not grade itself
    "pimpinan",
    "opd_officer",
    "puskesmas_officer",
    "kader",
    "kpm",
    "nasional",  # reads every province, writes nothing
    "other_provinsi",  # Bappeda of province 36
    "no_role",
]


@pytest.fixture
def world(district: DistrictFixture) -> ProvinceWorld:
    return build_province_world(district)


def grades() -> list[tuple[str, int, str, str, str]]:
    return list(
        AssessmentGrade.objects.order_by("kabupaten__code", "indicator_code").values_list(
            "kabupaten__code", "year", "indicator_code", "grade", "notes"
        )
    )


def test_the_indicator_list_covers_the_eight_actions_once_per_code() -> None:
    assert sorted({indicator.action for indicator in ASSESSMENT_INDICATORS}) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert len(ASSESSMENT_INDICATORS_BY_CODE) == len(ASSESSMENT_INDICATORS) == 10
    assert all(indicator.code.startswith(f"{indicator.action}.") for indicator in ASSESSMENT_INDICATORS)


def test_it_records_and_replaces_a_grade_of_the_provincial_bappeda(world: ProvinceWorld) -> None:
    assessor = world.users["bappeda_provinsi"]
    kabupaten = world.district.kabupaten
    first = province.assessment_grade_save(
        user=assessor, kabupaten=kabupaten, year=YEAR, indicator_code="1.1", grade="B", notes=" Lokus tepat "
    )
    second = province.assessment_grade_save(
        user=assessor,
        kabupaten=kabupaten,
        year=YEAR,
        indicator_code="1.1",
        grade="A",
        assessed_on=datetime.date(2025, 11, 3),
    )
    assert second.pk == first.pk
    assert grades() == [("35.10", 2025, "1.1", "A", "")]
    assert second.indicator_text == ASSESSMENT_INDICATORS_BY_CODE["1.1"].text
    assert second.assessed_on == datetime.date(2025, 11, 3)


def test_it_grades_the_other_kabupaten_of_the_province_too(world: ProvinceWorld) -> None:
    province.assessment_grade_save(
        user=world.users["bappeda_provinsi"],
        kabupaten=world.district.other_kabupaten,
        year=YEAR,
        indicator_code="8.1",
        grade="C",
    )
    assert grades() == [("35.11", 2025, "8.1", "C", "")]


@pytest.mark.parametrize("role", REFUSED)
def test_the_service_refuses_every_other_role(world: ProvinceWorld, role: str) -> None:
    with pytest.raises(PermissionDenied):
        province.assessment_grade_save(
            user=world.users[role],
            kabupaten=world.district.kabupaten,
            year=YEAR,
            indicator_code="1.1",
            grade="A",
        )
    assert grades() == []


def test_the_provincial_bappeda_does_not_grade_another_province(world: ProvinceWorld) -> None:
    with pytest.raises(PermissionDenied):
        province.assessment_grade_save(
            user=world.users["bappeda_provinsi"],
            kabupaten=world.other_kabupaten,
            year=YEAR,
            indicator_code="1.1",
            grade="A",
        )
    assert grades() == []


def test_it_refuses_an_unknown_indicator_and_grade_by_field(world: ProvinceWorld) -> None:
    with pytest.raises(ValidationError) as error:
        province.assessment_grade_save(
            user=world.users["bappeda_provinsi"],
            kabupaten=world.district.kabupaten,
            year=YEAR,
            indicator_code="9.9",
            grade="E",
        )
    assert error.value.message_dict == {
        "indicator_code": ["Indikator penilaian tidak dikenal."],
        "grade": ["Nilai harus A, B, C atau D."],
    }
    assert grades() == []


# The page ----------------------------------------------------------------------------------------------


def grade_url(provinsi: str = "35", kabupaten: str = "35.10") -> str:
    return reverse(
        "convergence:province-assessment-kabupaten",
        kwargs={"code": provinsi, "year": YEAR, "kab_code": kabupaten},
    )


POST = {
    "indicator_code": "2.1",
    "grade": "B",
    "notes": "Matriks kendali lengkap",
    "assessed_on": "2025-11-20",
}


def test_the_provincial_bappeda_grades_on_the_page_and_is_sent_back_to_it(world: ProvinceWorld) -> None:
    client = client_for(world.users["bappeda_provinsi"])
    response = client.post(grade_url(), POST)
    assert (response.status_code, response["Location"]) == (302, grade_url())
    assert grades() == [("35.10", 2025, "2.1", "B", "Matriks kendali lengkap")]
    page = client.get(grade_url())
    assert "Nilai indikator 2.1 untuk Kabupaten BANYUWANGI tersimpan." in page.content.decode()
    section = page.content.decode().split('data-indicator="2.1"')[1]
    assert '<strong data-testid="grade">B</strong>' in section.split("</section>")[0]


def test_a_wrong_grade_on_the_page_answers_400_with_the_form_open(world: ProvinceWorld) -> None:
    client = client_for(world.users["bappeda_provinsi"])
    response = client.post(grade_url(), {**POST, "grade": "E", "assessed_on": ""})
    assert response.status_code == 400
    form = response.context["actions"][1][1][0][1]
    assert sorted(form.errors) == ["assessed_on", "grade"]
    assert grades() == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        # Kabupaten roles have no province pages at all; the national role reads them.
        *[(role, 403) for role in REFUSED if role not in ("nasional", "other_provinsi")],
        ("nasional", 403),
        ("other_provinsi", 404),  # province 35 lies outside its area
    ],
)
def test_the_page_refuses_every_other_role(world: ProvinceWorld, role: str, status: int) -> None:
    response = client_for(world.users[role]).post(grade_url(), POST)
    assert response.status_code == status
    assert grades() == []


def test_the_grading_form_is_shown_only_to_the_provincial_bappeda(world: ProvinceWorld) -> None:
    own = client_for(world.users["bappeda_provinsi"]).get(grade_url()).content.decode()
    national = client_for(world.users["nasional"]).get(grade_url()).content.decode()
    assert own.count('data-testid="grade-form"') == len(ASSESSMENT_INDICATORS)
    assert national.count('data-testid="grade-form"') == 0
    assert national.count("belum dinilai") == len(ASSESSMENT_INDICATORS)


def test_the_kabupaten_board_still_shows_its_grades(world: ProvinceWorld) -> None:
    province.assessment_grade_save(
        user=world.users["bappeda_provinsi"],
        kabupaten=world.district.kabupaten,
        year=YEAR,
        indicator_code="3.1",
        grade="A",
        notes="Komitmen ditandatangani",
    )
    page = client_for(world.users["bappeda_admin"]).get(reverse("convergence:action-board", args=[YEAR]))
    assert page.status_code == 200
    assert [(g.indicator_code, g.grade) for g in page.context["board"].grades] == [("3.1", "A")]
    assert "Komitmen ditandatangani" in page.content.decode()


# The API -----------------------------------------------------------------------------------------------


def api(world: ProvinceWorld, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


BODY = {
    "kabupaten": "35.10",
    "year": YEAR,
    "indicator_code": "5.1",
    "grade": "C",
    "notes": "KPM belum lengkap",
}


def test_the_provincial_bappeda_posts_a_grade_by_kabupaten_code(world: ProvinceWorld) -> None:
    response = api(world, "bappeda_provinsi").post("/api/v1/assessment-grades/", BODY, format="json")
    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("kabupaten", "indicator_code", "grade", "indicator_text")} == {
        "kabupaten": "35.10",
        "indicator_code": "5.1",
        "grade": "C",
        "indicator_text": ASSESSMENT_INDICATORS_BY_CODE["5.1"].text,
    }
    assert grades() == [("35.10", 2025, "5.1", "C", "KPM belum lengkap")]


@pytest.mark.parametrize("role", [role for role in REFUSED if role != "no_role"])
def test_the_api_answers_403_to_every_other_role(world: ProvinceWorld, role: str) -> None:
    response = api(world, role).post("/api/v1/assessment-grades/", BODY, format="json")
    assert response.status_code == 403
    assert grades() == []


def test_the_api_answers_403_for_a_kabupaten_of_another_province(world: ProvinceWorld) -> None:
    response = api(world, "bappeda_provinsi").post(
        "/api/v1/assessment-grades/", {**BODY, "kabupaten": "36.01"}, format="json"
    )
    assert response.status_code == 403
    assert grades() == []


def test_the_api_lists_grades_in_the_callers_area(world: ProvinceWorld) -> None:
    for kabupaten, user in (
        (world.district.kabupaten, "bappeda_provinsi"),
        (world.other_kabupaten, "other_provinsi"),
    ):
        province.assessment_grade_save(
            user=world.users[user], kabupaten=kabupaten, year=YEAR, indicator_code="1.1", grade="A"
        )

    def listed(role: str) -> list[str]:
        return [
            row["kabupaten"] for row in api(world, role).get("/api/v1/assessment-grades/").json()["results"]
        ]

    assert listed("bappeda_provinsi") == ["35.10"]
    assert listed("other_provinsi") == ["36.01"]
    assert listed("nasional") == ["35.10", "36.01"]
    assert listed("bappeda_admin") == ["35.10"]
    assert listed("kader") == ["35.10"]
