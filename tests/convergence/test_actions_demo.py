from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from convergence import demo, demo_actions
from convergence import selectors_actions as selectors
from convergence.models import (
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Region,
    Team,
    User,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def backbone_and_action_steps(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    autodiscover_modules("demo")
    modules = {demo.regions.__name__, demo.users.__name__, demo_actions.__name__}
    for registry in ("_STEPS", "_CLEANUPS"):
        steps = getattr(demo, registry)
        monkeypatch.setattr(
            demo, registry, {n: s for n, s in steps.items() if s.function.__module__ in modules}
        )


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())


def dump() -> list[tuple[Any, ...]]:
    return [
        *ConvergenceAction.objects.order_by("year", "number").values_list(
            "year", "number", "pic_opd__code", "person_in_charge", "planned_end", "actual_end", "status"
        ),
        *EvidenceDocument.objects.order_by("file").values_list("file", "original_name"),
        *Meeting.objects.order_by("held_on").values_list("held_on", "kind", "region__code", "title"),
        *Attendance.objects.order_by("meeting__held_on", "opd__code").values_list(
            "opd__code", "present", "attendee_name"
        ),
        *FollowUp.objects.order_by("meeting__held_on", "pk").values_list(
            "owner_opd__code", "due_date", "status"
        ),
        *FieldWorker.objects.order_by("desa__code", "kind", "name").values_list("desa__code", "kind", "name"),
    ]


def test_it_seeds_the_actions_meetings_and_rosters_quickly_and_deterministically(tmp_path: Path) -> None:
    started = time.monotonic()
    seed()
    # The whole backbone with these steps; the action steps alone take a fraction of it.
    assert time.monotonic() - started < 10
    first = dump()
    year = timezone.localdate().year
    assert Counter(ConvergenceAction.objects.values_list("year", flat=True)) == {year - 1: 8, year: 8}
    assert Meeting.objects.count() == 12
    assert Team.objects.filter(region__level="kabupaten").count() == 1
    assert Team.objects.filter(region__level="kecamatan").count() == 15
    assert Counter(FieldWorker.objects.values_list("kind", flat=True)) == {"kpm": 200, "tpk": 600}
    kpm = User.objects.get(username="kpm")
    assert FieldWorker.objects.get(kind="kpm", desa=kpm.desa).user == kpm
    for document in EvidenceDocument.objects.all():
        assert (tmp_path / document.file.name).read_bytes().startswith(b"%PDF-")
    seed("--reset")
    assert dump() == first


def test_it_leaves_the_gaps_the_field_studies_describe() -> None:
    seed()
    today = timezone.localdate()
    kabupaten = Region.objects.get(code=demo.KABUPATEN_CODE)
    bappeda = User.objects.get(username="bappeda")
    last_year = selectors.action_board(user=bappeda, kabupaten=kabupaten, year=today.year - 1, today=today)
    assert [row.state for row in last_year.actions] == ["selesai"] * 8
    assert last_year.actions[6].without_evidence == [
        "Data hasil pengukuran per desa dan puskesmas",
        "Publikasi data stunting",
    ]
    this_year = selectors.action_board(user=bappeda, kabupaten=kabupaten, year=today.year, today=today)
    assert this_year.actions[7].state == "belum_mulai"
    stats = {}
    for year in (today.year - 1, today.year):
        for opd_id, row in selectors.opd_attendance_for_year(
            user=bappeda, kabupaten=kabupaten, year=year
        ).items():
            stats.setdefault(opd_id, []).append(row)
    codes = dict(kabupaten.opd_set.values_list("pk", "code"))
    changing = sorted(
        {codes[opd_id] for opd_id, rows in stats.items() if any(r.changes_person for r in rows)}
    )
    absent = sorted({codes[opd_id] for opd_id, rows in stats.items() if any(r.often_absent for r in rows)})
    assert changing == [demo_actions.CHANGES_PERSON]
    assert set(absent) <= {*demo_actions.OFTEN_ABSENT}
    assert absent
    assert selectors.follow_up_overdue_for_user(user=bappeda, today=today).exists()


def test_reset_removes_the_evidence_files(tmp_path: Path) -> None:
    seed()
    names = list(EvidenceDocument.objects.values_list("file", flat=True))
    assert names
    demo.district_delete(kabupaten=Region.objects.get(code=demo.KABUPATEN_CODE), out=io.StringIO())  # type: ignore[arg-type]
    assert [name for name in names if (tmp_path / name).exists()] == []
    assert (ConvergenceAction.objects.count(), Meeting.objects.count(), Team.objects.count()) == (0, 0, 0)
