from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from convergence import services_actions as services
from convergence.models import (
    ActionOutput,
    AssessmentGrade,
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FollowUp,
    Meeting,
)
from tests.factories import DistrictFixture, UserFactory
from tests.problems import field_errors

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def data(district: DistrictFixture) -> dict[str, object]:
    services.opd_catalogue_load(kabupaten=district.kabupaten)
    bappeda = district.users["bappeda_admin"]
    actions = services.action_year_prepare(user=bappeda, kabupaten=district.kabupaten, year=2025)
    meeting = services.meeting_save(
        user=bappeda,
        region=district.kabupaten,
        kind="rembuk_stunting",
        held_on=datetime.date(2025, 4, 10),
        title="Rembuk stunting kabupaten",
        action=actions[2],
        invited=[district.dinkes, district.pupr],
    )
    follow_up = services.follow_up_create(
        user=bappeda,
        meeting=meeting,
        description="Data",
        owner_opd=district.dinkes,
        due_date=datetime.date(2025, 5, 1),
    )
    return {"actions": actions, "meeting": meeting, "follow_up": follow_up}


def api(district: DistrictFixture, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(district.users[role])
    return client


def state() -> list[object]:
    return [
        list(ConvergenceAction.objects.order_by("pk").values_list("status", "person_in_charge")),
        list(ActionOutput.objects.order_by("pk").values_list("done", "done_on")),
        EvidenceDocument.objects.count(),
        AssessmentGrade.objects.count(),
        Meeting.objects.count(),
        list(Attendance.objects.values_list("opd_id", "present")),
        list(FollowUp.objects.order_by("pk").values_list("status", "note")),
    ]


def test_it_lists_actions_filtered_by_year_and_number(
    district: DistrictFixture, data: dict[str, object]
) -> None:
    rows = api(district, "kpm").get("/api/v1/actions/", {"year": 2025, "number": 7}).json()["results"]
    assert [(r["number"], r["label_kemendagri"], r["status"], r["late"]) for r in rows] == [
        (7, "Pengukuran dan Publikasi Data Stunting", "belum_mulai", False)
    ]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("bappeda_admin", 200, 200),
        ("opd_officer", 200, 200),  # Dinkes: PIC of Aksi 7
        ("pimpinan", 200, 403),
        ("puskesmas_officer", 200, 403),
        ("kader", 200, 403),
        ("kpm", 200, 403),
        ("no_role", 404, 403),
    ],
)
def test_action_patch_per_role(
    district: DistrictFixture, data: dict[str, object], role: str, read: int, write: int
) -> None:
    action: ConvergenceAction = data["actions"][6]  # type: ignore[index]
    client = api(district, role)
    assert client.get(f"/api/v1/actions/{action.pk}/").status_code == read
    before = state()
    response = client.patch(
        f"/api/v1/actions/{action.pk}/", {"status": "berjalan", "person_in_charge": "dr. Sari"}, format="json"
    )
    assert response.status_code == write
    if write == 200:
        assert (response.json()["status"], response.json()["person_in_charge"]) == ("berjalan", "dr. Sari")
    else:
        assert state() == before


def test_an_opd_officer_cannot_patch_an_action_led_by_another_opd(
    district: DistrictFixture, data: dict[str, object]
) -> None:
    action: ConvergenceAction = data["actions"][0]  # type: ignore[index]
    before = state()
    assert (
        api(district, "opd_officer")
        .patch(f"/api/v1/actions/{action.pk}/", {"status": "berjalan"}, format="json")
        .status_code
        == 403
    )
    assert state() == before


def test_rows_of_another_kabupaten_are_not_found(district: DistrictFixture, data: dict[str, object]) -> None:
    outsider = UserFactory(username="bappeda_lain", role="bappeda_admin", kabupaten=district.other_kabupaten)
    client = APIClient()
    client.force_authenticate(outsider)
    action: ConvergenceAction = data["actions"][0]  # type: ignore[index]
    meeting: Meeting = data["meeting"]  # type: ignore[assignment]
    before = state()
    assert client.get("/api/v1/actions/").json()["results"] == []
    assert (
        client.patch(f"/api/v1/actions/{action.pk}/", {"status": "berjalan"}, format="json").status_code
        == 404
    )
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    response = client.post(
        "/api/v1/attendances/",
        {"meeting": meeting.pk, "opd": district.dinkes.pk, "present": False},
        format="json",
    )
    assert response.status_code == 400  # the meeting is not a valid choice for him
    assert state() == before


