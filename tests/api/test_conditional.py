"""Conditional requests: ETag on every detail GET, 304 on If-None-Match, 412 on a stale If-Match."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from children.models import Child, Measurement
from convergence.api.conditional import ConditionalMixin
from tests.factories import ChildFactory, DistrictFixture
from tests.problems import field_errors


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_every_viewset_with_a_detail_route_answers_conditional_requests() -> None:
    missing = sorted(
        {
            f"{route} {callback.cls.__name__}"
            for route, pattern in _routes(get_resolver().url_patterns)
            if (callback := pattern.callback)
            and "retrieve" in (getattr(callback, "actions", None) or {}).values()
            and not issubclass(callback.cls, ConditionalMixin)
        }
    )
    assert missing == []


def _api(district: DistrictFixture, role: str = "kader") -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


@pytest.mark.django_db
def test_it_gives_a_stable_etag_that_changes_after_a_write(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    api = _api(district)
    first = api.get(f"/api/v1/children/{child.pk}/")
    second = api.get(f"/api/v1/children/{child.pk}/")
    assert first["ETag"] == second["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])
    Child.objects.filter(pk=child.pk).update(name="Budi Santoso")
    assert api.get(f"/api/v1/children/{child.pk}/")["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_it_answers_304_when_the_cached_copy_is_current(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    api = _api(district)
    etag = api.get(f"/api/v1/children/{child.pk}/")["ETag"]
    cached = api.get(f"/api/v1/children/{child.pk}/", HTTP_IF_NONE_MATCH=etag)
    stale = api.get(f"/api/v1/children/{child.pk}/", HTTP_IF_NONE_MATCH='"0"')
    assert (cached.status_code, cached.content, cached["ETag"]) == (304, b"", etag)
    assert (stale.status_code, stale["ETag"]) == (200, etag)


@pytest.mark.django_db
def test_a_stale_if_match_answers_412_and_changes_nothing(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    api = _api(district)
    etag = api.get(f"/api/v1/children/{child.pk}/")["ETag"]
    Child.objects.filter(pk=child.pk).update(name="Budi Santoso")  # another client's write
    response = api.patch(f"/api/v1/children/{child.pk}/", {"name": "Budiman"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert field_errors(response) == {}
    assert Child.objects.get(pk=child.pk).name == "Budi Santoso"


@pytest.mark.django_db
def test_a_matching_if_match_writes_and_answers_the_new_etag(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    api = _api(district)
    etag = api.get(f"/api/v1/children/{child.pk}/")["ETag"]
    response = api.patch(f"/api/v1/children/{child.pk}/", {"name": "Budiman"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert Child.objects.get(pk=child.pk).name == "Budiman"
    assert response["ETag"] == api.get(f"/api/v1/children/{child.pk}/")["ETag"] != etag
    # The same ETag again is now stale.
    again = api.patch(f"/api/v1/children/{child.pk}/", {"name": "Budi"}, HTTP_IF_MATCH=etag)
    assert again.status_code == 412


@pytest.mark.django_db
def test_without_if_match_a_write_applies_as_before(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    response = _api(district).patch(f"/api/v1/children/{child.pk}/", {"name": "Budiman"})
    assert response.status_code == 200
    assert Child.objects.get(pk=child.pk).name == "Budiman"


@pytest.mark.django_db
def test_a_delete_with_a_stale_if_match_keeps_the_measurement(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1, birth_date=datetime.date(2024, 3, 10))
    api = _api(district)
    created = api.post(
        "/api/v1/measurements/", {"child": child.pk, "measured_on": "2025-03-10", "weight_kg": "9.5"}
    )
    assert created.status_code == 201
    url = f"/api/v1/measurements/{created.json()['id']}/"
    etag = api.get(url)["ETag"]
    assert api.delete(url, HTTP_IF_MATCH='"stale"').status_code == 412
    assert Measurement.objects.count() == 1
    assert api.delete(url, HTTP_IF_MATCH=etag).status_code == 204
    assert Measurement.objects.count() == 0


@pytest.mark.django_db
def test_the_schema_documents_etag_if_match_and_412() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    detail = schema["paths"]["/api/v1/children/{id}/"]
    read, write, remove = (
        detail["get"],
        detail["patch"],
        schema["paths"]["/api/v1/measurements/{id}/"]["delete"],
    )
    assert [p["name"] for p in read["parameters"] if p["in"] == "header"] == ["If-None-Match"]
    assert set(read["responses"]["200"]["headers"]) >= {"ETag"}
    assert set(read["responses"]["304"]["headers"]) == {"ETag"}
    for operation in (write, remove):
        assert [p["name"] for p in operation["parameters"] if p["in"] == "header"] == ["If-Match"]
        assert operation["responses"]["412"] == {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": "",
        }
    assert set(write["responses"]["200"]["headers"]) >= {"ETag"}
