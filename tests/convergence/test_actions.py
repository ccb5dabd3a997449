from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from convergence import selectors_actions as selectors
from convergence import services_actions as services
from convergence.actions import ACTIONS, opd_catalogue_defaults
from convergence.models import OPD, ActionOutput, AssessmentGrade, ConvergenceAction, EvidenceDocument
from tests.factories import DistrictFixture

TODAY = datetime.date(2025, 7, 15)


def test_it_defines_eight_actions_in_two_label_generations() -> None:
    assert [action.number for action in ACTIONS] == [1, 2, 3, 4, 5, 6, 7, 8]
    changed = [a.number for a in ACTIONS if a.label_2018 != a.label_kemendagri]
    assert changed == [1, 3, 4, 5, 7]
    assert ACTIONS[3].label_kemendagri == "Peraturan Bupati/Wali Kota tentang Percepatan Penurunan Stunting"
    assert [a.pic_opd_code for a in ACTIONS] == [
        "BAPPEDA",
        "BAPPEDA",
        "BAPPEDA",
        "DPMD",
        "DPMD",
        "BAPPEDA",
        "DINKES",
        "BAPPEDA",
    ]
    assert [o.code for o in ACTIONS[0].outputs if o.required] == ["lokus", "intervensi"]


def test_it_loads_the_missing_standard_opd_once(district: DistrictFixture) -> None:
    created = services.opd_catalogue_load(kabupaten=district.kabupaten)
    # DINKES and PUPR already exist in the district.
    assert len(created) == len(opd_catalogue_defaults()) - 2 == 12
    assert services.opd_catalogue_load(kabupaten=district.kabupaten) == []
    assert list(
        OPD.objects.filter(kabupaten=district.kabupaten, is_leading_sector=True).values_list(
            "code", flat=True
        )
    ) == ["BAPPEDA"]


@pytest.fixture
def actions(district: DistrictFixture) -> dict[int, ConvergenceAction]:
    services.opd_catalogue_load(kabupaten=district.kabupaten)
    prepared = services.action_year_prepare(
        user=district.users["bappeda_admin"], kabupaten=district.kabupaten, year=2025
    )
    return {action.number: action for action in prepared}