def test_a_finished_action_without_its_end_date_is_a_400_on_that_field(
    district: DistrictFixture, data: dict[str, object]
) -> None:
    action: ConvergenceAction = data["actions"][0]  # type: ignore[index]
    response = api(district, "bappeda_admin").patch(
        f"/api/v1/actions/{action.pk}/", {"status": "selesai"}, format="json"
    )
    assert (response.status_code, field_errors(response)) == (
        400,
        {"actual_end": ["Aksi yang selesai perlu tanggal realisasi selesai."]},
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 201),
        ("opd_officer", 201),
        ("pimpinan", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_evidence_upload_per_role(
    district: DistrictFixture, data: dict[str, object], role: str, status: int
) -> None:
    output = ActionOutput.objects.get(action=data["actions"][6], code="publikasi")  # type: ignore[index]
    response = api(district, role).post(
        "/api/v1/evidence/",
        {"output": output.pk, "doc_type": "laporan", "file": SimpleUploadedFile("Publikasi.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == status
    assert EvidenceDocument.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert (body["original_name"], body["size_bytes"], body["download_url"]) == (
            "Publikasi.pdf",
            len(PDF),
            f"/aksi/dokumen/{body['id']}/",
        )


def test_evidence_upload_refuses_a_disguised_file(district: DistrictFixture, data: dict[str, object]) -> None:
    output = ActionOutput.objects.get(action=data["actions"][6], code="publikasi")  # type: ignore[index]
    response = api(district, "bappeda_admin").post(
        "/api/v1/evidence/",
        {
            "output": output.pk,
            "doc_type": "laporan",
            "file": SimpleUploadedFile("Publikasi.pdf", b"MZ\x90\x00"),
        },
        format="multipart",
    )
    assert (response.status_code, field_errors(response)) == (
        400,
        {"file": ["Isi berkas tidak sesuai dengan jenisnya (pdf)."]},
    )
    assert EvidenceDocument.objects.count() == 0


def test_outputs_are_marked_done_by_the_pic_opd(district: DistrictFixture, data: dict[str, object]) -> None:
    output = ActionOutput.objects.get(action=data["actions"][6], code="pengukuran")  # type: ignore[index]
    response = api(district, "opd_officer").patch(
        f"/api/v1/action-outputs/{output.pk}/", {"done": True, "done_on": "2025-08-31"}, format="json"
    )
    assert (response.status_code, response.json()["done"], response.json()["done_on"]) == (
        200,
        True,
        "2025-08-31",
    )


@pytest.mark.parametrize(
    ("role", "status"), [("bappeda_admin", 201), ("opd_officer", 403), ("pimpinan", 403), ("kpm", 403)]
)
def test_meetings_are_created_by_bappeda_only(
    district: DistrictFixture, data: dict[str, object], role: str, status: int
) -> None:
    client = api(district, role)
    before = state()
    meeting = client.post(
        "/api/v1/meetings/",
        {
            "title": "Mini lokakarya",
            "kind": "mini_lokakarya",
            "region": "35.10.01",
            "held_on": "2025-05-02",
            "invited": [district.dinkes.pk],
        },
        format="json",
    )
    assert meeting.status_code == status
    if status == 201:
        assert (meeting.json()["level"], meeting.json()["kind"]) == ("kecamatan", "mini_lokakarya")
    else:
        assert state() == before


@pytest.mark.parametrize("role", ["bappeda_admin", "opd_officer", "pimpinan", "kpm"])
def test_grades_are_no_longer_written_by_any_role_of_the_kabupaten(
    district: DistrictFixture, data: dict[str, object], role: str
) -> None:
    """The province grades (tests/convergence/test_province_grades.py); the kabupaten reads its grades."""
    before = state()
    grade = api(district, role).post(
        "/api/v1/assessment-grades/",
        {"kabupaten": "35.10", "year": 2025, "indicator_code": "1.1", "grade": "A"},
        format="json",
    )
    assert grade.status_code == 403
    assert state() == before


def test_attendance_and_follow_ups_through_the_api(
    district: DistrictFixture, data: dict[str, object]
) -> None:
    meeting: Meeting = data["meeting"]  # type: ignore[assignment]
    follow_up: FollowUp = data["follow_up"]  # type: ignore[assignment]
    officer = api(district, "opd_officer")
    response = officer.post(
        "/api/v1/attendances/",
        {"meeting": meeting.pk, "opd": district.dinkes.pk, "present": True, "attendee_name": "dr. Sari"},
        format="json",
    )
    assert response.status_code == 201
    assert (
        officer.post(
            "/api/v1/attendances/",
            {"meeting": meeting.pk, "opd": district.pupr.pk, "present": False},
            format="json",
        ).status_code
        == 403
    )
    response = officer.patch(
        f"/api/v1/follow-ups/{follow_up.pk}/", {"status": "selesai", "note": "Terkirim"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["note"]) == (
        200,
        "selesai",
        "Terkirim",
    )
    rows = api(district, "pimpinan").get("/api/v1/attendances/", {"meeting": meeting.pk}).json()["results"]
    assert [(r["opd"], r["present"], r["attendee_name"]) for r in rows] == [
        (district.dinkes.pk, True, "dr. Sari")
    ]


def test_teams_and_rosters_are_read_only(district: DistrictFixture, data: dict[str, object]) -> None:
    client = api(district, "bappeda_admin")
    assert client.get("/api/v1/teams/").status_code == 200
    assert client.get("/api/v1/field-workers/").status_code == 200
    assert client.post("/api/v1/teams/", {}, format="json").status_code == 405
