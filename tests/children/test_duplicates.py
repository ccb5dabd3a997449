"""The likely-duplicate queue: finder rules, the batch scan, dismissal, and merges that lose nothing."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from children import duplicates, pii
from children.duplicates_scan import duplicates_scan
from children.growth.weight_gain import B_BARU
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    Measurement,
    MergeLog,
    Person,
    Pregnancy,
    RecordAccess,
)
from children.services import child_save, measurement_record, person_save
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, PersonFactory

BORN = datetime.date(2024, 3, 10)
# A boy born 10-03-2024 registered in kecamatan 35.10.01.
NIK_BOY = "3510011003240001"


def _pairs() -> list[tuple[str, str, str]]:
    return sorted(
        (c.child_a.name, c.child_b.name, c.reason)
        for c in DuplicateCandidate.objects.filter(kind="anak").select_related("child_a", "child_b")
    )


def _child(district: DistrictFixture, name: str, **fields: object) -> Child:
    fields.setdefault("posyandu", district.posyandu_a1)
    fields.setdefault("sex", "L")
    fields.setdefault("birth_date", BORN)
    return child_save(user=None, name=name, **fields).obj  # type: ignore[return-value]


# Finding ---------------------------------------------------------------------------------------------


def test_it_queues_a_child_with_the_same_registry_mother_birth_date_and_sex(
    district: DistrictFixture,
) -> None:
    mother = PersonFactory(desa=district.desa_a1, name="Siti Aminah")
    _child(district, "Budi", mother=mother)
    # Registered again at another desa's posyandu under a nickname: the mother links them.
    _child(district, "Ucok", mother=mother, posyandu=district.posyandu_b1)
    assert _pairs() == [("Budi", "Ucok", "ibu_tgl_lahir_jk")]


def test_it_queues_children_whose_written_mother_names_match_in_one_desa(district: DistrictFixture) -> None:
    _child(district, "Budi", mother_name="Ny. Siti Aminah")
    _child(district, "Ahmad", mother_name="SITI AMINAH", posyandu=district.posyandu_a1_second)
    _child(district, "Joko", mother_name="Siti Aminah", posyandu=district.posyandu_a2)  # another desa
    assert _pairs() == [("Budi", "Ahmad", "ibu_tgl_lahir_jk")]


def test_it_queues_a_similar_name_born_the_same_day_in_the_same_desa(district: DistrictFixture) -> None:
    _child(district, "Muhammad Rizky")
    _child(district, "Muhamad Rizki", sex="P")
    _child(district, "Muhammad Rizky", posyandu=district.posyandu_a2)  # another desa
    _child(district, "Muhammad Rizqi", birth_date=BORN + datetime.timedelta(days=1))  # another day
    assert _pairs() == [("Muhammad Rizky", "Muhamad Rizki", "nama_mirip_tgl_lahir")]
    candidate = DuplicateCandidate.objects.get()
    assert candidate.child_a_id < candidate.child_b_id
    assert candidate.desa == district.desa_a1


def test_it_does_not_queue_siblings_of_another_sex_or_day_or_name(district: DistrictFixture) -> None:
    mother = PersonFactory(desa=district.desa_a1)
    _child(district, "Budi", mother=mother)
    _child(district, "Sari", mother=mother, sex="P")  # twins of another sex
    _child(district, "Dewi", mother=mother, sex="P", birth_date=datetime.date(2022, 1, 5))
    _child(district, "Agus")  # same day and desa, another name and mother
    assert _pairs() == []


def test_it_queues_persons_with_a_similar_name_and_birth_date_in_one_desa(district: DistrictFixture) -> None:
    born = datetime.date(1996, 2, 2)
    first = person_save(user=None, name="Nur Hasanah", sex="P", birth_date=born, desa=district.desa_a1).obj
    second = person_save(user=None, name="Nurhasanah", sex="P", birth_date=born, desa=district.desa_a1).obj
    person_save(user=None, name="Nur Hasanah", sex="P", birth_date=born, desa=district.desa_a2)
    person_save(user=None, name="Nur Hasanah", sex="P", birth_date=None, desa=district.desa_a1)
    assert list(DuplicateCandidate.objects.values_list("kind", "person_a", "person_b", "reason")) == [
        ("penduduk", first.pk, second.pk, "nama_mirip_tgl_lahir")
    ]


def test_the_scan_finds_the_pairs_in_groups_and_queues_each_once(district: DistrictFixture) -> None:
    mother = PersonFactory(desa=district.desa_a1)
    # Bulk-loaded rows (as an import does) never went through the per-record finder.
    ChildFactory(name="Budi", posyandu=district.posyandu_a1, mother=mother)
    ChildFactory(name="Ucok", posyandu=district.posyandu_b1, mother=mother)
    ChildFactory(name="Muhammad Rizky", posyandu=district.posyandu_a2)
    ChildFactory(name="Muhamad Rizki", posyandu=district.posyandu_a2, sex="P")
    ChildFactory(name="Lain", posyandu=district.posyandu_a2, birth_date=datetime.date(2023, 1, 1))
    PersonFactory(name="Nur Hasanah", desa=district.desa_b1)
    PersonFactory(name="Nurhasanah", desa=district.desa_b1)
    assert duplicates_scan(desa_ids=[district.desa_a2.pk]) == 1
    assert duplicates_scan() == 2
    assert duplicates_scan() == 0
    assert _pairs() == [
        ("Budi", "Ucok", "ibu_tgl_lahir_jk"),
        ("Muhammad Rizky", "Muhamad Rizki", "nama_mirip_tgl_lahir"),
    ]
    assert DuplicateCandidate.objects.filter(kind="penduduk").count() == 1


def test_the_scan_of_one_desa_follows_its_mothers_into_other_desa(district: DistrictFixture) -> None:
    mother = PersonFactory(desa=district.desa_a1)
    ChildFactory(name="Budi", posyandu=district.posyandu_a1, mother=mother)
    ChildFactory(name="Ucok", posyandu=district.posyandu_b1, mother=mother)
    assert duplicates_scan(desa_ids=[district.desa_b1.pk]) == 1


def test_it_never_queues_a_dismissed_pair_again(district: DistrictFixture) -> None:
    budi = _child(district, "Muhammad Rizky")
    _child(district, "Muhamad Rizki")
    candidate = DuplicateCandidate.objects.get()
    duplicates.duplicate_dismiss(
        user=district.users["puskesmas_officer"], candidate=candidate, note="Kembar, ibu sudah dikonfirmasi"
    )
    child_save(user=None, child=budi, address="Dusun Krajan")
    assert duplicates_scan() == 0
    candidate.refresh_from_db()
    assert (DuplicateCandidate.objects.count(), candidate.status, candidate.note) == (
        1,
        "bukan_duplikat",
        "Kembar, ibu sudah dikonfirmasi",
    )
    assert candidate.resolved_by == district.users["puskesmas_officer"]


# Merging children ------------------------------------------------------------------------------------


def _measure(child: Child, day: datetime.date, weight: str) -> Measurement:
    return measurement_record(
        user=None,
        child=child,
        measured_on=day,
        weight_kg=Decimal(weight),
        height_cm=None,
        remeasure_confirmed=True,
    ).measurement


@pytest.fixture
def pair(district: DistrictFixture) -> tuple[Child, Child, DuplicateCandidate]:
    survivor = _child(district, "Muhammad Rizky", mother_name="Siti")
    removed = child_save(
        user=None,
        name="Muhamad Rizki",
        sex="L",
        birth_date=BORN,
        posyandu=district.posyandu_a1,
        father_name="Bambang",
        birth_weight_kg=Decimal("3.10"),
        nik=NIK_BOY,
    ).obj
    return survivor, removed, DuplicateCandidate.objects.get()  # type: ignore[return-value]


def test_a_merge_keeps_every_measurement_and_logs_the_same_day_conflicts(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    day = datetime.date
    _measure(survivor, day(2024, 5, 10), "6.0")
    _measure(survivor, day(2024, 6, 10), "6.8")
    _measure(removed, day(2024, 4, 10), "5.0")
    _measure(removed, day(2024, 6, 10), "6.5")
    _measure(removed, day(2024, 7, 10), "7.2")
    newborn_of = Pregnancy.objects.create(
        mother=PersonFactory(desa=district.desa_a1),
        desa=district.desa_a1,
        outcome="lahir_hidup",
        delivery_date=BORN,
        newborn=removed,
    )
    before = Measurement.objects.count()
    user = district.users["puskesmas_officer"]

    log = duplicates.child_merge(user=user, survivor=survivor, removed=removed, candidate=candidate)

    kept = list(
        Measurement.objects.filter(child=survivor)
        .order_by("measured_on")
        .values_list("measured_on", "weight_kg")
    )
    assert kept == [
        (day(2024, 4, 10), Decimal("5.00")),
        (day(2024, 5, 10), Decimal("6.00")),
        (day(2024, 6, 10), Decimal("6.80")),
        (day(2024, 7, 10), Decimal("7.20")),
    ]
    assert before == len(kept) + len(log.removed["measurements_conflicting"])
    assert [(m["measured_on"], m["weight_kg"]) for m in log.removed["measurements_conflicting"]] == [
        ("2024-06-10", "6.50")
    ]
    assert log.moved == {
        "measurements": 2,
        "measurements_conflicting": 1,
        "children.pregnancy.newborn": 1,
        "duplicate_candidates": 0,
        "filled_fields": ["birth_weight_kg", "father_name", "nik"],
    }
    newborn_of.refresh_from_db()
    assert newborn_of.newborn == survivor
    # The survivor's first weighing is no longer its first: the removed record had an earlier one.
    assert list(
        Measurement.objects.filter(child=survivor)
        .order_by("measured_on")
        .values_list("weight_gain", flat=True)
    )[:2] == [B_BARU, 0]
    assert not Child.objects.filter(pk=removed.pk).exists()
    candidate.refresh_from_db()
    assert (candidate.status, candidate.resolved_by, candidate.child_b_id) == ("digabung", user, None)
    assert (log.kind, log.survivor_child, log.removed_id, log.merged_by, log.desa) == (
        "anak",
        survivor,
        removed.pk,
        user,
        district.desa_a1,
    )


def test_a_merge_carries_the_nik_over_and_keeps_it_only_encrypted_in_the_log(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    log = duplicates.child_merge(
        user=district.users["bappeda_admin"], survivor=survivor, removed=removed, candidate=candidate
    )
    survivor.refresh_from_db()
    assert (survivor.nik_hash, pii.decrypt(survivor.nik_encrypted)) == (pii.nik_hash(NIK_BOY), NIK_BOY)
    assert (survivor.father_name, survivor.mother_name, survivor.birth_weight_kg) == (
        "Bambang",
        "Siti",
        Decimal("3.10"),
    )
    assert NIK_BOY not in json.dumps(log.removed)
    assert pii.decrypt(log.removed["nik_encrypted"]) == NIK_BOY
    assert "nik_hash" not in log.removed


def test_a_merge_records_the_deletion_in_the_history_with_the_user(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    user = district.users["puskesmas_officer"]
    duplicates.child_merge(user=user, survivor=survivor, removed=removed, candidate=candidate)
    deletion = Child.history.get(id=removed.pk, history_type="-")
    assert (deletion.history_user, deletion.name) == (user, "Muhamad Rizki")
    change = Child.history.filter(id=survivor.pk).latest("history_id")
    assert (change.history_type, change.history_user, change.father_name) == ("~", user, "Bambang")


def test_a_merge_moves_the_removed_records_other_queue_entries(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    third = ChildFactory(name="Muhammad Rizky Ramadhan", posyandu=district.posyandu_a1)
    other = DuplicateCandidate.objects.create(
        kind="anak", child_a=removed, child_b=third, desa=district.desa_a1, reason="nama_mirip_tgl_lahir"
    )
    log = duplicates.child_merge(
        user=district.users["bappeda_admin"], survivor=survivor, removed=removed, candidate=candidate
    )
    other.refresh_from_db()
    assert (other.child_a, other.child_b, other.status, log.moved["duplicate_candidates"]) == (
        survivor,
        third,
        "terbuka",
        1,
    )


def test_a_merge_refuses_a_survivor_outside_the_pair_and_a_decided_pair(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    from django.core.exceptions import ValidationError

    stranger = ChildFactory(posyandu=district.posyandu_a1)
    with pytest.raises(ValidationError):
        duplicates.duplicate_merge(
            user=district.users["bappeda_admin"], candidate=candidate, survivor_id=stranger.pk
        )
    duplicates.duplicate_dismiss(user=district.users["bappeda_admin"], candidate=candidate, note="Beda anak")
    with pytest.raises(ValidationError):
        duplicates.child_merge(
            user=district.users["bappeda_admin"], survivor=survivor, removed=removed, candidate=candidate
        )
    assert Child.objects.filter(pk__in=[survivor.pk, removed.pk]).count() == 2


@pytest.mark.parametrize("role", ["kader", "kpm", "opd_officer", "pimpinan", "no_role"])
def test_roles_that_do_not_review_cannot_merge_in_the_service(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate], role: str
) -> None:
    survivor, removed, candidate = pair
    with pytest.raises(PermissionDenied):
        duplicates.child_merge(
            user=district.users[role], survivor=survivor, removed=removed, candidate=candidate
        )
    assert Child.objects.filter(pk__in=[survivor.pk, removed.pk]).count() == 2
    assert DuplicateCandidate.objects.get().status == "terbuka"


# Merging persons -------------------------------------------------------------------------------------


def test_a_person_merge_moves_children_pregnancies_adolescent_ttd_and_family(
    district: DistrictFixture,
) -> None:
    keluarga = KeluargaFactory(desa=district.desa_a1)
    survivor = PersonFactory(name="Nur Hasanah", desa=district.desa_a1)
    removed = PersonFactory(name="Nurhasanah", desa=district.desa_a1, keluarga=keluarga, phone="0812")
    child = ChildFactory(posyandu=district.posyandu_a1, mother=removed)
    pregnancy = Pregnancy.objects.create(mother=removed, desa=district.desa_a1, gravida=2)
    mine = AdolescentGirl.objects.create(person=survivor, school_name="")
    theirs = AdolescentGirl.objects.create(person=removed, school_name="SMPN 1", school_class="8A")
    monday = datetime.date(2025, 1, 6)
    AdolescentTTD.objects.create(girl=mine, week_start=monday)
    AdolescentTTD.objects.create(girl=theirs, week_start=monday, given_at="sekolah")
    AdolescentTTD.objects.create(girl=theirs, week_start=monday + datetime.timedelta(days=7))
    user = district.users["puskesmas_officer"]

    log = duplicates.person_merge(user=user, survivor=survivor, removed=removed)

    survivor.refresh_from_db()
    child.refresh_from_db()
    pregnancy.refresh_from_db()
    mine.refresh_from_db()
    assert (child.mother, pregnancy.mother, survivor.keluarga, survivor.phone) == (
        survivor,
        survivor,
        keluarga,
        "0812",
    )
    assert list(AdolescentTTD.objects.filter(girl=mine).values_list("week_start", flat=True)) == [
        monday,
        monday + datetime.timedelta(days=7),
    ]
    assert (mine.school_name, mine.school_class) == ("SMPN 1", "8A")
    assert [row["given_at"] for row in log.removed["adolescent_ttd_conflicting"]] == ["sekolah"]
    assert log.moved["children.child.mother"] == 1
    assert log.moved["children.pregnancy.mother"] == 1
    assert log.moved["children.adolescentttd.girl"] == 1
    assert not Person.objects.filter(pk=removed.pk).exists()
    assert Person.history.get(id=removed.pk, history_type="-").history_user == user


# MergeLog scope and the pages ------------------------------------------------------------------------

MERGE_LOG_VISIBLE = {
    "bappeda_admin": True,
    "pimpinan": True,
    "opd_officer": True,
    "puskesmas_officer": True,
    "kader": True,
    "kpm": False,
    "no_role": False,
}


@pytest.mark.parametrize("role", list(MERGE_LOG_VISIBLE))
def test_merge_logs_are_scoped_by_desa(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate], role: str
) -> None:
    survivor, removed, candidate = pair
    log = duplicates.child_merge(
        user=district.users["bappeda_admin"], survivor=survivor, removed=removed, candidate=candidate
    )
    visible = list(duplicates.merge_log_list_for_user(user=district.users[role]))
    assert visible == ([log] if MERGE_LOG_VISIBLE[role] else [])


def _login(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


QUEUE_VISIBLE = {
    "bappeda_admin": True,
    "pimpinan": True,
    "opd_officer": True,
    "puskesmas_officer": True,
    "kader": True,
    "kpm": False,
    "no_role": False,
}


@pytest.mark.parametrize("role", list(QUEUE_VISIBLE))
def test_the_queue_page_lists_the_pairs_in_scope_with_the_nik_as_the_role_may_see_it(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate], role: str
) -> None:
    survivor, _removed, candidate = pair
    _measure(survivor, datetime.date(2024, 5, 10), "6.0")
    response = _login(district, role).get("/duplikat/")
    assert response.status_code == 200
    assert [p["candidate"] for p in response.context["pairs"]] == ([candidate] if QUEUE_VISIBLE[role] else [])
    if QUEUE_VISIBLE[role]:
        a, b = response.context["pairs"][0]["a"], response.context["pairs"][0]["b"]
        assert (a["measurements"], b["measurements"]) == (1, 0)
        full = role in ("bappeda_admin", "puskesmas_officer", "kader")
        assert b["nik"] == (NIK_BOY if full else "351001••••••••••")
        assert (NIK_BOY in response.content.decode()) is full


def test_the_queue_page_does_not_show_a_pair_a_kader_cannot_read_both_sides_of(
    district: DistrictFixture,
) -> None:
    _child(district, "Muhammad Rizky")
    _child(district, "Muhamad Rizki", posyandu=district.posyandu_a1_second)
    response = _login(district, "kader").get("/duplikat/")
    assert response.context["pairs"] == []


def test_the_review_page_logs_the_read_of_both_records(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    response = _login(district, "puskesmas_officer").get(f"/duplikat/{candidate.pk}/")
    assert response.status_code == 200
    assert sorted(
        RecordAccess.objects.filter(channel="halaman").values_list("kind", "object_id", "path")
    ) == sorted(
        [
            ("anak", survivor.pk, f"/duplikat/{candidate.pk}/"),
            ("anak", removed.pk, f"/duplikat/{candidate.pk}/"),
        ]
    )


def test_a_puskesmas_officer_merges_from_the_review_page(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    survivor, removed, candidate = pair
    response = _login(district, "puskesmas_officer").post(
        f"/duplikat/{candidate.pk}/", {"action": "gabung", "survivor": removed.pk}
    )
    assert response.status_code == 302
    assert list(Child.objects.values_list("pk", flat=True)) == [removed.pk]
    assert MergeLog.objects.get().removed_id == survivor.pk


def test_bappeda_dismisses_from_the_review_page_with_a_note(
    district: DistrictFixture, pair: tuple[Child, Child, DuplicateCandidate]
) -> None:
    _survivor, _removed, candidate = pair
    client = _login(district, "bappeda_admin")
    refused = client.post(f"/duplikat/{candidate.pk}/", {"action": "bukan_duplikat", "note": " "})
    assert refused.status_code == 400
    assert DuplicateCandidate.objects.get().status == "terbuka"
    response = client.post(f"/duplikat/{candidate.pk}/", {"action": "bukan_duplikat", "note": "Kembar"})
    assert response.status_code == 302
    assert DuplicateCandidate.objects.values_list("status", "note").get() == ("bukan_duplikat", "Kembar")


@pytest.mark.parametrize("role", ["kader", "kpm", "opd_officer", "pimpinan"])
def test_roles_that_do_not_review_get_403_on_the_review_page_and_nothing_changes(
    district: DistrictFixture, role: str
) -> None:
    posyandu = district.posyandu_a2 if role == "kpm" else district.posyandu_a1
    first = _child(district, "Muhammad Rizky", posyandu=posyandu)
    _child(district, "Muhamad Rizki", posyandu=posyandu)
    candidate = DuplicateCandidate.objects.get()
    client = _login(district, role)
    assert client.get(f"/duplikat/{candidate.pk}/").status_code == 200
    for data in ({"action": "gabung", "survivor": first.pk}, {"action": "bukan_duplikat", "note": "x"}):
        assert client.post(f"/duplikat/{candidate.pk}/", data).status_code == 403
    assert Child.objects.count() == 2
    assert DuplicateCandidate.objects.values_list("status", flat=True).get() == "terbuka"
    assert MergeLog.objects.count() == 0


def test_a_pair_outside_the_scope_is_404_and_stays(district: DistrictFixture) -> None:
    first = _child(district, "Muhammad Rizky", posyandu=district.posyandu_b1)
    _child(district, "Muhamad Rizki", posyandu=district.posyandu_b1)
    candidate = DuplicateCandidate.objects.get()
    client = _login(district, "puskesmas_officer")  # puskesmas of kecamatan A; the pair is in B
    assert client.get(f"/duplikat/{candidate.pk}/").status_code == 404
    response = client.post(f"/duplikat/{candidate.pk}/", {"action": "gabung", "survivor": first.pk})
    assert response.status_code == 404
    assert (Child.objects.count(), DuplicateCandidate.objects.get().status) == (2, "terbuka")


def test_the_nightly_task_runs_the_scan(district: DistrictFixture) -> None:
    from children.tasks import duplicates_scan

    PersonFactory(name="Nur Hasanah", desa=district.desa_b1)
    PersonFactory(name="Nurhasanah", desa=district.desa_b1)
    assert duplicates_scan.delay().get() == 1
    assert duplicates_scan.delay(desa_ids=[district.desa_b1.pk]).get() == 0
