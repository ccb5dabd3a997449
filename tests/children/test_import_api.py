"""/api/v1/imports/: upload (202), status and progress, issues (paginated), apply; per role and scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from children.models import Child, ImportJob
from tests.children.test_import_pages import NOTHING, child_row, register_csv
from tests.factories import DistrictFixture
from tests.problems import field_errors


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def _upload(api: APIClient, content: bytes, name: str = "register.csv"):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/imports/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_it_uploads_checks_lists_and_applies(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    api = _api(district, "kader")
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(api, register_csv([child_row(), child_row("Fajar", sex="X")]))
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert created.json()["status"] == "antre"

    detail = api.get(f"/api/v1/imports/{job_id}/").json()
    assert (
        detail["status"],
        detail["rows_total"],
        detail["percent"],
        detail["uploaded_by"],
        detail["uploaded_by_name"],
    ) == ("siap", 2, 100, district.users["kader"].pk, "kader_mawar")
    assert detail["summary"] == {**NOTHING, "create_child": 1, "create_measurement": 1, "rejected": 1}
    assert [job["id"] for job in api.get("/api/v1/imports/").json()["results"]] == [job_id]

    issues = api.get(f"/api/v1/imports/{job_id}/issues/").json()
    assert issues["count"] == 1
    assert (issues["results"][0]["row_number"], issues["results"][0]["action"]) == (3, "ditolak")
    assert api.get(f"/api/v1/imports/{job_id}/issues/", {"action": "peringatan"}).json()["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        applied = api.post(f"/api/v1/imports/{job_id}/apply/")
    assert applied.status_code == 202
    assert applied.json()["id"] == job_id
    assert api.get(f"/api/v1/imports/{job_id}/").json()["status"] == "selesai"
    assert list(Child.objects.values_list("name", flat=True)) == ["Eka Putri"]
    again = api.post(f"/api/v1/imports/{job_id}/apply/")
    assert again.status_code == 400
    assert field_errors(again) == {"status": ["Hanya impor yang sudah diperiksa yang dapat diterapkan."]}


def test_it_refuses_a_wrong_extension(district: DistrictFixture) -> None:
    response = _upload(_api(district, "kader"), b"x", name="register.pdf")
    assert response.status_code == 400
    assert field_errors(response) == {"file": ["Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor"]}
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "upload_status", "read_status", "apply_status"),
    [
        ("kader", 202, 200, 202),
        ("kpm", 202, 404, 404),
        ("puskesmas_officer", 202, 404, 404),
        ("bappeda_admin", 202, 200, 202),
        ("pimpinan", 403, 200, 403),
        ("opd_officer", 403, 200, 403),
        ("no_role", 403, 404, 404),
    ],
)
def test_it_answers_per_role(
    district: DistrictFixture,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    role: str,
    upload_status: int,
    read_status: int,
    apply_status: int,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _upload(_api(district, "kader"), register_csv([child_row()]))
    job = ImportJob.objects.get()
    api = _api(district, role)
    assert _upload(api, register_csv([child_row("Gita")])).status_code == upload_status
    assert api.get(f"/api/v1/imports/{job.pk}/").status_code == read_status
    assert api.get(f"/api/v1/imports/{job.pk}/issues/").status_code == read_status
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/imports/{job.pk}/apply/").status_code == apply_status
    job.refresh_from_db()
    assert job.status == (ImportJob.Status.APPLIED if apply_status == 202 else ImportJob.Status.CHECKED)


def test_the_schema_documents_the_endpoints(district: DistrictFixture) -> None:
    paths = APIClient().get("/api/schema/", {"format": "json"}).json()["paths"]
    assert set(paths["/api/v1/imports/"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/api/v1/imports/"]["post"]["requestBody"]["content"]
    assert "202" in paths["/api/v1/imports/"]["post"]["responses"]
    assert set(paths["/api/v1/imports/{id}/apply/"]) == {"post"}
    assert set(paths["/api/v1/imports/{id}/issues/"]) == {"get"}
