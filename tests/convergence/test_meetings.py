from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from convergence import selectors_actions as selectors
from convergence import services_actions as services
from convergence.models import OPD, Attendance, FollowUp, Meeting
from convergence.selectors_actions import AttendanceFact, attendance_stats
from tests.factories import DistrictFixture, OPDFactory

TODAY = datetime.date(2025, 9, 1)


# --- the flags over plain facts ------------------------------------------------------------------------


def facts(opd_id: int, names: list[str | None]) -> list[AttendanceFact]:
    """One fact per meeting: a name is present, None is absent with a row, "" is invited without a row."""
    return [
        AttendanceFact(
            opd_id=opd_id,
            meeting_id=index,
            present=None if name == "" else name is not None,
            attendee_name=name or "",
        )
        for index, name in enumerate(names)
    ]


def test_it_counts_invitations_attendance_absences_and_the_rate() -> None:
    stats = attendance_stats(facts(1, ["Budi", None, "", "Budi"]))[1]
    assert (stats.invited, stats.attended, stats.absent, stats.rate) == (4, 2, 2, 0.5)
    assert (stats.often_absent, stats.changes_person) == (False, False)


def test_it_flags_an_opd_attending_less_than_half_of_at_least_three_invitations() -> None:
    assert attendance_stats(facts(1, ["Budi", None, ""]))[1].often_absent is True
    assert attendance_stats(facts(1, [None, ""]))[1].often_absent is False  # too few to judge
    assert attendance_stats(facts(1, ["Budi", "Budi", None, ""]))[1].often_absent is False  # exactly half


def test_it_flags_an_opd_sending_different_people_by_the_share_of_distinct_names() -> None:
    # 3 attendances by 2 people: 0.67 > 0.5.
    assert attendance_stats(facts(1, ["Budi", "Sari", "Budi"]))[1].changes_person is True
    # 4 attendances by 2 people: exactly 0.5, not more.
    assert attendance_stats(facts(1, ["Budi", "Sari", "Budi", "Sari"]))[1].changes_person is False
    # 2 attendances by 2 people: too few attendances.
    assert attendance_stats(facts(1, ["Budi", "Sari"]))[1].changes_person is False
    # Names are compared without case and extra spaces; absences do not count.
    stats = attendance_stats(facts(1, ["Budi  Santoso", "budi santoso", "BUDI SANTOSO", None, ""]))[1]
    assert (stats.distinct_attendees, stats.changes_person) == (1, False)


# --- a hand-made year ----------------------------------------------------------------------------------


@pytest.fixture
def year(district: DistrictFixture) -> dict[str, object]:
    """Four kabupaten meetings in 2025 (one of another kind) and one in 2024; three OPD invited."""
    bappeda_user = district.users["bappeda_admin"]
    dinsos = OPDFactory(kabupaten=district.kabupaten, code="DINSOS", short_name="Dinsos")
    invited = [district.dinkes, district.pupr, dinsos]
    meetings = [
        services.meeting_save(
            user=bappeda_user,
            region=district.kabupaten,
            kind=kind,
            held_on=held_on,
            title=f"Rapat {held_on}",
            invited=invited,
        )
        for kind, held_on in [
            (Meeting.Kind.PRA_AKSI, datetime.date(2025, 1, 10)),
            (Meeting.Kind.PASCA_AKSI, datetime.date(2025, 2, 10)),
            (Meeting.Kind.REMBUK, datetime.date(2025, 4, 10)),
            (Meeting.Kind.PRA_AKSI, datetime.date(2025, 6, 10)),
            (Meeting.Kind.PRA_AKSI, datetime.date(2024, 12, 10)),
        ]
    ]
    # Dinkes: always the same person. Dinsos: someone else each time. PUPR: once, then absent/unrecorded.
    for meeting in meetings[:4]:
        services.attendance_record(
            user=bappeda_user,
            meeting=meeting,
            opd=district.dinkes,
            present=True,
            attendee_name="dr. Sari Wulandari",
        )
    for meeting, name in zip(meetings[:4], ["Budi", "Hadi", "Joko", "Budi"], strict=True):
        services.attendance_record(
            user=bappeda_user, meeting=meeting, opd=dinsos, present=True, attendee_name=name
        )
    services.attendance_record(
        user=bappeda_user, meeting=meetings[0], opd=district.pupr, present=True, attendee_name="Agus"
    )
    services.attendance_record(user=bappeda_user, meeting=meetings[1], opd=district.pupr, present=False)
    # Last year's meeting: PUPR came, Dinsos sent Budi; must not count in 2025.
    services.attendance_record(
        user=bappeda_user, meeting=meetings[4], opd=district.pupr, present=True, attendee_name="Agus"
    )
    follow_ups = [
        services.follow_up_create(
            user=bappeda_user,
            meeting=meetings[0],
            description="Data cakupan",
            owner_opd=district.pupr,
            due_date=due,
        )
        for due in (datetime.date(2025, 8, 31), datetime.date(2025, 9, 1), datetime.date(2025, 3, 1))
    ]
    services.follow_up_update(
        user=bappeda_user, follow_up=follow_ups[2], status="selesai", done_on=datetime.date(2025, 3, 5)
    )
    return {"meetings": meetings, "dinsos": dinsos, "follow_ups": follow_ups}


