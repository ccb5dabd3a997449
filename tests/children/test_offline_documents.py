"""The documents of the offline posyandu page: the WHO tables and the rules as the server engine holds
them, each under an address carrying the hash of its content, cached for good; the manifest names them."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from children import offline, rules
from children.growth import classify, tables, zscore
from children.models import MinimumWeightGain
from children.selectors import kbm_table_on

MANIFEST = "/posyandu/offline/manifest.json"


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def fresh_tables_document() -> Iterator[None]:
    offline.growth_tables_document.cache_clear()
    yield
    offline.growth_tables_document.cache_clear()


def _manifest(client: Client, language: str = "id") -> dict[str, Any]:
    response = client.get(MANIFEST, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_it_serves_the_who_tables_the_engine_loads_value_for_value(anonymous: Client) -> None:
    manifest = _manifest(anonymous)

    response = anonymous.get(manifest["growth_tables"]["url"])

    assert response.status_code == 200
    served = json.loads(response.content)
    assert (
        set(served["tables"])
        == set(tables.TABLE_FILES)
        == {"wfa", "lhfa", "bfa", "hcfa", "acfa", "wfl", "wfh"}
    )
    for name, table in tables.all_tables().items():
        data = served["tables"][name]
        assert (data["key_min"], data["rows"]) == (table.key_min, table.rows)
        for column in ("l", "m", "s"):
            # Exactly the same doubles, not merely close: the text of each is its shortest round-trip form.
            assert np.array_equal(np.array(data[column], dtype=np.float64), getattr(table, column)), (
                name,
                column,
            )
    assert served["constants"] == {
        "sex_male": 1,
        "sex_female": 2,
        "age_days_max": 1856,
        "acfa_age_days_min": 91,
        "wfl_length_mm": [450, 1100],
        "wfh_height_mm": [650, 1200],
        "length_to_height_age_days": zscore.LENGTH_TO_HEIGHT_AGE_DAYS,
        "standing_min_age_days": zscore.STANDING_MIN_AGE_DAYS,
        "position_adjustment_mm": 7,
    }
    assert served["categories"]["edges"]["haz"] == [[-3.0, True], [-2.0, True], [3.0, False]]
    assert served["categories"]["edges"]["whz"] == [list(edge) for edge in classify.GIZI_EDGES]
    assert served["flags"]["waz"] == [-6.0, 5.0]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
def test_it_serves_the_rules_of_the_servers_rule_table_in_the_language_asked(
    anonymous: Client, language: str
) -> None:
    manifest = _manifest(anonymous, language)

    response = anonymous.get(manifest["rules"]["url"])

    assert manifest["language"] == language
    assert (
        manifest["rules"]["url"] == f"/posyandu/offline/aturan/{language}/{manifest['rules']['version']}.json"
    )
    served = json.loads(response.content)
    with translation.override(language):
        assert served["measurement_rules"] == rules.rules_as_data()
        assert served["position_rule"] == rules.position_rule_as_data()
    assert served["language"] == language
    in_force = kbm_table_on(day=datetime.date(2030, 1, 1))
    assert (
        served["kbm"][-1]["rows"]
        == np.column_stack([in_force.age_month_from, in_force.age_month_to, in_force.min_gain_g]).tolist()
    )
    expected_label = "Pendek" if language == "id" else "Stunted"
    assert served["labels"]["categories"]["haz"][str(classify.TBU_PENDEK)] == expected_label


@pytest.mark.django_db
def test_it_names_each_document_by_the_hash_of_its_bytes(anonymous: Client) -> None:
    manifest = _manifest(anonymous)

    for name, document in (
        ("growth_tables", offline.growth_tables_document()),
        ("rules", offline.rules_document()),
    ):
        content = anonymous.get(manifest[name]["url"]).content
        assert content == document.content
        assert manifest[name]["version"] == hashlib.sha256(content).hexdigest()[:16] == document.version


@pytest.mark.django_db
def test_it_gives_the_rules_a_new_version_when_an_administrator_edits_the_kbm(anonymous: Client) -> None:
    before = _manifest(anonymous)["rules"]

    MinimumWeightGain.objects.filter(age_month_from=11).update(min_gain_g=250)
    after = _manifest(anonymous)["rules"]

    assert after["version"] != before["version"]
    assert (
        anonymous.get(before["url"]).status_code == 404
    )  # a stale address: the page asks the manifest again
    assert json.loads(anonymous.get(after["url"]).content)["kbm"][-1]["rows"][-1][2] == 250


@pytest.mark.django_db
def test_it_gives_the_tables_a_new_version_when_their_content_changes(
    anonymous: Client, monkeypatch: pytest.MonkeyPatch, fresh_tables_document: None
) -> None:
    before = _manifest(anonymous)["growth_tables"]
    real = offline.growth_tables_data

    def changed() -> dict[str, Any]:
        data = real()
        data["tables"]["wfa"]["m"][0] += 0.0001
        return data

    monkeypatch.setattr(offline, "growth_tables_data", changed)
    offline.growth_tables_document.cache_clear()
    after = _manifest(anonymous)["growth_tables"]

    assert after["version"] != before["version"]
    assert after["url"] == f"/posyandu/offline/tabel-who/{after['version']}.json"
    assert anonymous.get(before["url"]).status_code == 404
    assert anonymous.get(after["url"]).status_code == 200


@pytest.mark.django_db
def test_it_lets_browsers_keep_the_versioned_documents_and_revalidate_the_manifest(anonymous: Client) -> None:
    first = anonymous.get(MANIFEST)
    manifest = first.json()

    again = anonymous.get(MANIFEST, HTTP_IF_NONE_MATCH=first["ETag"])
    tables_response = anonymous.get(manifest["growth_tables"]["url"])
    rules_response = anonymous.get(manifest["rules"]["url"])

    assert first["Cache-Control"] == "no-cache"
    assert again.status_code == 304
    for response in (tables_response, rules_response):
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["Content-Type"] == "application/json"
    assert manifest["engine_script"] == "/static/children/growth_engine.js"


@pytest.mark.django_db
def test_it_refuses_what_is_not_a_document(anonymous: Client) -> None:
    manifest = _manifest(anonymous)
    version = manifest["rules"]["version"]

    assert anonymous.get(f"/posyandu/offline/aturan/fr/{version}.json").status_code == 404
    assert anonymous.get("/posyandu/offline/tabel-who/0000000000000000.json").status_code == 404
    assert anonymous.post(MANIFEST).status_code == 405
    assert anonymous.post(manifest["growth_tables"]["url"]).status_code == 405


def test_the_addresses_are_the_apps_own() -> None:
    assert reverse("children:offline-manifest") == MANIFEST
    assert reverse("children:offline-growth-tables", args=["abc"]) == "/posyandu/offline/tabel-who/abc.json"
    assert reverse("children:offline-rules", args=["id", "abc"]) == "/posyandu/offline/aturan/id/abc.json"
