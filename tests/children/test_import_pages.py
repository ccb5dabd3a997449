"""The import pages: upload, dry run, detail with counts and issues, apply, progress; per role and scope."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from children import exports
from children.imports.services import import_file
from children.models import Child, ImportJob, ImportRowIssue, Measurement, RecordAccess
from tests.children.test_exports import ADDRESS, FORMULA_NAMES, MOTHER, build_registry, formula_children
from tests.factories import DistrictFixture

NOTHING = {
    "create_child": 0,
    "update_child": 0,
    "merge": 0,
    "create_measurement": 0,
    "update_measurement": 0,
    "unchanged": 0,
    "rejected": 0,
    "warnings": 0,
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Uploaded registers are personal data: the tests keep them out of the real MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path


def _client(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


def register_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(exports.EPPGBM_HEADERS)
    for row in rows:
        writer.writerow(row + [""] * (len(exports.EPPGBM_HEADERS) - len(row)))
    return out.getvalue().encode()


def child_row(name: str = "Eka Putri", sex: str = "P") -> list[str]:
    return [
        "",
        name,
        sex,
        "2024-05-02",
        "3.0",
        "48.0",
        "Rina",
        "JAWA TIMUR",
        "BANYUWANGI",
        "PESANGGARAN",
        "Pesanggaran",
        "SUMBERAGUNG",
        "Mawar",
        "003",
        "001",
        "Dusun Krajan",
        "",
        "2025-04-10",
        "8.2",
        "70.5",
        "Telentang",
    ]


def upload(client: Client, content: bytes, name: str = "register.csv", **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/impor/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")}, **extra
    )


def checked_job(
    district: DistrictFixture, django_capture_on_commit_callbacks, role: str = "kader"
) -> ImportJob:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(_client(district, role), register_csv([child_row(), child_row("Fajar", sex="X")]))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/impor/{job.pk}/"
    return job


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimports_as_unchanged(district: DistrictFixture, fmt: str) -> None:
    build_registry(district)
    kader = district.users["kader"]
    target = io.BytesIO()
    rows = exports.eppgbm_rows_for_user(user=kader)
    exports.write_table(target, fmt, exports.EPPGBM_HEADERS, rows, text_columns=[exports.NIK_COLUMN])
    target.seek(0)
    report = import_file(source=target, file_name=f"ekspor.{fmt}", user=kader, commit=False)
    assert report.summary == {**NOTHING, "unchanged": 1}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_of_names_escaped_against_formulas_reimports_as_unchanged(
    district: DistrictFixture, fmt: str
) -> None:
    registry = build_registry(district)
    # Matched by NIK, so the compared fields (mother, RT, address) must come back exactly as written.
    Child.objects.filter(pk=registry.child.pk).update(
        name="-Budi", mother_name=MOTHER, rt="-1", address=ADDRESS
    )
    formula_children(district)
    kader = district.users["kader"]
    target = io.BytesIO()
    exports.eppgbm_export(user=kader, target=target, fmt=fmt, channel=RecordAccess.Channel.EXPORT)
    target.seek(0)
    report = import_file(source=target, file_name=f"ekspor.{fmt}", user=kader, commit=False)
    # Nothing changes; each name starting with a formula sign (=, +, -, @) is pointed out as plain text.
    formula_signs = [name for name in ["-Budi", *FORMULA_NAMES] if name[0] in "=+-@"]
    assert [issue for issue in report.issues if issue[1] != "peringatan"] == []
    assert report.summary == {**NOTHING, "unchanged": 1 + len(FORMULA_NAMES), "warnings": len(formula_signs)}


def test_it_uploads_checks_shows_and_applies(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    job = checked_job(district, django_capture_on_commit_callbacks)
    assert (job.status, job.rows_total, job.uploaded_by) == (
        ImportJob.Status.CHECKED,
        2,
        district.users["kader"],
    )
    assert job.summary == {**NOTHING, "create_child": 1, "create_measurement": 1, "rejected": 1}
    assert Child.objects.count() == 0

    client = _client(district, "kader")
    page = client.get(f"/impor/{job.pk}/")
    assert page.status_code == 200
    assert [(key, count) for key, _label, count in page.context["summary"]] == [
        ("create_child", 1),
        ("update_child", 0),
        ("merge", 0),
        ("create_measurement", 1),
        ("update_measurement", 0),
        ("unchanged", 0),
        ("rejected", 1),
        ("warnings", 0),
    ]
    issues = list(page.context["page"])
    assert [(i.row_number, i.action) for i in issues] == [(3, ImportRowIssue.Action.REJECTED)]
    assert b'data-testid="apply"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(f"/impor/{job.pk}/terapkan/")
    assert applied.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert list(Child.objects.values_list("name", "sex", "posyandu")) == [
        ("Eka Putri", "P", district.posyandu_a1.pk)
    ]
    assert list(Measurement.objects.values_list("child__name", "weight_kg")) == [
        ("Eka Putri", Decimal("8.20"))
    ]
    assert b'data-testid="apply"' not in client.get(f"/impor/{job.pk}/").content


def test_it_filters_issues_and_downloads_them_as_csv(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    job = checked_job(district, django_capture_on_commit_callbacks)
    client = _client(district, "kader")
    warnings_only = client.get(f"/impor/{job.pk}/", {"action": ImportRowIssue.Action.WARNING})
    assert list(warnings_only.context["page"]) == list(
        job.issues.filter(action=ImportRowIssue.Action.WARNING)
    )
    response = client.get(f"/impor/{job.pk}/catatan.csv")
    assert response.status_code == 200
    parsed = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    issue = job.issues.get(action=ImportRowIssue.Action.REJECTED)
    assert parsed == [["Baris", "Kolom", "Alasan", "Tindakan"], ["3", issue.field, issue.message, "Ditolak"]]


def test_it_reports_progress_as_json(district: DistrictFixture, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    job = checked_job(district, django_capture_on_commit_callbacks)
    response = _client(district, "kader").get(f"/impor/{job.pk}/progres.json")
    assert response.status_code == 200
    assert response.json() == {
        "status": "siap",
        "rows_done": 2,
        "rows_total": 2,
        "percent": 100,
        "summary": {**NOTHING, "create_child": 1, "create_measurement": 1, "rejected": 1},
    }


def test_a_queued_job_polls_with_a_reload_link(district: DistrictFixture) -> None:
    job = ImportJob.objects.create(
        original_name="a.csv", uploaded_by=district.users["kader"], file="imports/a.csv"
    )
    page = _client(district, "kader").get(f"/impor/{job.pk}/")
    assert page.context["is_active"] is True
    assert b'data-testid="reload"' in page.content
    assert b"children/import_progress.js" in page.content
    assert b'data-testid="summary"' not in page.content


def test_it_refuses_a_wrong_extension_and_a_too_large_file(district: DistrictFixture, settings) -> None:  # type: ignore[no-untyped-def]
    client = _client(district, "kader")
    wrong = upload(client, b"NIK,Nama", name="register.pdf")
    assert wrong.status_code == 400
    assert wrong.context["form"].errors == {"file": ["Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor"]}
    settings.IMPORT_MAX_UPLOAD_BYTES = 4
    large = upload(client, b"NIK,Nama")
    assert large.status_code == 400
    assert large.context["form"].errors == {"file": ["Berkas berukuran 8\xa0bita; batasnya 4\xa0bita."]}
    assert ImportJob.objects.count() == 0


def test_it_refuses_an_empty_file_with_the_services_message(district: DistrictFixture) -> None:
    response = upload(_client(district, "kader"), b"")
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "list_status", "may_upload", "upload_status"),
    [
        ("kader", 200, True, 302),
        ("kpm", 200, True, 302),
        ("puskesmas_officer", 200, True, 302),
        ("bappeda_admin", 200, True, 302),
        ("pimpinan", 200, False, 403),
        ("opd_officer", 200, False, 403),
        ("no_role", 403, False, 403),
    ],
)
def test_the_pages_answer_per_role(
    district: DistrictFixture, role: str, list_status: int, may_upload: bool, upload_status: int
) -> None:
    client = _client(district, role)
    page = client.get("/impor/")
    assert page.status_code == list_status
    if list_status == 200:
        assert page.context["may_upload"] is may_upload
        assert (b'data-testid="upload-form"' in page.content) is may_upload
    assert upload(client, register_csv([child_row()])).status_code == upload_status
    assert ImportJob.objects.count() == (1 if upload_status == 302 else 0)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("kader", 200),
        ("kpm", 404),
        ("puskesmas_officer", 404),
        ("bappeda_admin", 200),
        ("pimpinan", 200),
        ("opd_officer", 200),
        ("no_role", 404),
    ],
)
def test_a_kaders_job_is_seen_by_her_and_the_district(
    district: DistrictFixture,
    django_capture_on_commit_callbacks,
    role: str,
    status: int,  # type: ignore[no-untyped-def]
) -> None:
    job = checked_job(district, django_capture_on_commit_callbacks)
    client = _client(district, role)
    for url in (f"/impor/{job.pk}/", f"/impor/{job.pk}/progres.json", f"/impor/{job.pk}/catatan.csv"):
        assert client.get(url).status_code == status
    if role != "no_role":
        listed = [j.pk for j in client.get("/impor/").context["jobs"]]
        assert listed == ([job.pk] if status == 200 else [])


@pytest.mark.parametrize(("role", "status"), [("pimpinan", 403), ("kpm", 404), ("opd_officer", 403)])
def test_apply_is_refused_to_readers_and_outside_the_scope(
    district: DistrictFixture,
    django_capture_on_commit_callbacks,
    role: str,
    status: int,  # type: ignore[no-untyped-def]
) -> None:
    job = checked_job(district, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(district, role).post(f"/impor/{job.pk}/terapkan/")
    assert response.status_code == status
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert Child.objects.count() == 0


def test_apply_of_an_unchecked_job_is_refused_with_a_message(district: DistrictFixture) -> None:
    job = ImportJob.objects.create(
        original_name="a.csv", uploaded_by=district.users["kader"], file="imports/a.csv"
    )
    client = _client(district, "kader")
    response = client.post(f"/impor/{job.pk}/terapkan/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Hanya impor yang sudah diperiksa yang dapat diterapkan."
    ]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


def _status_line(html: str) -> str:
    match = re.search(r'data-testid="job-status">([^<]*)<', html)
    assert match is not None
    return match.group(1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_messages_agree_with_a_job_done_before_the_page_shows(district: DistrictFixture) -> None:
    # Committed requests, as in production: the embedded Celery runs the job before the redirect.
    client = _client(district, "kader")
    checked = client.post(
        "/impor/",
        {"file": SimpleUploadedFile("register.csv", register_csv([child_row()]), content_type="text/csv")},
        follow=True,
    )
    assert [str(m) for m in checked.context["messages"]] == [
        "Berkas sudah diperiksa; lihat hasil uji coba sebelum menerapkannya."
    ]
    assert _status_line(checked.content.decode()) == "Siap diterapkan"

    job = ImportJob.objects.get()
    applied = client.post(f"/impor/{job.pk}/terapkan/", follow=True)
    html = applied.content.decode()
    assert [str(m) for m in applied.context["messages"]] == ["Impor selesai diterapkan."]
    assert _status_line(html) == "Selesai diterapkan"
    assert "sedang diterapkan" not in html
    assert list(Child.objects.values_list("name", flat=True)) == ["Eka Putri"]


def test_a_queued_apply_shows_it_is_being_applied_and_follows_its_progress(
    district: DistrictFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    job = checked_job(district, django_capture_on_commit_callbacks)
    client = _client(district, "kader")
    with django_capture_on_commit_callbacks(execute=False) as queued:  # no worker has taken it yet
        response = client.post(f"/impor/{job.pk}/terapkan/", follow=True)
    html = response.content.decode()
    assert [str(m) for m in response.context["messages"]] == ["Impor sedang diterapkan."]
    assert _status_line(html) == "Sedang diterapkan"
    assert 'data-active="1"' in html  # import_progress.js polls and reloads when it is done
    assert 'data-testid="apply"' not in html
    assert len(queued) == 1
    # A second click before the worker starts queues nothing more.
    with django_capture_on_commit_callbacks(execute=False) as again:
        second = client.post(f"/impor/{job.pk}/terapkan/", follow=True)
    assert [str(m) for m in second.context["messages"]] == [
        "Hanya impor yang sudah diperiksa yang dapat diterapkan."
    ]
    assert (len(again), Child.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_job_shows_its_error_and_no_contradicting_message(
    district: DistrictFixture, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_ROWS = 1  # the file has two: the check fails on the limit
    client = _client(district, "kader")
    response = client.post(
        "/impor/",
        {"file": SimpleUploadedFile("register.csv", register_csv([child_row(), child_row("Fajar")]))},
        follow=True,
    )
    html = response.content.decode()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED
    assert [str(m) for m in response.context["messages"]] == []
    assert _status_line(html) == "Gagal"
    assert 'class="message error" role="alert"' in html


def test_the_job_page_groups_its_counts_the_indonesian_way(district: DistrictFixture) -> None:
    job = ImportJob.objects.create(
        original_name="besar.csv",
        uploaded_by=district.users["kader"],
        file="imports/besar.csv",
        status=ImportJob.Status.CHECKED,
        rows_total=16972,
        rows_done=16972,
        summary={**NOTHING, "create_measurement": 16970, "rejected": 2},
    )
    html = _client(district, "kader").get(f"/impor/{job.pk}/").content.decode()
    assert '<span data-role="rows">16.972 / 16.972</span>' in html
    assert (
        '<tr data-key="create_measurement"><th scope="row">Pengukuran baru</th><td>16.970</td></tr>' in html
    )