def test_it_computes_the_flags_of_each_opd_over_a_year(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    dinsos: OPD = year["dinsos"]  # type: ignore[assignment]
    stats = selectors.opd_attendance_for_year(
        user=district.users["pimpinan"], kabupaten=district.kabupaten, year=2025
    )
    summary = {
        opd_id: (
            row.invited,
            row.attended,
            row.absent,
            row.distinct_attendees,
            row.often_absent,
            row.changes_person,
        )
        for opd_id, row in stats.items()
    }
    assert summary == {
        district.dinkes.pk: (4, 4, 0, 1, False, False),
        dinsos.pk: (4, 4, 0, 3, False, True),
        district.pupr.pk: (4, 1, 3, 1, True, False),
    }


def test_it_computes_the_flags_over_meetings_of_one_kind(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    dinsos: OPD = year["dinsos"]  # type: ignore[assignment]
    stats = selectors.opd_attendance_for_year(
        user=district.users["bappeda_admin"],
        kabupaten=district.kabupaten,
        year=2025,
        kind=Meeting.Kind.PRA_AKSI,
    )
    # Two pre-action meetings: Budi then Budi.
    assert (
        stats[dinsos.pk].attended,
        stats[dinsos.pk].distinct_attendees,
        stats[dinsos.pk].changes_person,
    ) == (
        2,
        1,
        False,
    )


def test_it_lists_open_follow_ups_past_their_due_date_as_overdue(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    follow_ups: list[FollowUp] = year["follow_ups"]  # type: ignore[assignment]
    overdue = selectors.follow_up_overdue_for_user(user=district.users["kpm"], today=TODAY)
    assert list(overdue) == [follow_ups[0]]
    assert [selectors.follow_up_is_overdue(row, today=TODAY) for row in follow_ups] == [True, False, False]


def test_the_meeting_page_shows_absences_and_flags(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    meetings: list[Meeting] = year["meetings"]  # type: ignore[assignment]
    client = Client()
    client.force_login(district.users["pimpinan"])
    response = client.get(reverse("convergence:meeting-detail", args=[meetings[2].pk]))
    assert response.status_code == 200
    rows = {
        row.opd.code: (row.invited, row.present, row.attendee_name) for row in response.context["attendance"]
    }
    assert rows == {
        "DINKES": (True, True, "dr. Sari Wulandari"),
        "DINSOS": (True, True, "Joko"),
        "PUPR": (True, None, ""),
    }
    content = response.content.decode()
    assert content.count("Berganti orang (3 orang)") == 1
    assert content.count("Sering tidak hadir") == 1
    assert content.count("Tidak tercatat") == 1


def test_it_records_attendance_once_per_meeting_and_opd(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    services.attendance_record(
        user=district.users["opd_officer"],
        meeting=meeting,
        opd=district.dinkes,
        present=True,
        attendee_name=" dr.  Sari ",
    )
    assert list(
        Attendance.objects.filter(meeting=meeting, opd=district.dinkes).values_list(
            "attendee_name", flat=True
        )
    ) == ["dr. Sari"]


def test_an_opd_officer_records_only_his_own_agency(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    with pytest.raises(PermissionDenied):
        services.attendance_record(
            user=district.users["opd_officer"],
            meeting=meeting,
            opd=district.pupr,
            present=True,
            attendee_name="X",
        )
    assert not Attendance.objects.filter(meeting=meeting, opd=district.pupr).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 302),
        ("opd_officer", 403),
        ("pimpinan", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_only_bappeda_creates_meetings(district: DistrictFixture, role: str, status: int) -> None:
    client = Client()
    client.force_login(district.users[role])
    response = client.post(
        reverse("convergence:meeting-create"),
        {
            "title": "Mini lokakarya",
            "kind": "mini_lokakarya",
            "region": district.kecamatan_a.pk,
            "held_on": "2025-05-02",
            "invited": [district.dinkes.pk],
        },
    )
    assert response.status_code == status
    assert Meeting.objects.count() == (1 if status == 302 else 0)


@pytest.mark.parametrize(
    ("role", "list_status", "detail_status", "attend_status"),
    [
        ("bappeda_admin", 200, 200, 302),
        ("opd_officer", 200, 200, 302),  # Dinkes records its own attendance
        ("pimpinan", 200, 200, 403),
        ("puskesmas_officer", 200, 200, 403),
        ("kader", 200, 200, 403),
        ("kpm", 200, 200, 403),
        ("no_role", 403, 404, 404),
    ],
)
def test_meeting_pages_are_scoped_per_role(
    district: DistrictFixture,
    year: dict[str, object],
    role: str,
    list_status: int,
    detail_status: int,
    attend_status: int,
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    client = Client()
    client.force_login(district.users[role])
    assert client.get(reverse("convergence:meeting-list"), {"tahun": 2025}).status_code == list_status
    assert client.get(reverse("convergence:meeting-detail", args=[meeting.pk])).status_code == detail_status
    before = list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name"))
    response = client.post(
        reverse("convergence:attendance-record", args=[meeting.pk]),
        {"opd": district.dinkes.pk, "present": "on", "attendee_name": "Orang Baru"},
    )
    assert response.status_code == attend_status
    if attend_status != 302:
        assert list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name")) == before


def test_a_meeting_of_another_kabupaten_is_not_found(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    from tests.factories import UserFactory

    outsider = UserFactory(username="bappeda_lain", role="bappeda_admin", kabupaten=district.other_kabupaten)
    meeting: Meeting = year["meetings"][0]  # type: ignore[index]
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("convergence:meeting-detail", args=[meeting.pk])).status_code == 404
    assert list(client.get(reverse("convergence:meeting-list"), {"tahun": 2025}).context["meetings"]) == []


def test_the_meeting_list_filters_by_year_kind_and_level(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    response = client.get(
        reverse("convergence:meeting-list"), {"tahun": 2025, "jenis": "koordinasi_pra_aksi"}
    )
    assert [m.held_on for m in response.context["meetings"]] == [
        datetime.date(2025, 6, 10),
        datetime.date(2025, 1, 10),
    ]
    response = client.get(reverse("convergence:meeting-list"), {"tahun": 2025, "tingkat": "kecamatan"})
    assert list(response.context["meetings"]) == []


def test_the_owner_opd_closes_its_follow_up_and_nobody_else_does(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    follow_up: FollowUp = year["follow_ups"][0]  # type: ignore[index]
    client = Client()
    client.force_login(district.users["opd_officer"])  # Dinkes; PUPR owns it
    url = reverse("convergence:follow-up-update", args=[follow_up.pk])
    assert client.post(url, {"status": "selesai"}).status_code == 403
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.done_on) == ("terbuka", None)
    client.force_login(district.users["bappeda_admin"])
    assert client.post(url, {"status": "selesai"}).status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "selesai"


def _attendance_form_section(html: str) -> str:
    start = html.index('action="/rapat/')
    return html[html.rindex("<details", 0, start) : html.index("</details>", start)]


@pytest.mark.parametrize("role", ["bappeda_admin", "opd_officer"])
def test_a_present_opd_without_a_name_opens_the_form_on_its_error(
    district: DistrictFixture, year: dict[str, object], role: str
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    before = list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name"))
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users[role])
    response = client.post(
        reverse("convergence:attendance-record", args=[meeting.pk]),
        {"opd": district.dinkes.pk, "present": "on", "attendee_name": ""},
    )
    assert response.status_code == 400
    section = _attendance_form_section(response.content.decode())
    # Open without a script, marked for app.js to move the focus, the field marked and its message shown.
    assert section.startswith("<details open>")
    assert "data-has-errors" in section
    assert "Kehadiran belum tersimpan: periksa isian yang ditandai." in section
    name_input = re.search(r'<input[^>]*name="attendee_name"[^>]*>', section)
    assert name_input is not None
    assert 'aria-invalid="true"' in name_input.group()
    assert "Isi nama orang yang hadir." in section
    assert list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name")) == before


def test_the_attendance_form_stays_closed_until_something_is_wrong(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["bappeda_admin"])
    html = client.get(reverse("convergence:meeting-detail", args=[meeting.pk])).content.decode()
    section = _attendance_form_section(html)
    assert section.startswith("<details>")
    assert "data-has-errors" not in section


def test_the_head_cannot_record_attendance_and_nothing_changes(
    district: DistrictFixture, year: dict[str, object]
) -> None:
    meeting: Meeting = year["meetings"][3]  # type: ignore[index]
    before = list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name"))
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["pimpinan"])
    response = client.post(
        reverse("convergence:attendance-record", args=[meeting.pk]),
        {"opd": district.dinkes.pk, "present": "on", "attendee_name": "X"},
    )
    assert response.status_code == 403
    assert list(Attendance.objects.order_by("pk").values_list("pk", "present", "attendee_name")) == before
