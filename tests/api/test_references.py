"""One rule for references, checked by walking the served schema.

- A property named after a region (provinsi to desa, a region, a region's parent) is its Kemendagri
  code: a string. Every other reference (posyandu, puskesmas, OPD, child, user, ...) is an integer id;
  `*_code` and `*_name` properties are their labels.
- A list's filters are named as the properties of its items and take the same form.
- An integer query parameter out of range or not a number is a 400 naming it; a path id that is not
  one of ours is a 404; both in the one problem body, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from convergence.models import Region
from tests.factories import ChildFactory, DistrictFixture
from tests.problems import field_errors

APPS = {"convergence", "children", "interventions", "reports"}
REGION_LEVELS = {"provinsi", "kabupaten", "kecamatan", "desa"}
LISTING = {"page", "page_size", "ordering", "updated_since", "search", "format"}
# Range and prefix filters on a property: `birth_date_after`, `delivered_on__gte`, `code_prefix`, ...
SUFFIXES = ("__gte", "__lte", "_after", "_before", "_from", "_to", "_prefix")
# Parameters that choose what a list computes rather than filter its rows, documented on their operation.
DOCUMENTED = {
    "changes_list": {"since"},  # the feed's starting moment
    "v1_prevalence_list": {"within"},  # every unit inside a region code
    "v1_data_quality_list": {"month_from", "month_to", "per_month"},  # the months summed, one row a month
}
# Properties named like a relation that are not references.
NOT_REFERENCES = {
    ("Counts", "rate"): "the convergence rate in %",
    ("LedgerRow", "rate"): "the convergence rate in %",
    ("ImportRowIssue", "action"): "what the import does with the row (a choice)",
    # The review compares the two records side by side: they are embedded, not referred to.
    ("DuplicateCandidate", "child_a"): "embedded record",
    ("DuplicateCandidate", "child_b"): "embedded record",
    ("DuplicateCandidate", "person_a"): "embedded record",
    ("DuplicateCandidate", "person_b"): "embedded record",
    ("DuplicateCandidate", "keluarga_a"): "embedded record",
}


def _relation_names() -> tuple[set[str], set[str]]:
    """The names the project's models give their relations: (to a region, to anything else)."""
    to_region, to_other = set(REGION_LEVELS), set()
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if field.is_relation and not field.auto_created and (field.concrete or field.many_to_many):
                (to_region if field.related_model is Region else to_other).add(field.name)
    return to_region, to_other - to_region


@pytest.fixture(scope="module")
def schema(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            parts = [_resolve(schema, part) for part in node[key] if part.get("type") != "null"]
            if len(parts) == 1:
                return parts[0]
    return node


def _types(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    if "oneOf" in node or "anyOf" in node:
        return {t for part in node.get("oneOf", node.get("anyOf")) for t in _types(schema, part)} - {"null"}
    kind = node.get("type", "object" if "properties" in node else "any")
    if kind == "array":
        return {f"array[{item}]" for item in _types(schema, node.get("items", {}))}
    return ({kind} if isinstance(kind, str) else set(kind)) - {"null"}


def _list_operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(path, operation, item schema) of every GET answering a list, paginated or not."""
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        body = _resolve(schema, content["schema"])
        if body.get("type") == "array":
            yield path, operation, _resolve(schema, body["items"])
        elif "results" in body.get("properties", {}):
            yield path, operation, _resolve(schema, body["properties"]["results"]["items"])


def _property_names(schema: dict[str, Any], item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The item's properties, and those of the objects its arrays hold (`reservations[].budget_line`)."""
    names = dict(item.get("properties", {}))
    for prop in item.get("properties", {}).values():
        node = _resolve(schema, prop)
        if node.get("type") == "array":
            names.update(
                {
                    k: v
                    for k, v in _resolve(schema, node["items"]).get("properties", {}).items()
                    if k not in names
                }
            )
    return names


def test_region_properties_are_codes_and_other_references_are_ids(schema: dict[str, Any]) -> None:
    to_region, to_other = _relation_names()
    wrong = []
    checked = 0
    for name, component in schema["components"]["schemas"].items():
        for prop, node in component.get("properties", {}).items():
            if (name.removeprefix("Patched").removesuffix("Request"), prop) in NOT_REFERENCES:
                continue
            types = _types(schema, node)
            if prop in to_region:
                expected = "string"
            elif prop == "client_id":
                continue  # the device-made UUID of an offline entry, not a reference
            elif prop in to_other or prop.endswith("_id"):
                expected = "integer"
            else:
                continue
            checked += 1
            # One reference, or a many-to-many list of them (a meeting's invited OPD).
            if types not in ({expected}, {f"array[{expected}]"}):
                wrong.append(f"{name}.{prop}: {sorted(types)}")
    assert wrong == []
    assert checked > 150


def test_filters_are_named_and_typed_as_the_properties_they_filter(schema: dict[str, Any]) -> None:
    wrong = []
    lists = 0
    for path, operation, item in _list_operations(schema):
        lists += 1
        properties = _property_names(schema, item)
        documented = DOCUMENTED.get(operation["operationId"], set())
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] != "query" or name in LISTING or name in documented:
                continue
            base = next((name.removesuffix(s) for s in SUFFIXES if name.endswith(s)), name)
            if name in properties:
                base = name
            if base not in properties:
                wrong.append(f"{path} ?{name}: no such property")
            elif base == name and _types(schema, parameter["schema"]) != _types(schema, properties[name]):
                wrong.append(
                    f"{path} ?{name}: {_types(schema, parameter['schema'])} "
                    f"but the property is {_types(schema, properties[name])}"
                )
    assert wrong == []
    assert lists > 40


def _integer_parameters(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            # `page` out of range is a 404 (DRF's pages), `page_size` has its own test.
            if (
                parameter["in"] == "query"
                and parameter["name"] not in ("page", "page_size")
                and _types(schema, parameter["schema"]) == {"integer"}
            ):
                yield path, parameter["name"]


@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "tiga", "1.5"])
def test_an_integer_parameter_out_of_range_or_not_a_number_is_a_400_naming_it(
    schema: dict[str, Any], district: DistrictFixture, value: str
) -> None:
    client = APIClient()
    client.force_authenticate(district.users["bappeda_admin"])
    answers = {}
    for path, name in _integer_parameters(schema):
        response = client.get(path, {name: value})
        answers[(path, name)] = (response.status_code, name in field_errors(response))
    assert len(answers) > 40
    assert {key: answer for key, answer in answers.items() if answer != (400, True)} == {}


