"""Reports API: prevalence rows with their intervals, filters, the year table, survey figures and the
target rule, and who may read and write what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reports.models import PrevalenceSummary, SurveyFigure, TargetRule
from reports.selectors import figure_of, year_table
from tests.api.data import measure_district
from tests.factories import DistrictFixture, UserFactory
from tests.problems import field_errors

Row = PrevalenceSummary
JAN = "2025-01-01"


@pytest.fixture
def measured(district: DistrictFixture) -> DistrictFixture:
    return measure_district(district)


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(user)
    return api


def _all(api: APIClient, params: dict[str, str]) -> list[dict]:
    response = api.get("/api/v1/prevalence/", {**params, "page_size": 500})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return body["results"]


def _unit(row: dict) -> str:
    return row["posyandu_name"] or row["region"]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def test_it_serves_each_row_with_the_figures_of_its_counts(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    rows = _all(api, {})
    stored = list(
        Row.objects.order_by("period_kind", "period", "level", "region__code", "posyandu__code", "pk")
    )
    assert [row["id"] for row in rows] == [row.pk for row in stored]
    for data, row in zip(rows, stored, strict=True):
        figure = figure_of(row)
        for name in ("stunting", "wasting", "underweight", "overweight", "coverage"):
            proportion = getattr(figure, name)
            assert (data[f"{name}_pct"], data[f"{name}_low"], data[f"{name}_high"]) == (
                _round(proportion.pct),
                _round(proportion.low),
                _round(proportion.high),
            )
        assert (data["registered"], data["measured"], data["stunted"], data["haz_counted"]) == (
            row.registered,
            row.measured,
            row.stunted,
            row.haz_counted,
        )


def test_it_gives_the_kabupaten_figure_with_its_interval(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    [row] = _all(api, {"level": "kabupaten", "period_kind": "M", "period_from": JAN, "period_to": JAN})
    # January 2025: A pendek, B normal, C normal, E sangat pendek; one of five registered not weighed.
    assert (row["region"], row["period"], row["registered"], row["measured"]) == ("35.10", JAN, 5, 4)
    assert (row["stunted"], row["haz_counted"], row["stunting_pct"]) == (2, 4, 50.0)
    assert (row["stunting_low"], row["stunting_high"]) == (15.0, 85.0)
    assert (row["coverage_pct"], row["underweight_pct"], row["wasting_pct"]) == (80.0, 25.0, 25.0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"level": "desa"}, ["35.10.01.2001", "35.10.01.2002", "35.10.02.2001"]),
        ({"level": "posyandu", "region": "35.10.01.2001"}, ["Mawar", "Melati"]),
        ({"region": "35.10.01"}, ["35.10.01"]),
        ({"within": "35.10.01"}, ["Mawar", "Melati", "Anggrek", "35.10.01.2001", "35.10.01.2002"]),
        ({"within": "35.10.01.2002"}, ["Anggrek"]),
        ({"within": "35.11"}, []),
    ],
)
def test_it_filters_by_level_region_and_within(
    measured: DistrictFixture, params: dict, expected: list
) -> None:
    api = _api(measured.users["bappeda_admin"])
    rows = _all(api, {**params, "period_kind": "M", "period_from": JAN, "period_to": JAN})
    assert sorted(_unit(row) for row in rows) == sorted(expected)


def test_it_filters_by_period_and_posyandu(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    posyandu = str(measured.posyandu_a1.pk)
    months = _all(api, {"posyandu": posyandu, "period_kind": "M"})
    assert [(row["posyandu_name"], row["period"]) for row in months] == [
        ("Mawar", "2024-08-01"),
        ("Mawar", JAN),
        ("Mawar", "2025-08-01"),
    ]
    years = _all(api, {"posyandu": posyandu, "period_kind": "Y", "period_from": "2025-01-01"})
    assert [(row["period_kind"], row["period"]) for row in years] == [("Y", "2025-01-01")]
    assert _all(api, {"posyandu": str(measured.other_posyandu.pk)}) == []


def test_it_refuses_a_malformed_filter(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    assert api.get("/api/v1/prevalence/", {"period_from": "kemarin"}).status_code == 400
    assert api.get("/api/v1/prevalence/", {"level": "provinsi"}).status_code == 400


DISTRICT_JAN = [
    "35.10",
    "35.10.01",
    "35.10.01.2001",
    "35.10.01.2002",
    "35.10.02",
    "35.10.02.2001",
    "Anggrek",
    "Kenanga",
    "Mawar",
    "Melati",
]
SCOPE_JAN = {
    "bappeda_admin": DISTRICT_JAN,
    "pimpinan": DISTRICT_JAN,
    "opd_officer": DISTRICT_JAN,
    "puskesmas_officer": [
        "35.10",
        "35.10.01",
        "35.10.01.2001",
        "35.10.01.2002",
        "Anggrek",
        "Mawar",
        "Melati",
    ],
    "kader": ["35.10", "35.10.01", "Mawar"],
    "kpm": ["35.10", "35.10.01", "35.10.01.2002", "Anggrek"],
    "no_role": [],
}


@pytest.mark.parametrize("role", list(SCOPE_JAN))
def test_each_role_reads_its_own_units_and_the_aggregates_above(measured: DistrictFixture, role: str) -> None:
    rows = _all(_api(measured.users[role]), {"period_kind": "M", "period_from": JAN, "period_to": JAN})
    assert sorted(_unit(row) for row in rows) == SCOPE_JAN[role]


def test_it_refuses_anonymous_callers(measured: DistrictFixture) -> None:
    for url in ("/api/v1/prevalence/", "/api/v1/prevalence/targets/?region=35.10", "/api/v1/survey-figures/"):
        assert APIClient().get(url).status_code == 401


def test_it_reads_a_page_in_the_same_queries_for_one_row_and_three(
    measured: DistrictFixture, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    api = _api(measured.users["bappeda_admin"])
    params = {"period_kind": "M", "period_from": JAN, "period_to": JAN}
    api.get("/api/v1/prevalence/", {**params, "level": "kabupaten"})  # warm the scope and the session
    with django_assert_num_queries(2) as one:  # the count and the page
        assert len(api.get("/api/v1/prevalence/", {**params, "level": "kabupaten"}).json()["results"]) == 1
    with django_assert_num_queries(len(one)):
        assert len(api.get("/api/v1/prevalence/", {**params, "level": "desa"}).json()["results"]) == 3


# --- the year table -----------------------------------------------------------------------------------


def test_it_serves_the_year_table_with_the_target_path(measured: DistrictFixture) -> None:
    user = measured.users["pimpinan"]
    response = _api(user).get("/api/v1/prevalence/targets/", {"region": "35.10"})
    assert response.status_code == 200
    body = response.json()
    table = year_table(user=user, region=measured.kabupaten)
    assert (body["region"], body["region_name"], body["level"]) == ("35.10", "BANYUWANGI", "kabupaten")
    assert body["month"] is None
    assert body["rule"]["regulation"] == "Perbup 68/2020"
    assert [row["year"] for row in body["rows"]] == [2024, 2025]
    for data, row in zip(body["rows"], table.rows, strict=True):
        target = row.target
        assert (data["stunting_pct"], data["change_points"], data["status"]) == (
            _round(row.figure.stunting.pct),
            _round(target.change_points),
            target.status,
        )
        assert (data["target_pct"], data["national_pct"], data["on_course"]) == (
            _round(target.target_pct),
            _round(target.national_pct),
            target.on_course,
        )
        assert data["stunting_low"] == _round(row.figure.stunting.low)
    assert body["surveys"] == [
        {
            "year": 2024,
            "source": "SKI",
            "stunting_pct": "21.40",
            "wasting_pct": None,
            "underweight_pct": None,
            "note": "",
        }
    ]


def test_it_reads_one_month_of_each_year(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    body = api.get("/api/v1/prevalence/targets/", {"region": "35.10.01", "month": "8"}).json()
    # August 2024: A sangat pendek, B pendek, C normal; August 2025: A and B normal, C pendek.
    assert body["month"] == 8
    assert [(row["year"], row["stunted"], row["haz_counted"]) for row in body["rows"]] == [
        (2024, 2, 3),
        (2025, 1, 3),
    ]
    assert [row["status"] for row in body["rows"]] == ["", "Turun"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"region": "35.10", "month": "13"}, 400),
        ({"region": "35.11"}, 404),
        ({"region": "99.99"}, 404),
    ],
)
def test_it_refuses_a_year_table_it_cannot_give(measured: DistrictFixture, params: dict, status: int) -> None:
    api = _api(measured.users["bappeda_admin"])
    assert api.get("/api/v1/prevalence/targets/", params).status_code == status


def test_a_kader_gets_no_year_table_of_another_desa(measured: DistrictFixture) -> None:
    api = _api(measured.users["kader"])
    assert api.get("/api/v1/prevalence/targets/", {"region": "35.10.01.2002"}).status_code == 404
    assert api.get("/api/v1/prevalence/targets/", {"region": "35.10.01.2001"}).status_code == 200


# --- survey figures -----------------------------------------------------------------------------------

NEW_FIGURE = {
    "region": "35.10.01",
    "year": 2023,
    "source": "SSGI",
    "stunting_pct": "19.50",
    "wasting_pct": "6.10",
}
WRITERS = {"bappeda_admin": 201}
READERS = ["pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"]


@pytest.mark.parametrize("role", ["bappeda_admin", *READERS])
def test_only_bappeda_records_survey_figures(measured: DistrictFixture, role: str) -> None:
    before = list(SurveyFigure.objects.order_by("pk").values())
    response = _api(measured.users[role]).post("/api/v1/survey-figures/", NEW_FIGURE, format="json")
    if role == "bappeda_admin":
        assert response.status_code == 201
        assert response.json() == {
            "id": response.json()["id"],
            "region": "35.10.01",
            "region_name": "PESANGGARAN",
            "year": 2023,
            "source": "SSGI",
            "stunting_pct": "19.50",
            "wasting_pct": "6.10",
            "underweight_pct": None,
            "note": "",
        }
        assert SurveyFigure.objects.count() == len(before) + 1
    else:
        assert response.status_code == 403
        assert list(SurveyFigure.objects.order_by("pk").values()) == before


def test_a_superuser_records_survey_figures_anywhere(measured: DistrictFixture) -> None:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = _api(root).post("/api/v1/survey-figures/", {**NEW_FIGURE, "region": "35.11"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "35.11"}, "region"),
        ({"stunting_pct": "100.50"}, "stunting_pct"),
        ({"year": 1800}, "year"),
        ({"source": "BPS"}, "source"),
        ({"year": 2024, "source": "SKI", "region": "35.10"}, "non_field_errors"),
    ],
)
def test_bappeda_cannot_record_a_figure_out_of_bounds(
    measured: DistrictFixture, change: dict, field: str
) -> None:
    count = SurveyFigure.objects.count()
    response = _api(measured.users["bappeda_admin"]).post(
        "/api/v1/survey-figures/", {**NEW_FIGURE, **change}, format="json"
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]
    assert SurveyFigure.objects.count() == count


def test_bappeda_corrects_and_deletes_its_own_figures_only(measured: DistrictFixture) -> None:
    api = _api(measured.users["bappeda_admin"])
    own = SurveyFigure.objects.get(region=measured.kabupaten)
    other = SurveyFigure.objects.get(region=measured.other_kabupaten)
    response = api.patch(f"/api/v1/survey-figures/{own.pk}/", {"stunting_pct": "20.90"}, format="json")
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.stunting_pct == Decimal("20.90")
    assert (
        api.patch(f"/api/v1/survey-figures/{other.pk}/", {"stunting_pct": "1.00"}, format="json").status_code
        == 404
    )
    assert api.delete(f"/api/v1/survey-figures/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.stunting_pct == Decimal("30.10")
    assert api.delete(f"/api/v1/survey-figures/{own.pk}/").status_code == 204
    assert not SurveyFigure.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("role", ["bappeda_admin", "pimpinan", "kader", "no_role"])
def test_each_role_lists_the_survey_figures_of_its_kabupaten(measured: DistrictFixture, role: str) -> None:
    body = _api(measured.users[role]).get("/api/v1/survey-figures/").json()
    expected = [] if role == "no_role" else [("35.10", "21.40")]
    assert [(row["region"], row["stunting_pct"]) for row in body["results"]] == expected


# --- the target rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["bappeda_admin", *READERS])
def test_only_bappeda_edits_the_target_rule(measured: DistrictFixture, role: str) -> None:
    rule = TargetRule.objects.get()
    api = _api(measured.users[role])
    listed = api.get("/api/v1/target-rules/").json()["results"]
    assert [row["kabupaten"] for row in listed] == ([] if role == "no_role" else ["35.10"])
    response = api.patch(f"/api/v1/target-rules/{rule.pk}/", {"min_reduction_points": "1.50"}, format="json")
    rule.refresh_from_db()
    if role == "bappeda_admin":
        assert response.status_code == 200
        assert response.json()["min_reduction_points"] == "1.50"
        assert rule.min_reduction_points == Decimal("1.50")
    else:
        assert response.status_code == 403
        assert rule.min_reduction_points == Decimal("1.00")


def test_the_target_year_cannot_come_before_the_baseline(measured: DistrictFixture) -> None:
    rule = TargetRule.objects.get()
    response = _api(measured.users["bappeda_admin"]).patch(
        f"/api/v1/target-rules/{rule.pk}/", {"target_year": 2020}, format="json"
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == ["target_year"]
    rule.refresh_from_db()
    assert rule.target_year == 2026


def test_a_token_reads_like_its_user(measured: DistrictFixture) -> None:
    token = Token.objects.create(user=measured.users["kader"])
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    rows = api.get("/api/v1/prevalence/", {"period_kind": "M", "period_from": JAN, "period_to": JAN}).json()
    assert sorted(_unit(row) for row in rows["results"]) == ["35.10", "35.10.01", "Mawar"]
    assert datetime.date.fromisoformat(rows["results"][0]["period"]) == datetime.date(2025, 1, 1)
