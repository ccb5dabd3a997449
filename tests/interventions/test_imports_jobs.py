"""Delivery import jobs: upload (stored, never parsed in the request), dry run in the job, report page,
apply, limits refused in the job, scope, retention of the stored sheets."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from interventions import imports_jobs
from interventions.models import Delivery, DeliveryImportJob
from tests.interventions.conftest import KK_BUDI, NIK, Village
from tests.interventions.test_imports import HEADER

SHEET = (
    f"PMT-GK;{NIK['ayu']};;Ayu;05/12/2025;2,5;kg;DAK;Puskesmas Pesanggaran",
    f"MPASI;{NIK['eko']};;Eko;2025-12-06;1;;APBD;",
    f"TTD;{NIK['ema']};;Ema;2025-06-01;30;tablet;apbd;",  # already recorded by the fixture
    f"AIR;;{KK_BUDI};Budi;2025-12-01;1;;APBD;",  # a PUPR intervention
    "TTD;3510019999999999;;Siapa;2025-12-01;30;;APBD;",  # unknown NIK
)
REPORT = [
    (2, "PMT-GK", "Ayu", "baru", []),
    (3, "MPASI", "Eko", "baru", []),
    (4, "TTD", "Ema", "sudah ada", []),
    (5, "AIR", "Budi", "ditolak", ["Intervensi ini bukan milik OPD Anda."]),
    (6, "TTD", "Siapa", "ditolak", ["NIK tidak ditemukan di wilayah kerja Anda."]),
]
UPLOAD_URL = "/intervensi/penyaluran/impor/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Uploaded sheets are personal data: the tests keep them out of the real MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path / "media"


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


def _client(user: Any, language: str = "id") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _upload(client: Client, content: bytes, name: str = "pmt.csv") -> Any:
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content)})


def _rows(response: Any) -> list[tuple[Any, ...]]:
    return [
        (row["row"], row["code"], row["name"], row["status"], row["messages"])
        for row in response.context["rows"]
    ]


def _checked_job(village: Village, capture: Any, content: bytes | None = None) -> DeliveryImportJob:
    with capture(execute=True):
        response = _upload(_client(village.district.users["opd_officer"]), content or _csv(*SHEET))
    assert response.status_code == 302
    return DeliveryImportJob.objects.get()


def test_it_uploads_checks_reports_and_applies(
    delivered: Village, django_capture_on_commit_callbacks: Any
) -> None:
    officer = delivered.district.users["opd_officer"]
    client = _client(officer)
    before = Delivery.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, _csv(*SHEET))
    job = DeliveryImportJob.objects.get()
    assert response["Location"] == f"/intervensi/penyaluran/impor/{job.pk}/"
    assert (job.status, job.summary, job.rows_total, job.uploaded_by, job.opd_id) == (
        "siap",
        {"baru": 2, "sudah ada": 1, "ditolak": 2},
        5,
        officer,
        delivered.district.dinkes.pk,
    )

    page = client.get(response["Location"])
    assert _rows(page) == REPORT
    assert page.context["may_apply"] is True
    assert b'http-equiv="refresh"' not in page.content
    assert Delivery.objects.count() == before

    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(f"/intervensi/penyaluran/impor/{job.pk}/terapkan/")
    assert applied["Location"] == f"/intervensi/penyaluran/impor/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.applied_by, job.summary) == (
        "selesai",
        officer,
        {"baru": 2, "sudah ada": 1, "ditolak": 2},
    )
    assert Delivery.objects.count() == before + 2
    assert Delivery.objects.get(intervention__code="PMT-GK").source == "import"
    after = client.get(applied["Location"])
    assert (after.context["may_apply"], _rows(after)) == (False, REPORT)

    again = client.post(f"/intervensi/penyaluran/impor/{job.pk}/terapkan/", follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Hanya impor yang sudah diperiksa yang dapat diterapkan."
    ]
    imports_jobs.delivery_import_job_apply(job_id=job.pk, user=officer)  # a redelivered task
    assert Delivery.objects.count() == before + 2


def test_the_request_never_opens_the_file(
    delivered: Village, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(delivered.district.users["opd_officer"])
    parsing = mock.Mock(side_effect=AssertionError("parsed in the request"))
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        mock.patch("interventions.imports.read_rows", parsing),
    ):
        response = _upload(client, _csv(*SHEET))
        job = DeliveryImportJob.objects.get()
        queued = client.get(f"/intervensi/penyaluran/impor/{job.pk}/")
    assert (response.status_code, parsing.call_count, len(callbacks)) == (302, 0, 1)
    assert (queued.context["job"].status, queued.context["rows"]) == ("antre", [])
    assert b'<meta http-equiv="refresh" content="3">' in queued.content

    callbacks[0]()  # the queued check, after the commit (in-process on the embedded default)
    job.refresh_from_db()
    assert (job.status, job.summary) == ("siap", {"baru": 2, "sudah ada": 1, "ditolak": 2})


def test_a_bomb_is_refused_in_the_job_and_nothing_is_written(
    delivered: Village, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    from tests.children import hostile

    before = Delivery.objects.count()
    client = _client(delivered.district.users["opd_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, hostile.huge_cell(tmp_path).read_bytes(), name="pmt.xlsx")
    job = DeliveryImportJob.objects.get()
    assert (job.status, job.error["message"], job.rows) == (
        "gagal",
        "Bagian %(member)s berkas .xlsx memampat %(found)s kali; batasnya %(limit)s kali (bom zip).",
        [],
    )
    page = client.get(response["Location"])
    assert page.context["error"] == (
        "Bagian xl/sharedStrings.xml berkas .xlsx memampat 229 kali; batasnya 100 kali (bom zip)."
    )
    assert (page.context["may_apply"], Delivery.objects.count()) == (False, before)


def test_an_upload_over_the_size_limit_is_refused_in_the_request(delivered: Village, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    response = _upload(_client(delivered.district.users["opd_officer"]), _csv(*SHEET * 10))
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["Berkas berukuran 2,7\xa0KB; batasnya 1,0\xa0KB."]}
    assert DeliveryImportJob.objects.count() == 0


def test_a_wrong_extension_is_refused(delivered: Village) -> None:
    response = _upload(_client(delivered.district.users["opd_officer"]), b"x", name="pmt.pdf")
    assert (response.status_code, response.context["form"].errors) == (
        400,
        {"file": ["Hanya berkas .csv atau .xlsx yang dapat diimpor"]},
    )
    assert DeliveryImportJob.objects.count() == 0


def test_messages_are_stored_as_msgids_and_read_in_the_readers_language(
    delivered: Village, django_capture_on_commit_callbacks: Any
) -> None:
    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    assert job.rows[3]["messages"] == ["Intervensi ini bukan milik OPD Anda."]
    page = _client(delivered.district.users["opd_officer"], "en").get(
        f"/intervensi/penyaluran/impor/{job.pk}/"
    )
    assert page.context["rows"][3]["messages"] == ["This intervention does not belong to your OPD."]


def test_the_rejected_rows_are_kept_first_when_the_report_is_cut(
    delivered: Village, django_capture_on_commit_callbacks: Any, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_ISSUES_STORED = 2
    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    assert ([row["row"] for row in job.rows], job.rows_total, job.rows_not_stored) == ([5, 6], 5, 3)
    page = _client(delivered.district.users["opd_officer"]).get(f"/intervensi/penyaluran/impor/{job.pk}/")
    assert "… dan 3 baris lain tidak ditampilkan" in page.content.decode()


@pytest.mark.parametrize(
    ("role", "list_status", "detail_status", "apply_status"),
    [
        ("opd_officer", 200, 200, 302),  # the uploader
        ("bappeda_admin", 200, 200, 302),  # records any delivery of the kabupaten
        ("pimpinan", 403, 200, 403),  # reads, never writes
        ("puskesmas_officer", 403, 404, 404),
        ("kader", 403, 404, 404),
    ],
)
def test_each_role_sees_and_applies_as_its_scope_allows(
    delivered: Village,
    django_capture_on_commit_callbacks: Any,
    role: str,
    list_status: int,
    detail_status: int,
    apply_status: int,
) -> None:
    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    client = _client(delivered.district.users[role])
    url = f"/intervensi/penyaluran/impor/{job.pk}/"
    assert client.get(UPLOAD_URL).status_code == list_status
    assert client.get(url).status_code == detail_status
    before = Delivery.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url + "terapkan/").status_code == apply_status
    job.refresh_from_db()
    assert (job.status, Delivery.objects.count() - before) == (
        ("selesai", 2) if apply_status == 302 else ("siap", 0)
    )


def test_another_opds_officer_sees_neither_the_job_nor_it_in_his_list(
    delivered: Village, django_capture_on_commit_callbacks: Any
) -> None:
    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    client = _client(delivered.pupr_officer)
    assert client.get(f"/intervensi/penyaluran/impor/{job.pk}/").status_code == 404
    assert client.post(f"/intervensi/penyaluran/impor/{job.pk}/terapkan/").status_code == 404
    assert client.get(UPLOAD_URL).context["jobs"] == []
    job.refresh_from_db()
    assert job.status == "siap"
    own = _client(delivered.district.users["opd_officer"]).get(UPLOAD_URL)
    assert own.context["jobs"] == [job]


def test_stored_sheets_past_their_retention_are_deleted_and_cannot_be_applied(
    delivered: Village, django_capture_on_commit_callbacks: Any, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_FILE_RETENTION_DAYS = 30
    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    path = Path(settings.MEDIA_ROOT) / job.file.name
    assert b"Ayu" not in path.read_bytes()  # sealed at rest

    now = timezone.now()
    assert imports_jobs.delivery_import_files_expire(now=now + datetime.timedelta(days=29)) == 0
    assert path.exists()
    assert imports_jobs.delivery_import_files_expire(now=now + datetime.timedelta(days=31)) == 1
    assert not path.exists()
    job.refresh_from_db()
    assert (job.file.name, job.file_deleted_at is not None) == ("", True)
    assert [(row["row"], row["name"]) for row in job.rows] == [(2, ""), (3, ""), (4, ""), (5, ""), (6, "")]
    client = _client(delivered.district.users["opd_officer"])
    page = client.get(f"/intervensi/penyaluran/impor/{job.pk}/")
    assert page.context["may_apply"] is False
    refused = client.post(f"/intervensi/penyaluran/impor/{job.pk}/terapkan/", follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        "Berkas impor ini sudah dihapus setelah masa simpannya; unggah ulang berkasnya."
    ]
    assert imports_jobs.delivery_import_files_expire(now=now + datetime.timedelta(days=60)) == 0


def test_key_rotation_reseals_the_stored_sheets(
    delivered: Village, django_capture_on_commit_callbacks: Any, settings
) -> None:  # type: ignore[no-untyped-def]
    from children.pii_rotation import pii_rekey

    job = _checked_job(delivered, django_capture_on_commit_callbacks)
    new_key = "B" * 43 + "="
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *settings.PII_ENCRYPTION_KEYS]):
        assert pii_rekey()["uploads"] == 1
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]), job.file.open("rb") as handle:
        assert handle.read() == _csv(*SHEET)


def test_the_job_list_costs_the_same_queries_for_one_job_or_three(delivered: Village) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    officer = delivered.district.users["opd_officer"]
    client = _client(officer)
    counts = []
    for total in (1, 3):
        while DeliveryImportJob.objects.count() < total:
            DeliveryImportJob.objects.create(
                original_name="pmt.csv", uploaded_by=officer, opd=delivered.district.dinkes, status="siap"
            )
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(UPLOAD_URL).context["jobs"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
