"""The answers a probe found as 500s, now 400/409 in the one problem body; responses the schema
described wrongly (paginated objects where the API answers lists); the body's shape on each error path."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from children.models import Pregnancy
from convergence import services_actions as convergence_services
from convergence.models import FollowUp
from interventions.models import Indicator, IndicatorTarget
from tests.factories import DistrictFixture, PersonFactory
from tests.problems import field_errors

PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}


def _api(district: DistrictFixture, role: str = "bappeda_admin") -> APIClient:
    client = APIClient()
    client.force_authenticate(district.users[role])
    return client


@pytest.fixture
def targets(district: DistrictFixture) -> dict[str, IndicatorTarget]:
    indicator = Indicator.objects.get(code="IK11")
    make = IndicatorTarget.objects.create
    return {
        "2025": make(
            indicator=indicator, kabupaten=district.kabupaten, year=2025, target_percent=Decimal(80)
        ),
        "2026": make(
            indicator=indicator, kabupaten=district.kabupaten, year=2026, target_percent=Decimal(85)
        ),
    }


@pytest.mark.parametrize("value", ["150", "-0.5"])
def test_a_target_percent_out_of_bounds_is_a_400_on_its_field(
    district: DistrictFixture, targets: dict[str, IndicatorTarget], value: str
) -> None:
    target = targets["2025"]
    response = _api(district).patch(
        f"/api/v1/indicator-targets/{target.pk}/", {"target_percent": value}, format="json"
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == ["target_percent"]
    target.refresh_from_db()
    assert target.target_percent == Decimal(80)


def test_moving_a_target_onto_a_year_that_has_one_is_a_409(
    district: DistrictFixture, targets: dict[str, IndicatorTarget]
) -> None:
    response = _api(district).patch(
        f"/api/v1/indicator-targets/{targets['2025'].pk}/", {"year": 2026}, format="json"
    )
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        409,
        "conflict",
        "Target untuk indikator dan tahun ini sudah ada.",
    )
    assert sorted(
        IndicatorTarget.objects.filter(kabupaten=district.kabupaten).values_list("year", flat=True)
    ) == [
        2025,
        2026,
    ]


def test_a_follow_up_patched_with_a_list_body_is_a_400(district: DistrictFixture) -> None:
    convergence_services.opd_catalogue_load(kabupaten=district.kabupaten)
    bappeda = district.users["bappeda_admin"]
    meeting = convergence_services.meeting_save(
        user=bappeda,
        region=district.kabupaten,
        kind="rembuk_stunting",
        held_on=datetime.date(2025, 4, 10),
        title="Rembuk stunting kabupaten",
        invited=[district.dinkes],
    )
    follow_up = convergence_services.follow_up_create(
        user=bappeda,
        meeting=meeting,
        description="Data",
        owner_opd=district.dinkes,
        due_date=datetime.date(2025, 5, 1),
    )
    response = _api(district).patch(
        f"/api/v1/follow-ups/{follow_up.pk}/", [{"status": "selesai"}], format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) >= PROBLEM_KEYS
    assert FollowUp.objects.get().status == "terbuka"
    wrong = _api(district).patch(f"/api/v1/follow-ups/{follow_up.pk}/", {"status": "nanti"}, format="json")
    assert (wrong.status_code, list(field_errors(wrong))) == (400, ["status"])


def _response_schema(path: str, method: str) -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/children/lookup/", "post"),
        ("/api/v1/persons/lookup/", "post"),
        ("/api/v1/pregnancies/{id}/visits/", "get"),
    ],
)
def test_the_schema_says_these_answer_plain_lists(path: str, method: str) -> None:
    assert _response_schema(path, method)["type"] == "array"


def test_lookups_and_visits_answer_plain_lists(district: DistrictFixture) -> None:
    mother = PersonFactory(desa=district.desa_a1)
    pregnancy = Pregnancy.objects.create(mother=mother, desa=district.desa_a1, posyandu=district.posyandu_a1)
    api = _api(district, "puskesmas_officer")
    assert api.post("/api/v1/children/lookup/", {"nik": "3510011003240001"}, format="json").json() == []
    assert api.post("/api/v1/persons/lookup/", {"nik": "3510015705950001"}, format="json").json() == []
    assert api.get(f"/api/v1/pregnancies/{pregnancy.pk}/visits/").json() == []


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status", "code"),
    [
        ("opd_officer", "post", "/api/v1/children/", {"name": "X"}, 403, "permission_denied"),
        ("bappeda_admin", "get", "/api/v1/children/999999/", None, 404, "not_found"),
        ("pimpinan", "post", "/api/v1/keluarga/", {"head_name": "X"}, 403, "permission_denied"),
        ("bappeda_admin", "delete", "/api/v1/keluarga/", None, 405, "method_not_allowed"),
        ("bappeda_admin", "post", "/api/v1/keluarga/", {}, 400, "invalid"),
    ],
)
def test_every_error_path_answers_the_one_problem_body(
    district: DistrictFixture, role: str, method: str, path: str, body: Any, status: int, code: str
) -> None:
    response = getattr(_api(district, role), method)(path, body, format="json")
    assert (response.status_code, response.json()["code"], response.json()["status"]) == (
        status,
        code,
        status,
    )
    assert set(response.json()) - {"errors"} == PROBLEM_KEYS
    assert response.json()["detail"]


@pytest.mark.django_db
def test_an_anonymous_call_answers_401_in_the_problem_body() -> None:
    response = APIClient().get("/api/v1/children/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert response.json()["detail"] == "Authentication credentials were not provided."
