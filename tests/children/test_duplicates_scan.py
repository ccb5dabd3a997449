"""The duplicate scan over the whole registry (batches of desa, idempotent) and its button on the queue page."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client, override_settings

from children import duplicates_scan as scan_module
from children.duplicates_scan import duplicates_scan
from children.models import Child, DuplicateCandidate, Person
from tests.factories import DistrictFixture

BORN = datetime.date(2024, 3, 10)


def bulk_registry(district: DistrictFixture) -> None:
    """Namesakes loaded with bulk_create (as imports and the demo do): no per-record check ran."""
    rows = [
        (district.posyandu_a1, "Ahmad Fauzi", "L"),
        (district.posyandu_a1_second, "Ahmad Fauzi", "L"),  # same desa, another posyandu
        (district.posyandu_a2, "Siti Nurhaliza", "P"),
        (district.posyandu_a2, "Siti Nur Haliza", "P"),
        (district.posyandu_a2, "Bayu", "L"),
        (district.posyandu_b1, "Dewi Sartika", "P"),
        (district.posyandu_b1, "Dewi Sartika", "P"),
    ]
    Child.objects.bulk_create(
        Child(name=name, sex=sex, birth_date=BORN, posyandu=posyandu, desa=posyandu.desa)
        for posyandu, name, sex in rows
    )
    Person.objects.bulk_create(
        Person(name=name, sex="P", birth_date=datetime.date(1995, 1, 2), desa=district.desa_b1)
        for name in ("Nur Hasanah", "Nurhasanah")
    )


def queued() -> list[tuple[str, str, str, str]]:
    return sorted(
        (c.kind, c.desa.code, (c.child_a or c.person_a).name, (c.child_b or c.person_b).name)
        for c in DuplicateCandidate.objects.select_related(
            "desa", "child_a", "child_b", "person_a", "person_b"
        )
    )


EVERY_PAIR = [
    ("anak", "35.10.01.2001", "Ahmad Fauzi", "Ahmad Fauzi"),
    ("anak", "35.10.01.2002", "Siti Nurhaliza", "Siti Nur Haliza"),
    ("anak", "35.10.02.2001", "Dewi Sartika", "Dewi Sartika"),
    ("penduduk", "35.10.02.2001", "Nur Hasanah", "Nurhasanah"),
]


def test_it_finds_the_pairs_saved_before_and_queues_them_once(
    district: DistrictFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk_registry(district)
    assert DuplicateCandidate.objects.count() == 0
    monkeypatch.setattr(scan_module, "SCAN_DESA_BATCH", 1)  # one desa a batch: pairs never span two

    assert duplicates_scan() == 4
    assert queued() == EVERY_PAIR
    assert duplicates_scan() == 0
    assert queued() == EVERY_PAIR


def test_a_dismissed_pair_stays_dismissed(district: DistrictFixture) -> None:
    bulk_registry(district)
    duplicates_scan()
    DuplicateCandidate.objects.filter(kind="anak").update(status=DuplicateCandidate.Status.DISMISSED)
    assert duplicates_scan() == 0
    assert list(
        DuplicateCandidate.objects.values_list("status", flat=True).distinct().order_by("status")
    ) == [
        "bukan_duplikat",
        "terbuka",
    ]


def test_its_queries_do_not_grow_with_the_registry(
    district: DistrictFixture, django_assert_num_queries: object
) -> None:
    bulk_registry(district)
    duplicates_scan()  # everything known: a second run only reads
    # desa list (2), then per batch: children in same-day groups, mother groups, persons, and one
    # look-up of known pairs per kind that has pairs.
    with django_assert_num_queries(7):  # type: ignore[operator]
        assert duplicates_scan() == 0


def login(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


@pytest.mark.parametrize("role", ["kader", "opd_officer", "pimpinan", "kpm"])
def test_roles_that_do_not_review_cannot_start_a_scan(district: DistrictFixture, role: str) -> None:
    bulk_registry(district)
    client = login(district, role)
    assert client.post("/duplikat/pindai/").status_code == 403
    assert b"scan-form" not in client.get("/duplikat/").content
    assert DuplicateCandidate.objects.count() == 0


def test_a_scan_is_not_started_by_a_get(district: DistrictFixture) -> None:
    bulk_registry(district)
    assert login(district, "bappeda_admin").get("/duplikat/pindai/").status_code == 405
    assert DuplicateCandidate.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "pairs"),
    [
        ("puskesmas_officer", EVERY_PAIR[:2]),  # kecamatan A only
        ("bappeda_admin", EVERY_PAIR),
    ],
)
def test_a_reviewer_scans_the_desa_of_their_scope_from_the_queue_page(
    district: DistrictFixture, role: str, pairs: list[tuple[str, str, str, str]]
) -> None:
    bulk_registry(district)
    client = login(district, role)
    assert b"scan-form" in client.get("/duplikat/").content

    response = client.post("/duplikat/pindai/")

    assert (response.status_code, response["Location"]) == (302, "/duplikat/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Pemindaian dijadwalkan.",
        f"Pemindaian selesai: {len(pairs)} calon duplikat baru masuk antrean.",
    ]
    assert queued() == pairs


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_with_a_worker_the_scan_is_queued_after_commit(
    district: DistrictFixture, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: object
) -> None:
    from children import tasks
    from config.celery import app

    # As with a broker and workers: the task is sent, not run here (the celery_in_process fixture
    # puts the setting back after the test).
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[dict[str, object]] = []
    monkeypatch.setattr(tasks.duplicates_scan, "delay", lambda **kwargs: sent.append(kwargs))
    client = login(district, "puskesmas_officer")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post("/duplikat/pindai/")

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Pemindaian dijadwalkan."]
    assert sent == [{"desa_ids": sorted([district.desa_a1.pk, district.desa_a2.pk])}]
