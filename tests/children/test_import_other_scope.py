"""A row whose child is registered outside the importer's scope: a kader importing a child of another
posyandu gets a duplicate issue that names nobody, nothing outside her scope changes, and on apply the
case goes to the review queue."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.test import Client

from children import pii
from children.models import Child, DuplicateCandidate, ImportJob, Measurement
from tests.children.test_import_pages import checked_job, child_row, register_csv, upload
from tests.factories import ChildFactory, DistrictFixture

NIK_EKA = "3510014205240001"  # a girl born 02-05-2024, as child_row()
HIDDEN = (
    "An. Eka Putri",  # the stored spelling (the row writes "Eka Putri": the same normalised name)
    "Sri Wahyuni",  # her mother
    "Melati",  # her posyandu
    "nomor data",  # her record number
)
ELSEWHERE = (
    "Data anak dengan identitas yang sama sudah ada di luar wilayah Anda: baris tidak disimpan "
    "dan kasusnya dikirim ke antrean duplikat untuk diperiksa"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def eka_at_melati(district: DistrictFixture, *, nik: str = "") -> Child:
    """Eka, registered at Melati (the kader of Mawar does not see her), never weighed at Mawar."""
    return ChildFactory(
        posyandu=district.posyandu_a1_second,
        name="An. Eka Putri",
        sex="P",
        birth_date=datetime.date(2024, 5, 2),
        mother_name="Sri Wahyuni",
        nik_encrypted=pii.encrypt(nik) if nik else "",
        nik_hash=pii.nik_hash(nik) if nik else "",
    )


def snapshot(child: Child) -> tuple:
    child.refresh_from_db()
    return (child.name, child.posyandu_id, child.mother_name, child.birth_weight_kg, child.updated_at)


def job_for(district: DistrictFixture, capture, *, nik: str = "") -> ImportJob:  # type: ignore[no-untyped-def]
    row = child_row()
    row[0] = nik
    client = Client()
    client.force_login(district.users["kader"])
    with capture(execute=True):
        assert upload(client, register_csv([row])).status_code == 302
    return ImportJob.objects.get()


@pytest.mark.parametrize(("nik", "column"), [("", "Posyandu"), (NIK_EKA, "NIK")])
def test_it_queues_a_kaders_row_matching_a_child_outside_her_posyandu(
    district: DistrictFixture, django_capture_on_commit_callbacks, nik: str, column: str
) -> None:
    eka = eka_at_melati(district, nik=nik)
    before = snapshot(eka)
    kader = district.users["kader"]
    job = job_for(district, django_capture_on_commit_callbacks, nik=nik)

    assert job.status == ImportJob.Status.CHECKED
    assert job.summary["rejected"] == 1
    assert list(job.issues.values_list("row_number", "action", "field", "message")) == [
        (2, "duplikat", column, ELSEWHERE)
    ]
    assert DuplicateCandidate.objects.count() == 0  # a dry run queues nothing

    client = Client()
    client.force_login(kader)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/impor/{job.pk}/terapkan/").status_code == 302
    job.refresh_from_db()

    assert job.status == ImportJob.Status.APPLIED
    assert snapshot(eka) == before
    assert Child.objects.count() == 1
    assert Measurement.objects.count() == 0
    assert list(
        DuplicateCandidate.objects.values_list("kind", "reason", "child_a_id", "child_b_id", "reported_by_id")
    ) == [("anak", "impor_posyandu_lain", eka.pk, None, kader.pk)]


def test_the_dry_run_page_and_issues_name_nobody_outside_her_scope(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:
    eka_at_melati(district, nik=NIK_EKA)
    job = job_for(district, django_capture_on_commit_callbacks, nik=NIK_EKA)
    client = Client()
    client.force_login(district.users["kader"])

    page = client.get(f"/impor/{job.pk}/").content.decode()
    issues = client.get(f"/impor/{job.pk}/catatan.csv")
    issues_text = b"".join(issues.streaming_content if issues.streaming else [issues.content]).decode()

    assert ELSEWHERE in page
    assert ELSEWHERE in issues_text
    for text in HIDDEN:
        assert text not in page
        assert text not in issues_text


def test_a_role_that_sees_the_other_posyandu_is_told_its_record_number(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:
    eka = eka_at_melati(district)
    checked = checked_job(district, django_capture_on_commit_callbacks, role="puskesmas_officer")

    assert list(checked.issues.values_list("row_number", "action", "field", "message")) == [
        (
            2,
            "duplikat",
            "Posyandu",
            "Anak dengan nama, tanggal lahir dan jenis kelamin sama terdaftar di posyandu lain "
            f"(nomor data {eka.pk}): baris tidak disimpan, periksa di antrean duplikat",
        ),
        (3, "ditolak", "JK", "Jenis kelamin harus L atau P"),
    ]