@pytest.mark.parametrize("value", ["99999999999999999999", "tiga"])
def test_a_path_id_out_of_range_or_not_a_number_is_a_404(
    schema: dict[str, Any], district: DistrictFixture, value: str
) -> None:
    client = APIClient()
    client.force_authenticate(district.users["bappeda_admin"])
    answers = {}
    for path, item in schema["paths"].items():
        if "get" in item and "{id}" in path:
            response = client.get(path.replace("{id}", value))
            answers[path] = (response.status_code, response.json()["code"])
    assert len(answers) > 35
    assert {path: answer for path, answer in answers.items() if answer != (404, "not_found")} == {}


def test_filters_take_the_form_of_their_fields(district: DistrictFixture) -> None:
    client = APIClient()
    client.force_authenticate(district.users["bappeda_admin"])

    def listed(path: str, **params: object) -> list[Any]:
        response = client.get(path, params)
        assert response.status_code == 200
        return response.json()["results"]

    posyandu = listed("/api/v1/posyandu/", desa=district.desa_a1.code)
    assert sorted((row["name"], row["desa"]) for row in posyandu) == [
        ("Mawar", "35.10.01.2001"),
        ("Melati", "35.10.01.2001"),
    ]
    puskesmas = listed("/api/v1/puskesmas/", kecamatan=district.kecamatan_b.code)
    assert [(row["name"], row["kecamatan"]) for row in puskesmas] == [("Bangorejo", "35.10.02")]
    regions = listed("/api/v1/regions/", parent=district.kecamatan_a.code)
    assert [(row["code"], row["parent"], row["puskesmas"]) for row in regions] == [
        ("35.10.01.2001", "35.10.01", district.desa_a1.puskesmas_id),
        ("35.10.01.2002", "35.10.01", district.desa_a2.puskesmas_id),
    ]
    line = client.post(
        "/api/v1/budget-lines/",
        {
            "year": 2025,
            "funding_source": "dana_desa",
            "desa": district.desa_a2.code,
            "name": "PMT",
            "allocated": "1",
        },
        format="json",
    )
    assert (line.status_code, line.json()["desa"]) == (201, "35.10.01.2002")
    assert [row["id"] for row in listed("/api/v1/budget-lines/", desa=district.desa_a2.code)] == [
        line.json()["id"]
    ]
    assert listed("/api/v1/budget-lines/", desa=district.desa_a1.code) == []


def test_an_id_filter_on_a_record_outside_the_scope_answers_an_empty_list(district: DistrictFixture) -> None:
    ChildFactory(name="Bunga", posyandu=district.posyandu_b1)
    kader = APIClient()
    kader.force_authenticate(district.users["kader"])
    response = kader.get("/api/v1/children/", {"posyandu": district.posyandu_b1.pk})
    assert (response.status_code, response.json()["results"]) == (200, [])
    bappeda = APIClient()
    bappeda.force_authenticate(district.users["bappeda_admin"])
    response = bappeda.get("/api/v1/children/", {"posyandu": district.posyandu_b1.pk})
    assert [row["name"] for row in response.json()["results"]] == ["Bunga"]