def test_it_prepares_the_eight_actions_with_outputs_and_default_pic_idempotently(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    assert [(n, a.pic_opd.code) for n, a in actions.items()] == [
        (1, "BAPPEDA"),
        (2, "BAPPEDA"),
        (3, "BAPPEDA"),
        (4, "DPMD"),
        (5, "DPMD"),
        (6, "BAPPEDA"),
        (7, "DINKES"),
        (8, "BAPPEDA"),
    ]
    outputs = ActionOutput.objects.count()
    assert outputs == sum(len(a.outputs) for a in ACTIONS) == 15
    services.action_year_prepare(
        user=district.users["bappeda_admin"], kabupaten=district.kabupaten, year=2025
    )
    assert (ConvergenceAction.objects.count(), ActionOutput.objects.count()) == (8, 15)


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"])
def test_only_bappeda_prepares_a_year(district: DistrictFixture, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.action_year_prepare(user=district.users[role], kabupaten=district.kabupaten, year=2025)
    assert ConvergenceAction.objects.count() == 0


def _set(action: ConvergenceAction, **fields: object) -> None:
    ConvergenceAction.objects.filter(pk=action.pk).update(**fields)


def test_the_board_shows_done_late_and_missing(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    d = datetime.date
    _set(actions[1], planned_end=d(2025, 2, 15), actual_end=d(2025, 2, 10), status="selesai")
    _set(actions[4], planned_end=d(2025, 6, 30), status="berjalan")  # planned end passed: late
    _set(actions[7], planned_end=d(2025, 7, 15), status="berjalan")  # due today: not late yet
    _set(actions[8], planned_end=d(2025, 12, 31))
    ActionOutput.objects.filter(action=actions[1], code__in=["lokus", "intervensi"]).update(
        done=True, done_on=d(2025, 2, 10)
    )
    ActionOutput.objects.filter(action=actions[7], code="pengukuran").update(done=True, done_on=d(2025, 7, 1))
    lokus = ActionOutput.objects.get(action=actions[1], code="lokus")
    EvidenceDocument.objects.create(
        output=lokus,
        file="evidence/2025/x.pdf",
        original_name="SK.pdf",
        doc_type="sk",
        size_bytes=1,
        sha256="",
    )
    ConvergenceAction.objects.filter(number=3).delete()  # never set up this year
    AssessmentGrade.objects.create(
        kabupaten=district.kabupaten, year=2025, indicator_code="1.1", indicator_text="Lokus", grade="B"
    )

    board = selectors.action_board(
        user=district.users["pimpinan"], kabupaten=district.kabupaten, year=2025, today=TODAY
    )

    assert [(row.number, row.state, row.late) for row in board.actions] == [
        (1, "selesai", False),
        (2, "belum_mulai", False),
        (3, "belum_dibuat", False),
        (4, "terlambat", True),
        (5, "belum_mulai", False),
        (6, "belum_mulai", False),
        (7, "berjalan", False),
        (8, "belum_mulai", False),
    ]
    one, seven = board.actions[0], board.actions[6]
    assert (
        one.outputs_done,
        one.outputs_total,
        one.missing_required,
        one.without_evidence,
        one.evidence_count,
    ) == (
        2,
        3,
        [],
        ["Rekomendasi kegiatan/intervensi prioritas"],
        1,
    )
    assert (seven.outputs_done, seven.missing_required, seven.without_evidence) == (
        1,
        ["Publikasi data stunting"],
        ["Data hasil pengukuran per desa dan puskesmas"],
    )
    assert board.prepared is False
    by_opd = {row.opd.code: [(a.number, a.state) for a in row.actions] for row in board.opd}
    assert by_opd["DPMD"] == [(4, "terlambat"), (5, "belum_mulai")]
    assert by_opd["DINKES"] == [(7, "berjalan")]
    assert [(g.indicator_code, g.grade) for g in board.grades] == [("1.1", "B")]


def test_the_board_counts_overdue_follow_ups_per_opd(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    user = district.users["bappeda_admin"]
    meeting = services.meeting_save(
        user=user,
        region=district.kabupaten,
        kind="koordinasi_pra_aksi",
        held_on=datetime.date(2025, 3, 1),
        title="Rapat",
    )
    for due in (datetime.date(2025, 4, 1), datetime.date(2025, 8, 1)):
        services.follow_up_create(
            user=user, meeting=meeting, description="Data", owner_opd=district.pupr, due_date=due
        )
    board = selectors.action_board(user=user, kabupaten=district.kabupaten, year=2025, today=TODAY)
    pupr = next(row for row in board.opd if row.opd.code == "PUPR")
    assert (pupr.overdue_follow_ups, pupr.open_follow_ups) == (1, 2)


def test_a_finished_action_needs_its_end_date(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.action_update(user=district.users["bappeda_admin"], action=actions[2], status="selesai")
    assert caught.value.message_dict == {"actual_end": ["Aksi yang selesai perlu tanggal realisasi selesai."]}
    actions[2].refresh_from_db()
    assert actions[2].status == "belum_mulai"


def test_the_pic_opd_updates_its_action_but_not_others_nor_the_pic(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    officer = district.users["opd_officer"]  # Dinkes, PIC of Aksi 7
    services.action_update(
        user=officer, action=actions[7], status="berjalan", actual_start=datetime.date(2025, 8, 2)
    )
    actions[7].refresh_from_db()
    assert (actions[7].status, actions[7].actual_start) == ("berjalan", datetime.date(2025, 8, 2))
    with pytest.raises(PermissionDenied):
        services.action_update(user=officer, action=actions[1], status="berjalan")
    with pytest.raises(PermissionDenied):
        services.action_update(user=officer, action=actions[7], pic_opd=district.pupr)
    assert ConvergenceAction.objects.get(pk=actions[1].pk).status == "belum_mulai"
    assert ConvergenceAction.objects.get(pk=actions[7].pk).pic_opd.code == "DINKES"


@pytest.mark.parametrize(
    ("role", "board", "detail", "edit"),
    [
        ("bappeda_admin", 200, 200, 302),
        ("opd_officer", 200, 200, 302),  # Dinkes is PIC of Aksi 7
        ("pimpinan", 200, 200, 403),
        ("puskesmas_officer", 200, 200, 403),
        ("kader", 200, 200, 403),
        ("kpm", 200, 200, 403),
        ("no_role", 403, 404, 404),
    ],
)
def test_action_pages_are_scoped_per_role(
    district: DistrictFixture,
    actions: dict[int, ConvergenceAction],
    role: str,
    board: int,
    detail: int,
    edit: int,
) -> None:
    client = Client()
    client.force_login(district.users[role])
    assert client.get(reverse("convergence:action-board", args=[2025])).status_code == board
    assert client.get(reverse("convergence:action-detail", args=[2025, 7])).status_code == detail
    response = client.post(
        reverse("convergence:action-detail", args=[2025, 7]),
        {"status": "berjalan", "planned_start": "2025-08-01", "planned_end": "2025-10-31"},
    )
    assert response.status_code == edit
    expected = "berjalan" if edit == 302 else "belum_mulai"
    assert ConvergenceAction.objects.get(pk=actions[7].pk).status == expected


def test_the_board_page_lists_the_actions_and_redirects_to_the_current_year(
    district: DistrictFixture, actions: dict[int, ConvergenceAction]
) -> None:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    response = client.get(reverse("convergence:action-home"))
    assert response.status_code == 302
    assert response["Location"].startswith("/aksi/")
    response = client.get(reverse("convergence:action-board", args=[2025]))
    assert [row.number for row in response.context["board"].actions] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert b'data-testid="prepare"' not in response.content
    assert b'data-testid="prepare"' in client.get(reverse("convergence:action-board", args=[2026])).content


def test_the_board_reads_a_constant_number_of_queries(
    district: DistrictFixture, actions: dict[int, ConvergenceAction], django_assert_max_num_queries: object
) -> None:
    user = district.users["pimpinan"]
    for index in range(3):
        meeting = services.meeting_save(
            user=district.users["bappeda_admin"],
            region=district.kabupaten,
            kind="lainnya",
            held_on=datetime.date(2025, 1, 1 + index),
            title="R",
            invited=[district.dinkes, district.pupr],
        )
        services.follow_up_create(
            user=district.users["bappeda_admin"],
            meeting=meeting,
            description="x",
            owner_opd=district.pupr,
            due_date=datetime.date(2025, 2, 1),
        )
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        selectors.action_board(user=user, kabupaten=district.kabupaten, year=2025, today=TODAY)


@pytest.mark.parametrize(
    ("role", "status"), [("bappeda_admin", 200), ("kpm", 200), ("pimpinan", 200), ("no_role", 403)]
)
def test_the_tpps_page_is_scoped(district: DistrictFixture, role: str, status: int) -> None:
    from convergence.models import FieldWorker, Team

    Team.objects.create(region=district.kabupaten, name="TPPS Kabupaten")
    FieldWorker.objects.create(kind="kpm", name="KPM Siliragung", desa=district.desa_a2)
    FieldWorker.objects.create(kind="kpm", name="KPM Sambimulyo", desa=district.desa_b1)
    client = Client()
    client.force_login(district.users[role])
    response = client.get(reverse("convergence:team-list"))
    assert response.status_code == status
    if status == 200:
        workers = [w.name for w in response.context["workers"]]
        assert workers == (["KPM Siliragung"] if role == "kpm" else ["KPM Siliragung", "KPM Sambimulyo"])
        assert [t.name for t in response.context["teams"]] == ["TPPS Kabupaten"]
