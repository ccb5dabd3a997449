from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD, DistrictFixture
from tests.problems import field_errors


def test_it_exchanges_a_password_for_a_token_that_works_like_its_user(district: DistrictFixture) -> None:
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "kader_mawar", "password": PASSWORD})
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    profile = api.get("/api/v1/me/").json()
    kader = district.users["kader"]
    assert (profile["username"], profile["role"], profile["posyandu"], profile["posyandu_name"]) == (
        "kader_mawar",
        "kader",
        kader.posyandu_id,
        "Mawar",
    )


def test_it_refuses_a_wrong_password_with_a_clear_message(district: DistrictFixture) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="id").post(
        "/api/v1/auth/token/", {"username": "kader_mawar", "password": "salah"}
    )
    assert response.status_code == 400
    assert field_errors(response) == {"non_field_errors": ["Tidak dapat masuk dengan data pengguna ini."]}


@pytest.mark.django_db
def test_it_refuses_requests_without_a_token() -> None:
    assert APIClient().get("/api/v1/regions/").status_code == 401
    assert APIClient().get("/api/v1/regions/", HTTP_AUTHORIZATION="Token bukan-token").status_code == 401


def test_it_filters_regions_by_level_and_parent(district: DistrictFixture) -> None:
    api = APIClient()
    api.force_authenticate(district.users["bappeda_admin"])
    rows = api.get("/api/v1/regions/", {"level": "desa", "parent": "35.10.01"}).json()["results"]
    assert [row["code"] for row in rows] == ["35.10.01.2001", "35.10.01.2002"]


@pytest.mark.django_db
def test_it_serves_an_openapi_3_schema_and_its_docs(client: object) -> None:
    api = APIClient()
    schema = api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/regions/",
        "/api/v1/posyandu/",
        "/api/v1/puskesmas/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
    ):
        assert path in document["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
