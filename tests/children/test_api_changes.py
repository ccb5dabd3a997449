"""Incremental sync: `updated_since` on the registry lists and the changes feed of deleted and merged records."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from children.duplicates import child_merge, person_merge
from children.models import AdolescentGirl, Child, Measurement
from children.services import measurement_delete, measurement_record
from convergence.models import Role, Tombstone
from convergence.tombstones import records_delete, synced_kinds
from interventions import services_pmt as pmt
from reports.models import PrevalenceSummary
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import ChildFactory, DistrictFixture, PersonFactory, UserFactory
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child
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
    tombstone = Tombstone.objects.get(kind="children", record_id=removed_id)
    assert kader.json()["results"][0]["when"] == timezone.localtime(tombstone.removed_at).isoformat()
    assert log.merged_at <= tombstone.removed_at
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


def _feed(
    district: DistrictFixture, role: str, since: datetime.datetime
) -> list[tuple[str, int, str, int | None]]:
    response = _api(district, role).get("/api/v1/changes/", {"since": since.isoformat(), "page_size": 1000})
    assert response.status_code == 200
    return sorted(
        (row["kind"], row["id"], row["change"], row["merged_into"]) for row in response.json()["results"]
    )


def test_every_list_that_takes_updated_since_has_its_deletions_in_the_feed(db: None) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    synced = sorted(
        path.removeprefix("/api/v1/").strip("/")
        for path, item in schema["paths"].items()
        if any(p["name"] == "updated_since" for p in item.get("get", {}).get("parameters", []))
    )
    assert synced_kinds() == synced
    change = schema["components"]["schemas"]["RecordChange"]["properties"]
    kind = change["kind"]["allOf"][0]["$ref"].rsplit("/", 1)[-1] if "allOf" in change["kind"] else None
    enum = schema["components"]["schemas"][kind]["enum"] if kind else change["kind"]["enum"]
    assert sorted(enum) == synced


def test_a_child_merge_merges_a_same_day_measurement_into_the_survivors(district: DistrictFixture) -> None:
    since = timezone.now()
    survivor = ChildFactory(name="Budi", posyandu=district.posyandu_a1, birth_date=BORN)
    removed = ChildFactory(name="Budi S", posyandu=district.posyandu_a1, birth_date=BORN)
    kept = _measure(district, survivor, datetime.date(2025, 3, 10))
    twin = _measure(district, removed, datetime.date(2025, 3, 10))
    moved = _measure(district, removed, datetime.date(2025, 4, 10))
    removed_id, twin_id = removed.pk, twin.pk
    child_merge(user=district.users["bappeda_admin"], survivor=survivor, removed=removed)
    expected = [
        ("children", removed_id, "merged", survivor.pk),
        ("measurements", twin_id, "merged", kept.pk),
    ]
    assert _feed(district, "kader", since) == expected
    assert _feed(district, "puskesmas_officer", since) == expected
    assert Measurement.objects.get(pk=moved.pk).child_id == survivor.pk
    # Another desa's KPM and an OPD officer's agency see none of it.
    assert _feed(district, "kpm", since) == []
    assert _feed(district, "no_role", since) == []


def test_a_person_merge_merges_her_adolescent_record_into_the_survivors(district: DistrictFixture) -> None:
    since = timezone.now()
    survivor = PersonFactory(
        name="Sari", sex="P", desa=district.desa_a1, birth_date=datetime.date(2011, 5, 1)
    )
    removed = PersonFactory(
        name="Sari W", sex="P", desa=district.desa_a1, birth_date=datetime.date(2011, 5, 1)
    )
    mine = AdolescentGirl.objects.create(person=survivor, school_name="SMPN 1")
    theirs = AdolescentGirl.objects.create(person=removed)
    removed_id, theirs_id = removed.pk, theirs.pk
    person_merge(user=district.users["bappeda_admin"], survivor=survivor, removed=removed)
    expected = [
        ("adolescent-girls", theirs_id, "merged", mine.pk),
        ("persons", removed_id, "merged", survivor.pk),
    ]
    assert _feed(district, "bappeda_admin", since) == expected
    # The kader follows her desa's adolescent girls; the KPM of the desa beside it does not.
    assert _feed(district, "kader", since) == expected
    assert _feed(district, "kpm", since) == []


def test_deleting_a_child_lists_her_measurements_with_her_and_the_summary_rows_a_recompute_drops(
    district: DistrictFixture,
) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1, birth_date=BORN)
    measurement = _measure(district, child, datetime.date(2025, 3, 10))
    periods = periods_for_months([datetime.date(2025, 3, 1)])
    prevalence_recompute(kabupaten=district.kabupaten, periods=periods)
    rows = dict(PrevalenceSummary.objects.values_list("pk", "level"))
    assert sorted(set(rows.values())) == ["desa", "kabupaten", "kecamatan", "posyandu"]
    since = timezone.now()
    child_id, measurement_id = child.pk, measurement.pk

    records_delete([child])
    prevalence_recompute(kabupaten=district.kabupaten, periods=periods)

    assert PrevalenceSummary.objects.count() == 0
    dropped = sorted(("prevalence", pk, "deleted", None) for pk in rows)
    registry = [("children", child_id, "deleted", None), ("measurements", measurement_id, "deleted", None)]
    assert _feed(district, "bappeda_admin", since) == sorted(registry + dropped)
    # Each role sees the rows it could read: the kader her posyandu's and the aggregates above it, the
    # KPM of the desa beside hers only the aggregates; neither sees the other's unit.
    levels = {level: sorted(pk for pk, kind in rows.items() if kind == level) for level in set(rows.values())}
    kader = [pk for kind, pk, _, _ in _feed(district, "kader", since) if kind == "prevalence"]
    assert kader == sorted(levels["posyandu"] + levels["kecamatan"] + levels["kabupaten"])
    kpm = _feed(district, "kpm", since)
    assert kpm == sorted(
        ("prevalence", pk, "deleted", None) for pk in levels["kecamatan"] + levels["kabupaten"]
    )


def test_a_pmt_episode_deleted_is_seen_by_its_programmes_opd_and_not_by_another(
    district: DistrictFixture,
) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)))
    enrolment = pmt.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    since = timezone.now()
    enrolment_id = enrolment.pk
    records_delete([enrolment])
    expected = [("pmt-enrolments", enrolment_id, "deleted", None)]
    assert _feed(district, "opd_officer", since) == expected
    assert _feed(district, "kader", since) == expected
    district.users["pupr_officer"] = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    assert _feed(district, "pupr_officer", since) == []
    assert _feed(district, "kpm", since) == []


def test_an_adolescent_record_deleted_in_the_admin_leaves_its_tombstone(district: DistrictFixture) -> None:
    girl = AdolescentGirl.objects.create(
        person=PersonFactory(
            name="Rina", sex="P", desa=district.desa_a2, birth_date=datetime.date(2011, 1, 5)
        )
    )
    since = timezone.now()
    admin = Client()
    admin.force_login(district.users["bappeda_admin"])
    response = admin.post(f"/admin/children/adolescentgirl/{girl.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AdolescentGirl.objects.filter(pk=girl.pk).exists()
    assert _feed(district, "kpm", since) == [("adolescent-girls", girl.pk, "deleted", None)]
    # Not the kader of the desa beside it.
    assert _feed(district, "kader", since) == []
