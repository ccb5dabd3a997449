"""Personal data at rest and in display: KK encrypted like NIK, one mask without the serial, sealed uploads,
their retention, and key rotation."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from children import pii
from children.imports.services import import_files_expire, import_job_apply_queue, import_job_create
from children.models import ImportJob, Keluarga
from children.pii_rotation import pii_rekey
from children.services import keluarga_by_kk, keluarga_save
from tests.children.test_import_pages import child_row, register_csv
from tests.children.test_registry_pages import client_for, mother_with_nik
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory

KK = "3510010101200001"  # kecamatan 35.10.01, issued 01-01-2020, serial 0001
MASKED_KK = "351001••••••••••"
NIK_IN_FILE = "3510014205240003"  # kecamatan 35.10.01, a girl born 02-05-2024
FULL_ROLES = {"bappeda_admin", "puskesmas_officer", "kader"}
MASKED_ROLES = {"pimpinan", "opd_officer", "kpm"}
NEW_KEY = "B" * 43 + "="


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _table_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a table name of ours, no input
        return repr(cursor.fetchall())


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def test_the_kk_number_is_stored_encrypted_with_a_keyed_hash(district: DistrictFixture) -> None:
    keluarga = keluarga_save(user=None, head_name="Slamet", desa=district.desa_a1, kk_number=KK).obj

    assert KK not in _table_text("children_keluarga")
    assert KK not in _table_text("children_historicalkeluarga")
    assert pii.decrypt(keluarga.kk_encrypted) == KK
    assert keluarga_by_kk(KK) == keluarga


def test_a_registered_kk_is_found_by_its_hash_and_refused_twice(district: DistrictFixture) -> None:
    first = keluarga_save(user=None, head_name="Slamet", desa=district.desa_a1, kk_number=KK).obj
    with pytest.raises(ValidationError) as refused:
        keluarga_save(user=None, head_name="Lain", desa=district.desa_a1, kk_number=KK)
    assert f"nomor data {first.pk}" in str(refused.value)
    assert Keluarga.objects.count() == 1


@pytest.mark.parametrize("role", sorted(FULL_ROLES | MASKED_ROLES))
def test_the_api_shows_the_kk_as_the_role_may_see_it(district: DistrictFixture, role: str) -> None:
    # Point 1: the family list gave the full KK number to the district head, OPD and KPM tokens.
    desa = district.desa_a2 if role == "kpm" else district.desa_a1
    keluarga = KeluargaFactory(desa=desa, head_name="Slamet", kk_number=KK)
    # A family a kader sees: one of its children is weighed at her posyandu.
    ChildFactory(posyandu=district.posyandu_a2 if role == "kpm" else district.posyandu_a1, keluarga=keluarga)

    rows = _api(district, role).get("/api/v1/keluarga/").json()["results"]

    assert [row["kk_number"] for row in rows] == [KK if role in FULL_ROLES else MASKED_KK]


def test_the_mask_keeps_the_region_part_and_never_the_serial() -> None:
    # Point 2: the old mask kept the last four digits, the only part of a NIK that cannot be derived.
    assert pii.mask_identifier("3510015705950001") == "351001••••••••••"
    assert pii.mask_identifier(KK) == MASKED_KK
    assert pii.mask_identifier("35100157059500") == "••••••••••••••"
    assert pii.redact_identifiers("NIK 3510015705950001 ditolak") == "NIK 351001•••••••••• ditolak"


@pytest.mark.parametrize("role", sorted(MASKED_ROLES - {"kpm"}))
def test_no_masked_page_shows_a_digit_past_the_region_part(district: DistrictFixture, role: str) -> None:
    mother = mother_with_nik(district)
    html = client_for(district, role).get(f"/penduduk/{mother.pk}/").content.decode()
    shown = re.findall(r"\d{6}[•\d]{10}", html)
    assert shown == ["351001••••••••••"]


def test_an_uploaded_register_is_sealed_at_rest_and_still_checked(
    district: DistrictFixture, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    row = child_row()
    row[0] = NIK_IN_FILE
    content = register_csv([row])
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(
            user=district.users["kader"], uploaded_file=SimpleUploadedFile("register.csv", content)
        )

    on_disk = (Path(settings.MEDIA_ROOT) / job.file.name).read_bytes()
    assert NIK_IN_FILE.encode() not in on_disk
    assert b"Eka Putri" not in on_disk
    job.refresh_from_db()
    assert (job.status, job.summary["create_child"]) == (ImportJob.Status.CHECKED, 1)
    with job.file.open("rb") as handle:
        assert handle.read() == content


def test_uploads_past_their_retention_are_deleted_and_cannot_be_applied(
    district: DistrictFixture, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_FILE_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(
            user=district.users["kader"],
            uploaded_file=SimpleUploadedFile("register.csv", register_csv([child_row()])),
        )
    path = Path(settings.MEDIA_ROOT) / job.file.name

    assert import_files_expire(now=timezone.now() + datetime.timedelta(days=29)) == 0
    assert path.exists()
    assert import_files_expire(now=timezone.now() + datetime.timedelta(days=31)) == 1
    assert not path.exists()
    job.refresh_from_db()
    assert (job.file.name, job.file_deleted_at is not None) == ("", True)
    with pytest.raises(Exception, match="sudah dihapus"):
        import_job_apply_queue(job_id=job.pk, user=district.users["kader"])
    assert import_files_expire(now=timezone.now() + datetime.timedelta(days=60)) == 0


def test_rekey_moves_every_nik_kk_and_upload_to_the_new_key(
    district: DistrictFixture, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    mother = mother_with_nik(district)
    keluarga = keluarga_save(user=None, head_name="Slamet", desa=district.desa_a1, kk_number=KK).obj
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(
            user=district.users["kader"],
            uploaded_file=SimpleUploadedFile("register.csv", register_csv([child_row()])),
        )
    old_keys = list(settings.PII_ENCRYPTION_KEYS)

    with override_settings(PII_ENCRYPTION_KEYS=[NEW_KEY, *old_keys]):
        counts = pii_rekey()
    assert (counts["children_person"], counts["children_keluarga"], counts["uploads"]) == (1, 1, 1)

    with override_settings(PII_ENCRYPTION_KEYS=[NEW_KEY]):
        mother.refresh_from_db()
        keluarga.refresh_from_db()
        assert pii.decrypt(mother.nik_encrypted) == "3510015705950001"
        assert pii.decrypt(keluarga.kk_encrypted) == KK
        with job.file.open("rb") as handle:
            assert b"Eka Putri" in handle.read()
