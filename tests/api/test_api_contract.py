"""The API as a contract: one schema whatever the language, JSON bodies, listing conventions, unknown
parameters refused, rate-limit headers, and a root that lists every endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from config.env import Rate
from convergence.api.listing import MAX_PAGE_SIZE, Pagination
from tests.factories import PASSWORD, DistrictFixture, UserFactory
from tests.problems import field_errors

API = "/api/v1/"


def _api(district: DistrictFixture, role: str = "bappeda_admin") -> APIClient:
    client = APIClient()
    client.force_authenticate(district.users[role])
    return client


@pytest.fixture(scope="module")
def schema(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


# --- the schema ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_the_same_bytes_in_indonesian_and_english() -> None:
    api = APIClient()
    indonesian = api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="id")
    english = api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert (indonesian.status_code, english.status_code) == (200, 200)
    assert indonesian.content == english.content
    assert "Week (Monday)" in english.content.decode()


def test_every_operation_has_a_summary_and_the_schema_a_server(schema: dict[str, Any]) -> None:
    assert schema["servers"] == [{"url": "/"}]
    assert [(path, method) for path, method, op in _operations(schema) if not op.get("summary")] == []
    summaries = {(path, method): op["summary"] for path, method, op in _operations(schema)}
    assert summaries[("/api/v1/children/", "get")] == "List children"
    assert summaries[("/api/v1/children/{id}/", "get")] == "Retrieve a child"
    assert summaries[("/api/v1/measurements/", "post")] == "Create a measurement"
    assert summaries[("/api/v1/duplicates/{id}/merge/", "post")] == "Merge a duplicate"


def test_nullable_fields_are_typed_json_schema(schema: dict[str, Any]) -> None:
    assert schema["openapi"] == "3.1.0"
    validate_schema(schema)  # the OpenAPI 3.1 meta-schema; raises on any error
    # Every component is itself a valid JSON Schema 2020-12 (what OpenAPI 3.1 schemas are).
    for component in schema["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    untyped = [node for node in _walk(schema) if "nullable" in node]
    assert untyped == []
    profile = schema["components"]["schemas"]["Profile"]["properties"]
    assert (profile["opd"]["type"], profile["opd_name"]["type"]) == (["integer", "null"], ["string", "null"])


def test_request_bodies_are_json_except_the_uploads(schema: dict[str, Any]) -> None:
    media = {
        (path, method): sorted(op["requestBody"]["content"])
        for path, method, op in _operations(schema)
        if "requestBody" in op
    }
    uploads = {("/api/v1/imports/", "post"), ("/api/v1/evidence/", "post")}
    assert {key: value for key, value in media.items() if key in uploads} == {
        key: ["multipart/form-data"] for key in uploads
    }
    assert {tuple(value) for key, value in media.items() if key not in uploads} == {("application/json",)}


def test_the_token_endpoint_is_public_json_and_documents_its_throttle(schema: dict[str, Any]) -> None:
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert token["security"] == []  # public, said explicitly
    assert list(token["requestBody"]["content"]) == ["application/json"]
    assert sorted(token["responses"]) == ["200", "400", "429"]
    assert sorted(token["responses"]["429"]["headers"]) == [
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ]
    lookup = schema["paths"]["/api/v1/children/lookup/"]["post"]
    assert "429" in lookup["responses"]
    assert "X-RateLimit-Remaining" in lookup["responses"]["200"]["headers"]


def test_list_parameters_are_documented(schema: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/regions/"]["get"]["parameters"]}
    assert sorted(parameters) == ["code_prefix", "level", "ordering", "page", "page_size", "parent"]
    assert parameters["ordering"]["schema"]["items"]["enum"] == [
        "code",
        "level",
        "name",
        "-code",
        "-level",
        "-name",
    ]
    disbursements = schema["paths"]["/api/v1/disbursements/"]["get"]["parameters"]
    assert {"disbursement_kind", "disbursement_status"} <= {p["name"] for p in disbursements}


# --- bodies -------------------------------------------------------------------------------------------


def test_a_form_encoded_body_is_refused_with_415_in_the_problem_body(district: DistrictFixture) -> None:
    response = _api(district).post("/api/v1/opd/", {"code": "X", "name": "Dinas X"}, format="multipart")
    assert response.status_code == 415
    body = response.json()
    assert (body["status"], body["code"]) == (415, "unsupported_media_type")
    token = APIClient().post(
        "/api/v1/auth/token/", "username=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert (token.status_code, token.json()["code"]) == (415, "unsupported_media_type")


def test_an_upload_is_accepted_as_multipart(district: DistrictFixture, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("register.csv", b"nama\n")
    response = _api(district, "kader").post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202


# --- listing ------------------------------------------------------------------------------------------


def test_page_size_is_honoured(district: DistrictFixture) -> None:
    api = _api(district)
    everything = [row["code"] for row in api.get("/api/v1/regions/").json()["results"]]
    first, second = (api.get("/api/v1/regions/", {"page_size": 2, "page": n}).json() for n in (1, 2))
    assert (first["count"], len(everything)) == (7, 7)
    assert [row["code"] for row in first["results"] + second["results"]] == everything[:4]
    assert first["next"] == "http://testserver/api/v1/regions/?page=2&page_size=2"


@pytest.mark.parametrize("asked", [1, 1000])
def test_page_size_is_served_up_to_1000(asked: int) -> None:
    drf_request = Request(APIRequestFactory().get("/", {"page_size": str(asked)}))
    assert Pagination().get_page_size(drf_request) == asked
    assert MAX_PAGE_SIZE == 1000


@pytest.mark.parametrize("asked", ["0", "-3", "banyak"])
def test_a_page_size_that_is_not_a_positive_number_is_a_400(district: DistrictFixture, asked: str) -> None:
    response = _api(district).get("/api/v1/regions/", {"page_size": asked})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["page_size"]


@pytest.mark.parametrize("asked", ["1001", "50000", "99999999999999999999"])
def test_a_page_size_over_1000_is_a_400_not_capped(district: DistrictFixture, asked: str) -> None:
    response = _api(district).get("/api/v1/regions/", {"page_size": asked})
    assert response.status_code == 400
    assert field_errors(response) == {"page_size": ["Paling banyak 1000 per halaman."]}


def test_the_schema_bounds_page_size_at_1000(schema: dict[str, Any]) -> None:
    parameters = schema["paths"]["/api/v1/children/"]["get"]["parameters"]
    (page_size,) = (parameter for parameter in parameters if parameter["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}


def test_ordering_sorts_by_a_listed_field(district: DistrictFixture) -> None:
    api = _api(district)
    codes = [row["code"] for row in api.get("/api/v1/regions/", {"ordering": "-code"}).json()["results"]]
    assert codes == sorted(codes, reverse=True)
    assert codes[0] == "35.10.02.2001"
    levels = [
        row["level"] for row in api.get("/api/v1/regions/", {"ordering": "level,-code"}).json()["results"]
    ]
    assert levels == sorted(levels)


@pytest.mark.parametrize("ordering", ["puskesmas_id", "parent__code", "-password", "code,nik_encrypted"])
def test_ordering_by_a_field_not_offered_is_a_400(district: DistrictFixture, ordering: str) -> None:
    response = _api(district).get("/api/v1/regions/", {"ordering": ordering})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["ordering"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/regions/", "/api/v1/children/", "/api/v1/ledger/", "/api/v1/me/", "/api/v1/regions/35.10/"],
)
def test_an_unknown_query_parameter_is_a_400(district: DistrictFixture, path: str) -> None:
    response = _api(district).get(path, {"limit": "10", "fields": "id"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field_errors(response) == {
        "fields": ["Parameter tidak dikenal."],
        "limit": ["Parameter tidak dikenal."],
    }


def test_known_filters_and_format_are_accepted(district: DistrictFixture) -> None:
    api = _api(district)
    assert api.get("/api/v1/regions/", {"level": "desa", "format": "json"}).status_code == 200
    assert api.get("/api/v1/disbursements/", {"disbursement_status": "menunggu"}).status_code == 200
    assert api.get("/api/v1/disbursements/", {"status": "menunggu"}).status_code == 400


def test_the_root_lists_every_endpoint_without_a_path_parameter(
    district: DistrictFixture, schema: dict[str, Any]
) -> None:
    root = _api(district).get(API)
    assert root.status_code == 200
    expected = {
        path.removeprefix(API).rstrip("/") for path in schema["paths"] if "{" not in path and path != API
    }
    assert set(root.json()) == expected
    assert root.json()["children"] == "http://testserver/api/v1/children/"
    assert len(expected) > 40


# --- rate limits --------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(TOKEN_RATE=Rate(3, 60))
def test_the_token_endpoint_sends_rate_limit_headers_counting_down() -> None:
    UserFactory(username="klien_api")
    api = APIClient(REMOTE_ADDR="36.80.1.9")
    answers = [
        api.post("/api/v1/auth/token/", {"username": "klien_api", "password": PASSWORD}) for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer["X-RateLimit-Limit"] for answer in answers] == ["3", "3", "3", "3"]
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert all(0 < int(answer["X-RateLimit-Reset"]) <= 60 for answer in answers)
    assert answers[3].json()["code"] == "throttled"


@override_settings(NIK_LOOKUP_RATE=Rate(5, 3600))
def test_the_nik_look_up_sends_rate_limit_headers(district: DistrictFixture) -> None:
    api = _api(district, "puskesmas_officer")
    answers = [
        api.post("/api/v1/children/lookup/", {"nik": "3510011234567890"}),
        api.post("/api/v1/persons/lookup/", {"nik": "3510011234567890"}),
    ]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["4", "3"]
    assert answers[0]["X-RateLimit-Limit"] == "5"
    assert "X-RateLimit-Limit" not in api.get("/api/v1/children/")


def test_every_component_is_referenced(schema: dict[str, Any]) -> None:
    refs = {node["$ref"].rsplit("/", 1)[-1] for node in _walk(schema) if isinstance(node.get("$ref"), str)}
    assert sorted(set(schema["components"]["schemas"]) - refs) == []
    assert "StatusCategoriesRequest" not in schema["components"]["schemas"]
