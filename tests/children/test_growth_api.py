"""POST /api/v1/growth/zscores/: one or many measurements, errors by item and field, authenticated only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from children.growth import zscore_one

URL = "/api/v1/growth/zscores/"


@pytest.fixture
def nutritionist_client(db: None) -> APIClient:
    user = get_user_model().objects.create_user(username="siti_gizi", password="x")
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.mark.django_db
def test_it_computes_one_measurement(nutritionist_client: APIClient) -> None:
    response = nutritionist_client.post(
        URL,
        {
            "sex": "L",
            "birth_date": "2023-01-01",
            "measure_date": "2024-01-01",
            "weight_kg": 8.5,
            "height_cm": 72.3,
            "measured": "telentang",
        },
        format="json",
    )

    expected = zscore_one(sex="L", age_days=365, weight_kg=8.5, height_cm=72.3, measured="L")
    assert response.status_code == 200
    body = response.json()
    assert (body["age_days"], body["length_cm"]) == (365, 72.3)
    assert (body["waz"], body["haz"], body["whz"], body["baz"]) == (
        expected.waz,
        expected.haz,
        expected.whz,
        expected.baz,
    )
    assert body["categories"]["haz"] == {"code": 2, "label": "Normal", "label_en": "Normal"}
    assert body["flags"] == {"waz": False, "haz": False, "whz": False, "baz": False}
    assert body["stunted"] is False


@pytest.mark.django_db
def test_it_computes_a_list_in_order(nutritionist_client: APIClient) -> None:
    response = nutritionist_client.post(
        URL,
        [
            {"sex": "P", "age_days": 700, "weight_kg": 8.0, "height_cm": 74.0, "measured": "L"},
            {"sex": "M", "age_days": 900, "weight_kg": 12.0, "measured": "H"},
            {"sex": "F", "age_days": 400, "weight_kg": 9.0, "height_cm": 74.0, "oedema": True},
        ],
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert [item["age_days"] for item in body] == [700, 900, 400]
    assert body[0]["categories"]["haz"]["label"] == "Sangat pendek"
    assert body[0]["stunted"] is True
    assert (body[1]["haz"], body[1]["categories"]["haz"]["code"]) == (None, -1)
    assert (body[2]["waz"], body[2]["categories"]["whz"]["label"]) == (None, "Gizi buruk")


@pytest.mark.django_db
def test_it_names_the_item_and_field_of_each_error(nutritionist_client: APIClient) -> None:
    response = nutritionist_client.post(
        URL,
        [
            {"sex": "L", "age_days": 100, "weight_kg": 6.0},
            {"sex": "X", "age_days": 100, "weight_kg": 6.0},
            {"sex": "P", "age_days": 200, "height_cm": 65.0, "measured": "berdiri"},
            {"sex": "P", "weight_kg": 6.0},
        ],
        format="json",
    )

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (1, "sex"),
        (2, "measured"),
        (3, "age_days"),
    ]
    assert response.json()["errors"][1]["detail"] == "Tinggi berdiri di bawah 9 bulan: ukur telentang."


@pytest.mark.django_db
def test_it_refuses_anonymous_callers() -> None:
    response = APIClient().post(URL, {"sex": "L", "age_days": 100, "weight_kg": 6.0}, format="json")

    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_it_documents_the_endpoint_in_the_openapi_schema(nutritionist_client: APIClient) -> None:
    response = nutritionist_client.get("/api/schema/", {"format": "json"})

    operation = response.json()["paths"][URL]["post"]
    assert operation["operationId"] == "growth_zscores"
    assert set(operation["responses"]) == {"200", "400", "401", "403"}


@pytest.mark.django_db
def test_it_serves_the_method_page_in_indonesian(client: Client) -> None:
    client.force_login(get_user_model().objects.create_user(username="siti_gizi", password="x"))

    response = client.get(reverse("children:zscore-method"))

    assert response.status_code == 200
    assert "tepat −2,00 adalah normal (bukan pendek)" in response.content.decode()
