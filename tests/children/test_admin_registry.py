"""The registry admin: scoped to Bappeda's kabupaten, NIK masked in lists, reads and exports logged."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from children.models import Child, ImportJob, Measurement, RecordAccess
from tests.children.test_exports import (
    ADDRESS,
    FORMULA_NAMES,
    MASKED,
    MOTHER,
    NIK,
    build_registry,
    formula_children,
)
from tests.convergence.test_spreadsheets import xlsx_stored
from tests.factories import ChildFactory, DistrictFixture, UserFactory

MODELS = [
    "child",
    "person",
    "keluarga",
    "measurement",
    "pregnancy",
    "adolescentgirl",
    "duplicatecandidate",
    "mergelog",
    "recordaccess",
    "importjob",
]


def _admin(district: DistrictFixture) -> Client:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    return client


@pytest.mark.parametrize("model", MODELS)
def test_bappeda_opens_every_registry_list(district: DistrictFixture, model: str) -> None:
    build_registry(district)
    assert _admin(district).get(f"/admin/children/{model}/").status_code == 200


def test_the_child_list_masks_the_nik_and_hides_other_kabupaten(district: DistrictFixture) -> None:
    build_registry(district)
    ChildFactory(posyandu=district.other_posyandu, name="Orang Lain")
    page = _admin(district).get("/admin/children/child/")
    content = page.content.decode()
    assert MASKED in content
    assert NIK not in content
    assert [c.name for c in page.context["cl"].result_list] == ["Budi Santoso", "Citra", "Dewi"]


def test_the_change_view_shows_the_nik_and_logs_the_read(district: DistrictFixture) -> None:
    registry = build_registry(district)
    page = _admin(district).get(f"/admin/children/child/{registry.child.pk}/change/")
    assert page.status_code == 200
    assert NIK in page.content.decode()
    log = RecordAccess.objects.get()
    assert (log.user, log.kind, log.object_id, log.channel) == (
        district.users["bappeda_admin"],
        RecordAccess.Kind.CHILD,
        registry.child.pk,
        RecordAccess.Channel.ADMIN,
    )


def test_a_change_goes_through_the_service_and_is_in_the_history(district: DistrictFixture) -> None:
    registry = build_registry(district)
    client = _admin(district)
    form = client.get(f"/admin/children/child/{registry.child.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(name="Budi S.", birth_date="2024-03-10", status="aktif")
    data = {key: ("" if value is False else value) for key, value in data.items()}
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(f"/admin/children/child/{registry.child.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    registry.child.refresh_from_db()
    assert registry.child.name == "Budi S."
    assert registry.child.history.first().history_user == district.users["bappeda_admin"]
    assert client.get(f"/admin/children/child/{registry.child.pk}/history/").status_code == 200


def test_rows_of_another_kabupaten_do_not_exist_for_bappeda(district: DistrictFixture) -> None:
    other = ChildFactory(posyandu=district.other_posyandu, name="Orang Lain")
    client = _admin(district)
    assert client.get(f"/admin/children/child/{other.pk}/change/").status_code == 302
    assert client.get(f"/admin/children/child/{other.pk}/history/").status_code == 404
    assert RecordAccess.objects.count() == 0


def test_computed_and_audit_rows_are_read_only(district: DistrictFixture) -> None:
    registry = build_registry(district)
    client = _admin(district)
    assert client.get("/admin/children/child/add/").status_code == 403
    assert client.get("/admin/children/recordaccess/add/").status_code == 403
    assert client.get("/admin/children/importjob/add/").status_code == 403
    before = Measurement.objects.get(pk=registry.measurement.pk).weight_kg
    response = client.post(
        f"/admin/children/measurement/{registry.measurement.pk}/change/", {"weight_kg": "20"}
    )
    assert response.status_code == 403
    assert Measurement.objects.get(pk=registry.measurement.pk).weight_kg == before
    assert (
        client.post(f"/admin/children/child/{registry.child.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Child.objects.filter(pk=registry.child.pk).exists()


def test_the_import_job_page_offers_no_download_of_the_file(district: DistrictFixture) -> None:
    job = ImportJob.objects.create(
        original_name="a.csv",
        uploaded_by=district.users["kader"],
        file="imports/a.csv",
        scope_code="35.10.01.2001",
    )
    page = _admin(district).get(f"/admin/children/importjob/{job.pk}/change/")
    assert page.status_code == 200
    assert b"imports/a.csv" not in page.content


def test_the_admin_export_is_scoped_and_logged(district: DistrictFixture) -> None:
    build_registry(district)
    ChildFactory(posyandu=district.other_posyandu, name="Orang Lain")
    response = _admin(district).post("/admin/children/child/export/", {"format": "0", "resource": "0"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == ["Budi Santoso", "Citra", "Dewi"]
    assert rows[1][1] == NIK
    log = RecordAccess.objects.get()
    assert (log.kind, log.record_count, log.channel) == (
        RecordAccess.Kind.CHILD,
        3,
        RecordAccess.Channel.EXPORT,
    )


def test_the_admin_csv_export_escapes_names_a_spreadsheet_would_run(district: DistrictFixture) -> None:
    formula_children(district)
    response = _admin(district).post("/admin/children/child/export/", {"format": "1", "resource": "0"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = io.StringIO(response.content.decode("utf-8-sig"), newline="")
    rows = list(csv.reader(text))[1:]
    assert sorted(row[2] for row in rows) == sorted(f"'{name}" for name in FORMULA_NAMES)
    assert {(row[8], row[15]) for row in rows} == {(f"'{MOTHER}", f"'{ADDRESS}")}


def test_the_admin_xlsx_export_writes_such_names_as_string_cells(district: DistrictFixture) -> None:
    formula_children(district)
    response = _admin(district).post("/admin/children/child/export/", {"format": "0", "resource": "0"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2))
    assert sorted(row[2].value for row in rows) == sorted(xlsx_stored(name) for name in FORMULA_NAMES)
    assert {(row[2].data_type, row[8].data_type, row[8].value) for row in rows} == {("s", "s", MOTHER)}


@pytest.mark.parametrize("role", ["kader", "kpm", "puskesmas_officer", "pimpinan", "opd_officer", "no_role"])
def test_other_roles_are_kept_out_even_as_staff(district: DistrictFixture, role: str) -> None:
    registry = build_registry(district)
    user = district.users[role]
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/admin/children/child/").status_code == 403
    assert client.get(f"/admin/children/child/{registry.child.pk}/change/").status_code == 403
    assert client.post("/admin/children/child/export/", {"format": "0", "resource": "0"}).status_code == 403
    assert RecordAccess.objects.count() == 0


def test_a_user_without_staff_rights_is_sent_to_the_login(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(UserFactory(username="biasa"))
    assert client.get("/admin/children/child/").status_code == 302
