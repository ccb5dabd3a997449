"""Incremental sync: `updated_since` on the registry lists and the changes feed of deleted and merged records."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from children.duplicates import child_merge
from children.models import Child, Measurement
from children.services import measurement_delete, measurement_record
from tests.factories import ChildFactory, DistrictFixture
from tests.problems import field_errors

BORN = datetime.date(2024, 3, 10)


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def _measure(
    district: DistrictFixture,
    child: Child,
    day: datetime.date,
    *,
    weight_kg: str = "9.5",
    corrects: int | None = None,
) -> Measurement:
    return measurement_record(
        user=district.users["bappeda_admin"],
        child=child,
        measured_on=day,
        weight_kg=Decimal(weight_kg),
        height_cm=None,
        corrects=corrects,
    ).measurement


def test_updated_since_lists_only_the_rows_changed_after_it(district: DistrictFixture) -> None:
    old = ChildFactory(name="Lama", posyandu=district.posyandu_a1)
    fresh = ChildFactory(name="Baru", posyandu=district.posyandu_a1)
    moment = timezone.now()
    Child.objects.filter(pk=old.pk).update(updated_at=moment - datetime.timedelta(hours=1))
    Child.objects.filter(pk=fresh.pk).update(updated_at=moment + datetime.timedelta(seconds=1))
    api = _api(district, "kader")
    rows = api.get("/api/v1/children/", {"updated_since": moment.isoformat()}).json()["results"]
    assert [(row["name"], row["updated_at"]) for row in rows] == [
        ("Baru", timezone.localtime(moment + datetime.timedelta(seconds=1)).isoformat())
    ]
    ordered = api.get("/api/v1/children/", {"ordering": "-updated_at"}).json()["results"]
    assert [row["name"] for row in ordered] == ["Baru", "Lama"]


def test_a_write_through_a_service_moves_updated_at(district: DistrictFixture) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1, birth_date=BORN)
    measurement = _measure(district, child, datetime.date(2025, 3, 10))
    before = timezone.now()
    rows = _api(district, "kader").get("/api/v1/measurements/", {"updated_since": before.isoformat()})
    assert rows.json()["results"] == []
    _measure(district, child, datetime.date(2025, 3, 10))  # the same values again: nothing changes
    rows = _api(district, "kader").get("/api/v1/measurements/", {"updated_since": before.isoformat()})
    assert rows.json()["results"] == []
    _measure(district, child, datetime.date(2025, 3, 10), weight_kg="9.7", corrects=measurement.pk)
    rows = _api(district, "kader").get("/api/v1/measurements/", {"updated_since": before.isoformat()})
    assert [row["id"] for row in rows.json()["results"]] == [measurement.pk]


@pytest.mark.parametrize("value", ["kemarin", "2025-13-01T00:00:00", "0001-01-01T00:00:00+07:00"])
def test_a_bad_updated_since_is_a_400_by_field(district: DistrictFixture, value: str) -> None:
    response = _api(district, "kader").get("/api/v1/children/", {"updated_since": value})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["updated_since"]


def test_the_feed_lists_a_merge_and_a_deleted_measurement_in_scope(district: DistrictFixture) -> None:
    since = timezone.now()
    survivor = ChildFactory(name="Budi", posyandu=district.posyandu_a1, birth_date=BORN)
    removed = ChildFactory(name="Budi S", posyandu=district.posyandu_a1, birth_date=BORN)
    removed_id = removed.pk
    log = child_merge(user=district.users["bappeda_admin"], survivor=survivor, removed=removed)
    measurement = _measure(district, survivor, datetime.date(2025, 3, 10))
    measurement_id = measurement.pk
    measurement_delete(user=district.users["bappeda_admin"], measurement=measurement)
    elsewhere = ChildFactory(name="Siti", posyandu=district.posyandu_a1_second, birth_date=BORN)
    other = _measure(district, elsewhere, datetime.date(2025, 3, 10))
    other_id = other.pk
    measurement_delete(user=district.users["bappeda_admin"], measurement=other)

    kader = _api(district, "kader").get("/api/v1/changes/", {"since": since.isoformat()})
    assert kader.status_code == 200
    assert [
        (row["kind"], row["id"], row["change"], row["merged_into"]) for row in kader.json()["results"]
    ] == [
        ("children", removed_id, "merged", survivor.pk),
        ("measurements", measurement_id, "deleted", None),
    ]
    assert kader.json()["results"][0]["when"] == timezone.localtime(log.merged_at).isoformat()
    bappeda = _api(district, "bappeda_admin").get("/api/v1/changes/", {"since": since.isoformat()})
    assert [(row["kind"], row["id"]) for row in bappeda.json()["results"]] == [
        ("children", removed_id),
        ("measurements", measurement_id),
        ("measurements", other_id),
    ]
    later = _api(district, "bappeda_admin").get("/api/v1/changes/", {"since": timezone.now().isoformat()})
    assert later.json()["results"] == []


def test_the_feed_needs_since(district: DistrictFixture) -> None:
    response = _api(district, "kader").get("/api/v1/changes/")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["since"]


def test_the_schema_documents_updated_since_and_the_feed(db: None) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    synced = sorted(
        path
        for path, item in schema["paths"].items()
        if any(p["name"] == "updated_since" for p in item.get("get", {}).get("parameters", []))
    )
    assert synced == [
        "/api/v1/adolescent-girls/",
        "/api/v1/budget-lines/",
        "/api/v1/children/",
        "/api/v1/disbursements/",
        "/api/v1/keluarga/",
        "/api/v1/measurements/",
        "/api/v1/persons/",
        "/api/v1/pmt-enrolments/",
        "/api/v1/pregnancies/",
        "/api/v1/prevalence/",
    ]
    feed = schema["paths"]["/api/v1/changes/"]["get"]
    assert [(p["name"], p["required"]) for p in feed["parameters"] if p["in"] == "query"] == [
        ("page", False),
        ("page_size", False),
        ("since", True),
    ]
