"""The offline posyandu day's sync (POST measurements/sync/) and the idempotent single-entry POST.

A resent entry, batch or half batch never adds a row; a day holding other values is a conflict that
overwrites nothing; a child outside the kader's posyandu is "does not exist"; never a 5xx, also for
20 identical requests at once (PostgreSQL, real threads).
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from children import changes
from children.api.serializers import SYNC_MAX_ENTRIES
from children.models import Child, Measurement
from children.services import measurement_record
from tests.factories import ChildFactory, DistrictFixture, build_district

SYNC = "/api/v1/measurements/sync/"
SINGLE = "/api/v1/measurements/"
BORN = datetime.date(2024, 3, 10)
DAY = "2025-03-10"


def _api(district: DistrictFixture, role: str = "kader") -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def _entry(child: Child, **values: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "child": child.pk,
        "measured_on": DAY,
        "weight_kg": "9.6",
        "height_cm": "75.0",
        "position": "L",
        **values,
    }


def _children(district: DistrictFixture, n: int) -> list[Child]:
    return [
        ChildFactory(name=f"Anak {i}", posyandu=district.posyandu_a1, birth_date=BORN, sex="LP"[i % 2])
        for i in range(n)
    ]


def _sync(api: APIClient, entries: list[Any]) -> list[dict[str, Any]]:
    response = api.post(SYNC, {"entries": entries}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_creates_each_entry_with_its_z_scores_and_statuses(district: DistrictFixture) -> None:
    children = _children(district, 3)
    entries = [_entry(child) for child in children]
    results = _sync(_api(district), entries)
    stored = {m.client_id: m for m in Measurement.objects.all()}
    assert [(r["index"], r["client_id"], r["status"]) for r in results] == [
        (i, e["client_id"], "created") for i, e in enumerate(entries)
    ]
    for result in results:
        row = stored[uuid.UUID(result["client_id"])]
        body = result["measurement"]
        assert (body["id"], body["client_id"], body["source"]) == (row.pk, result["client_id"], "api")
        assert [body[name] for name in ("waz", "haz", "whz", "baz")] == [row.waz, row.haz, row.whz, row.baz]
        assert body["categories"]["haz"]["code"] == row.haz_category
        assert body["weight_gain"] == {"code": "B", "label": "Baru pertama kali ditimbang"}
        assert "errors" not in result
    assert Measurement.objects.count() == 3
    assert {m.measured_by_id for m in stored.values()} == {district.users["kader"].pk}
    assert [list(m.history.values_list("history_type", "history_user_id")) for m in stored.values()] == [
        [("+", district.users["kader"].pk)]
    ] * 3


def test_the_batch_is_announced_once_to_the_prevalence_listeners(
    district: DistrictFixture, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[changes.MeasurementChanges] = []
    monkeypatch.setattr(changes, "_LISTENERS", [heard.append])
    children = _children(district, 4)
    with django_capture_on_commit_callbacks(execute=True):
        _sync(_api(district), [_entry(child) for child in children])
    assert heard == [
        changes.MeasurementChanges(
            desa_ids=frozenset({district.posyandu_a1.desa_id}),
            posyandu_ids=frozenset({district.posyandu_a1.pk}),
            months=frozenset({datetime.date(2025, 3, 1)}),
        )
    ]


def _sync_queries(district: DistrictFixture, n: int) -> int:
    entries = [_entry(child) for child in _children(district, n)]
    api = APIClient()
    # A fresh user object each time: the scope is cached on it for the request.
    api.force_authenticate(type(district.users["kader"]).objects.get(pk=district.users["kader"].pk))
    with CaptureQueriesContext(connection) as queries:
        assert {r["status"] for r in _sync(api, entries)} == {"created"}
    return len(queries)


def test_a_batch_takes_the_same_number_of_queries_for_one_or_five_entries(district: DistrictFixture) -> None:
    assert _sync_queries(district, 1) == _sync_queries(district, 5)


def test_a_resent_batch_answers_the_same_results_and_adds_no_row(district: DistrictFixture) -> None:
    children = _children(district, 4)
    entries = [_entry(child) for child in children]
    api = _api(district)
    first = _sync(api, entries)
    again = _sync(api, entries)
    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert [r["measurement"] for r in again] == [r["measurement"] for r in first]
    assert Measurement.objects.count() == 4


def test_a_batch_cut_off_half_way_then_resent_in_full_adds_no_second_row(district: DistrictFixture) -> None:
    children = _children(district, 6)
    entries = [_entry(child) for child in children]
    api = _api(district)
    half = _sync(api, entries[:3])
    full = _sync(api, entries)
    assert [r["status"] for r in full] == ["duplicate"] * 3 + ["created"] * 3
    assert [r["measurement"]["id"] for r in full[:3]] == [r["measurement"]["id"] for r in half]
    assert Measurement.objects.count() == 6
    assert sorted(Measurement.objects.values_list("client_id", flat=True)) == sorted(
        uuid.UUID(e["client_id"]) for e in entries
    )


def test_other_values_for_a_measured_day_are_a_conflict_showing_the_stored_one(
    district: DistrictFixture,
) -> None:
    (child,) = _children(district, 1)
    stored = measurement_record(
        user=district.users["kader"],
        child=child,
        measured_on=datetime.date(2025, 3, 10),
        weight_kg=Decimal("9.1"),
        height_cm=Decimal("75.0"),
        position="L",
    ).measurement
    same = _entry(child, weight_kg="9.10")
    other = _entry(child, weight_kg="9.6")
    results = _sync(_api(district), [same, other])
    assert [(r["status"], r["measurement"]["id"]) for r in results] == [
        ("duplicate", stored.pk),
        ("conflict", stored.pk),
    ]
    assert results[1]["measurement"]["weight_kg"] == "9.10"
    assert list(Measurement.objects.values_list("pk", "weight_kg", "client_id")) == [
        (stored.pk, Decimal("9.10"), None)
    ]


def test_a_rejected_entry_names_the_field_with_its_index_and_the_others_are_recorded(
    district: DistrictFixture,
) -> None:
    children = _children(district, 3)
    entries = [
        _entry(children[0]),
        _entry(children[1], weight_kg="90"),
        {k: v for k, v in _entry(children[2]).items() if k != "client_id"},
        "not an entry",
    ]
    results = _sync(_api(district), entries)
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected"]
    assert results[1] == {
        "index": 1,
        "client_id": entries[1]["client_id"],
        "status": "rejected",
        "errors": [
            {
                "field": "weight_kg",
                "code": "invalid",
                "detail": "Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)",
                "index": 1,
            }
        ],
    }
    assert results[2]["client_id"] is None
    assert [(e["field"], e["code"], e["index"]) for e in results[2]["errors"]] == [
        ("client_id", "required", 2)
    ]
    assert [(e["field"], e["index"]) for e in results[3]["errors"]] == [("non_field_errors", 3)]
    assert list(Measurement.objects.values_list("child_id", flat=True)) == [children[0].pk]


def test_an_implausible_entry_is_rejected_until_confirmed(district: DistrictFixture) -> None:
    (child,) = _children(district, 1)
    entry = _entry(child, weight_kg="30.0", height_cm=None, position="")
    (refused,) = _sync(_api(district), [entry])
    assert (refused["status"], [e["field"] for e in refused["errors"]]) == (
        "rejected",
        ["remeasure_confirmed"],
    )
    assert refused["errors"][0]["code"] == "needs_confirmation"
    (confirmed,) = _sync(_api(district), [{**entry, "remeasure_confirmed": True}])
    assert (confirmed["status"], confirmed["measurement"]["remeasure_confirmed"]) == ("created", True)


def test_a_child_outside_the_kaders_posyandu_is_rejected_as_not_existing(district: DistrictFixture) -> None:
    (mine,) = _children(district, 1)
    elsewhere = ChildFactory(posyandu=district.posyandu_a1_second, birth_date=BORN)
    api = _api(district)
    entries = [_entry(mine), _entry(elsewhere)]
    results = _sync(api, entries)
    single = api.post(SINGLE, {k: v for k, v in entries[1].items() if k != "client_id"}, format="json")
    assert single.status_code == 400
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["errors"] == [{**single.json()["errors"][0], "index": 1}]
    assert results[1]["errors"][0]["code"] == "does_not_exist"
    assert elsewhere.name not in str(results[1])
    assert list(Measurement.objects.values_list("child_id", flat=True)) == [mine.pk]


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "no_role"])
def test_roles_that_do_not_write_the_registry_are_refused(district: DistrictFixture, role: str) -> None:
    (child,) = _children(district, 1)
    response = _api(district, role).post(SYNC, {"entries": [_entry(child)]}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert Measurement.objects.count() == 0


def test_a_batch_over_the_limit_is_refused_whole(district: DistrictFixture) -> None:
    (child,) = _children(district, 1)
    entries = [_entry(child) for _ in range(SYNC_MAX_ENTRIES + 1)]
    response = _api(district).post(SYNC, {"entries": entries}, format="json")
    body = response.json()
    assert (response.status_code, body["code"], [e["field"] for e in body["errors"]]) == (
        400,
        "invalid",
        ["entries"],
    )
    assert Measurement.objects.count() == 0


def test_a_replayed_single_entry_answers_the_first_result(district: DistrictFixture) -> None:
    (child,) = _children(district, 1)
    data = _entry(child)
    api = _api(district)
    first = api.post(SINGLE, data, format="json")
    replay = api.post(SINGLE, data, format="json")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert Measurement.objects.count() == 1


def test_a_single_entry_without_client_id_answers_the_same_day_as_stored_or_conflicting(
    district: DistrictFixture,
) -> None:
    (child,) = _children(district, 1)
    data = {k: v for k, v in _entry(child).items() if k != "client_id"}
    api = _api(district)
    first = api.post(SINGLE, data, format="json")
    identical = api.post(SINGLE, {**data, "weight_kg": "9.60"}, format="json")
    different = api.post(SINGLE, {**data, "weight_kg": "9.7"}, format="json")
    assert (first.status_code, identical.status_code, different.status_code) == (201, 200, 409)
    assert identical.json() == first.json()
    body = different.json()
    assert (body["status"], body["code"], body["existing"]) == (409, "conflict", first.json())
    assert body["detail"] == "Anak ini sudah punya pengukuran lain pada tanggal itu; data tidak ditimpa."
    assert list(Measurement.objects.values_list("weight_kg", flat=True)) == [Decimal("9.60")]


# --- concurrency: real connections, PostgreSQL only ----------------------------------------------------


def _post_each_at_once(district: DistrictFixture, url: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """POST each body from its own thread (its own database connection), all released together;
    returns the responses."""
    barrier = threading.Barrier(len(bodies))
    responses: list[Any] = []

    def post(body: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=30)
            responses.append(_api(district).post(url, body, format="json"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def _post_at_once(district: DistrictFixture, url: str, body: dict[str, Any], n: int = 20) -> Counter[int]:
    return Counter(response.status_code for response in _post_each_at_once(district, url, [body] * n))


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks"
)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("with_client_id", [True, False])
def test_twenty_identical_requests_at_once_make_one_row_and_no_server_error(with_client_id: bool) -> None:
    district = build_district()
    (child,) = _children(district, 1)
    data = _entry(child)
    if not with_client_id:
        del data["client_id"]
    statuses = _post_at_once(district, SINGLE, data)
    assert statuses == Counter({201: 1, 200: 19})
    assert Measurement.objects.filter(child=child).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_identical_batches_at_once_make_each_row_once() -> None:
    district = build_district()
    entries = [_entry(child) for child in _children(district, 5)]
    statuses = _post_at_once(district, SYNC, {"entries": entries})
    assert statuses == Counter({200: 20})
    assert Measurement.objects.count() == 5


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_identical_batches_at_once_create_each_entry_in_one_answer_only() -> None:
    district = build_district()
    entries = [_entry(child) for child in _children(district, 3)]
    responses = _post_each_at_once(district, SYNC, [{"entries": entries}] * 20)
    assert Counter(response.status_code for response in responses) == Counter({200: 20})
    per_entry = [Counter(response.json()[i]["status"] for response in responses) for i in range(3)]
    assert per_entry == [Counter({"created": 1, "duplicate": 19})] * 3
    ids = {response.json()[i]["measurement"]["id"] for response in responses for i in range(3)}
    assert ids == set(Measurement.objects.values_list("pk", flat=True))
    assert Measurement.objects.count() == 3


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_different_values_for_one_day_at_once_keep_the_first_and_conflict_the_rest() -> None:
    district = build_district()
    (child,) = _children(district, 1)
    bodies = [_entry(child, weight_kg=f"9.{i:02d}") for i in range(20)]
    responses = _post_each_at_once(district, SINGLE, bodies)
    assert Counter(response.status_code for response in responses) == Counter({201: 1, 409: 19})
    (created,) = [response.json() for response in responses if response.status_code == 201]
    stored = Measurement.objects.get(child=child)
    assert created["id"] == stored.pk
    assert {response.json()["existing"]["id"] for response in responses if response.status_code == 409} == {
        stored.pk
    }
