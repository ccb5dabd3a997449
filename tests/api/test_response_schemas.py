"""Every GET of the API answers what its schema documents, for every role: the first page of every list
and one detail per endpoint (an object the role may read, from tests/api/probe_world.py), validated with
JSON Schema 2020-12 (what OpenAPI 3.1 schemas are) against the documented response of its status.

Objects are checked closed: a documented object (one with `properties`) may not carry an undocumented
member, since a generated client drops it silently. Every mismatch is collected, so one run shows them all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from tests.api.probe_world import ROLES, World, build_world
from tests.api.test_scope_probe import AREA_API, Probe, _api_url, _area_targets, _lookup, _model_of, _url
from tests.factories import build_district

_COMPOSED = ("allOf", "oneOf", "anyOf", "$ref")


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
        yield build_world(build_district())
        transaction.set_rollback(True)


def _closed(node: Any) -> Any:
    """The schema with every plain object (properties, no composition) closed to other members."""
    if isinstance(node, list):
        return [_closed(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _closed(value) for key, value in node.items()}
    plain = "properties" in out and not any(key in out for key in _COMPOSED)
    if plain and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


class Checker:
    """The documented response of each (path, status), as a Draft 2020-12 validator over the components."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = _closed(copy.deepcopy(document.get("components", {})))
        self.mismatches: list[str] = []
        self.checked = self.ok = 0

    def check(self, role: str, path: str, url: str, response: Any) -> None:
        self.checked += 1
        where = f"{role} GET {url}: {response.status_code}"
        documented = self.document["paths"][path]["get"]["responses"].get(str(response.status_code))
        if documented is None:
            self.mismatches.append(f"{where} is not documented")
            return
        content = documented.get("content", {})
        media = response.get("Content-Type", "").split(";")[0]
        if media not in content:
            self.mismatches.append(f"{where} answers {media!r}, documented {sorted(content)}")
            return
        if media != "application/json":
            return
        schema = {**_closed(content[media].get("schema", {})), "components": self.components}
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(
            validator.iter_errors(response.json()), key=lambda e: [str(p) for p in e.absolute_path]
        )
        for error in errors:
            at = "/".join(str(part) for part in error.absolute_path)
            self.mismatches.append(f"{where} at /{at}: {error.message[:300]}")
        self.ok += response.status_code == 200 and not errors


def test_every_get_answers_its_documented_schema_for_every_role(world: World, db: None) -> None:
    document = SchemaGenerator().get_schema(request=None, public=True)
    checker = Checker(document)
    probe = Probe(world, "api", [])
    gets = [path for path, item in document["paths"].items() if "get" in item]
    unmapped = []
    for path in gets:
        for role in ROLES:
            client = probe.api(role)
            if _lookup(path) is None:
                checker.check(role, path, path, client.get(path))
                continue
            if path in AREA_API:
                # Addressed by a region code: an area the role reads (the scope probe's table).
                targets = _area_targets(world, AREA_API[path])
                inside = next((kwargs for kwargs, readers in targets if role in readers), None)
                if inside is not None:
                    url = _api_url(path)(inside)
                    checker.check(role, path, url, client.get(url))
                continue
            model = _model_of(path, probe)
            obj = world.inside(model, role) if model is not None else None
            if model is None:
                unmapped.append(path)
            elif obj is not None:
                url = _url(path, obj)
                checker.check(role, path, url, client.get(url))
    assert sorted(set(unmapped)) == []
    # Several roles read every endpoint: the walk is not vacuous (a 200 per role is not always possible).
    assert checker.ok >= len(gets) * 3, (checker.ok, checker.checked, len(gets))
    assert checker.mismatches == [], f"{len(checker.mismatches)} mismatches:\n" + "\n".join(
        checker.mismatches
    )


class _Answer:
    """What Checker reads of a response: status, Content-Type and JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        self.status_code, self.body = status, body

    def get(self, header: str, default: str = "") -> str:
        return "application/json" if header == "Content-Type" else default

    def json(self) -> Any:
        return self.body


def test_the_checker_refuses_undocumented_members_wrong_types_and_formats() -> None:
    document = SchemaGenerator().get_schema(request=None, public=True)
    checker = Checker(document)
    region = {"code": "35.10", "name": "BANYUWANGI", "level": "kabupaten", "parent": "35"}
    region |= {"puskesmas": None, "extra": 1}
    page = {"count": "1", "next": "not a uri", "previous": None, "results": [region]}
    checker.check("kader", "/api/v1/regions/", "/api/v1/regions/", _Answer(200, page))
    checker.check("kader", "/api/v1/regions/", "/api/v1/regions/", _Answer(418, {}))
    assert [m.split(": ", 2)[-1][:60] for m in checker.mismatches] == [
        "'1' is not of type 'integer'",
        "'not a uri' is not a 'uri'",
        "Additional properties are not allowed ('extra' was unexpecte",
        "418 is not documented",
    ]
