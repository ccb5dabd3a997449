"""Demo data of the convergence actions: TPPS, KPM/TPK rosters, the eight actions of two years with
outputs and evidence, assessment grades, a year of meetings with attendance and follow-ups.

Registered as `seed_demo` steps from the convergence.demo package. The gaps are those the field studies report:
an action behind schedule, a done output without its document, Aksi 8 not started, two OPD often
absent, one OPD sending a different person to each meeting, follow-ups past their due date.
"""

from __future__ import annotations

import datetime
import hashlib
import random

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import OutputWrapper
from django.db.models import Q
from django.utils.translation import gettext as _

from convergence import province
from convergence.actions import ACTIONS, ASSESSMENT_INDICATORS
from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step, step_rng
from convergence.models import (
    OPD,
    ActionOutput,
    AssessmentGrade,
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Region,
    Team,
    TeamMember,
)

_FIRST = (
    "Ahmad",
    "Budi",
    "Citra",
    "Dewi",
    "Eka",
    "Fitri",
    "Gunawan",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oktavia",
    "Putri",
    "Rahmat",
    "Sari",
    "Teguh",
    "Umi",
    "Wahyu",
    "Yuni",
)
_LAST = (
    "Santoso",
    "Wibowo",
    "Rahayu",
    "Hidayat",
    "Purnomo",
    "Susanti",
    "Saputra",
    "Kurniawan",
    "Wulandari",
    "Setiawati",
    "Nugroho",
    "Pratama",
    "Maharani",
    "Firmansyah",
    "Handoko",
    "Permatasari",
)

# (month, day) of planned start and end per action: the usual annual cycle (domain 1.2, partly unconfirmed).
_PLAN = {
    1: ((1, 10), (2, 15)),
    2: ((2, 16), (3, 31)),
    3: ((4, 1), (4, 30)),
    4: ((4, 15), (6, 30)),
    5: ((1, 15), (12, 15)),
    6: ((1, 15), (12, 15)),
    7: ((8, 1), (10, 31)),
    8: ((12, 1), (12, 31)),
}
# The agencies the field studies describe as absent from coordination, and the one rotating its staff.
OFTEN_ABSENT = ("DLH", "PERIKANAN")
CHANGES_PERSON = "DINSOS"

# A minimal valid PDF: the demo's evidence documents (about 300 bytes each).
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _date(year: int, month_day: tuple[int, int]) -> datetime.date:
    return datetime.date(year, *month_day)


@demo_step(50, "tpps")
def seed_teams(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """TPPS of the kabupaten, of each kecamatan and of this year's lokus desa; a KPM and a TPK per desa."""
    rng = step_rng(rng_seed, "tpps")
    teams = _teams(rng, district)
    Team.objects.bulk_create(teams)
    TeamMember.objects.bulk_create(_team_members(rng, district, teams))
    workers = _field_workers(rng, district)
    FieldWorker.objects.bulk_create(workers, batch_size=1000)
    district.count(_("TPPS"), len(teams))
    district.count(_("KPM dan TPK"), len(workers))


def _teams(rng: random.Random, district: DemoDistrict) -> list[Team]:
    """The kabupaten's TPPS, each kecamatan's and each of this year's lokus desa's (not yet saved)."""
    year = district.today.year
    start, end = datetime.date(year - 1, 1, 1), datetime.date(year + 1, 12, 31)
    teams = [
        Team(
            region=district.kabupaten,
            name=f"TPPS Kabupaten {district.kabupaten.name.title()}",
            decree_number=f"188/{rng.randint(10, 99)}/KEP/429.011/{year - 1}",
            decree_date=datetime.date(year - 1, 1, rng.randint(3, 20)),
            period_start=start,
            period_end=end,
        )
    ]
    teams += [
        Team(
            region=kecamatan,
            name=f"TPPS Kecamatan {kecamatan.name.title()}",
            decree_number=f"188/{rng.randint(1, 40)}/KEP/{kecamatan.code}/{year - 1}",
            decree_date=datetime.date(year - 1, 2, rng.randint(1, 28)),
            period_start=start,
            period_end=end,
        )
        for kecamatan in district.kecamatan
    ]
    lokus = district.lokus.get(year, [])
    teams += [
        Team(
            region=desa,
            name=f"TPPS Desa {desa.name.title()}",
            decree_number=f"141/{rng.randint(1, 30)}/{desa.code}/{year}",
            decree_date=datetime.date(year, 1, rng.randint(5, 31)),
            period_start=datetime.date(year, 1, 1),
            period_end=end,
        )
        for desa in lokus
    ]
    return teams


def _team_members(rng: random.Random, district: DemoDistrict, teams: list[Team]) -> list[TeamMember]:
    """The kabupaten team's heads of OPD, and four members of every other team (not yet saved)."""
    opd = district.opd
    kabupaten_members = [
        ("ketua", "Wakil Bupati", None),
        ("sekretaris", "Kepala Bappeda", "BAPPEDA"),
        ("koordinator_bidang", "Kepala Dinas Kesehatan", "DINKES"),
        ("koordinator_bidang", "Kepala Dinas PMD", "DPMD"),
        ("koordinator_bidang", "Kepala Dinas P3AP2KB", "DP3AP2KB"),
        *[
            ("anggota", f"Kepala {opd[code].name}", code)
            for code in ("DINSOS", "PUPR", "DISDIK", "DISKOMINFO", "KEMENAG")
        ],
    ]
    members = [
        TeamMember(
            team=teams[0],
            name=_name(rng),
            position_in_team=position,
            jabatan=jabatan,
            opd=opd.get(code) if code else None,
        )
        for position, jabatan, code in kabupaten_members
    ]
    for team in teams[1:]:
        local = "Camat" if team.region.level == "kecamatan" else "Kepala Desa"
        members += [
            TeamMember(team=team, name=_name(rng), position_in_team="ketua", jabatan=local),
            TeamMember(team=team, name=_name(rng), position_in_team="sekretaris", jabatan=_("Sekretaris")),
            TeamMember(
                team=team, name=_name(rng), position_in_team="anggota", jabatan="Bidan / tenaga kesehatan"
            ),
            TeamMember(team=team, name=_name(rng), position_in_team="anggota", jabatan="Penyuluh KB"),
        ]
    return members


def _field_workers(rng: random.Random, district: DemoDistrict) -> list[FieldWorker]:
    """A KPM (the demo KPM user in her desa) and three TPK per desa (not yet saved)."""
    year = district.today.year
    kpm_user = district.users.get("kpm")
    workers = []
    for desa in district.desa:
        account = kpm_user if kpm_user is not None and kpm_user.desa_id == desa.pk else None
        workers.append(
            FieldWorker(
                kind=FieldWorker.Kind.KPM,
                name=account.get_full_name() if account else _name(rng),
                desa=desa,
                decree_number=f"141/{rng.randint(1, 60)}/{desa.code}/{year}",
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                user=account,
            )
        )
        workers += [
            FieldWorker(
                kind=FieldWorker.Kind.TPK, name=_name(rng), desa=desa, period_start=datetime.date(year, 1, 1)
            )
            for _member in range(3)
        ]
    return workers


def _progress(number: int, year: int, today: datetime.date, rng: random.Random) -> dict[str, object]:
    """Status and dates of Aksi `number` of `year` as seen on `today`, with the demo's gaps."""
    planned_start, planned_end = (_date(year, md) for md in _PLAN[number])
    row: dict[str, object] = {"planned_start": planned_start, "planned_end": planned_end}
    if planned_start > today or (number == 8 and year == today.year):
        return row  # belum mulai (Aksi 8 of this year is never started in the demo)
    actual_start = planned_start + datetime.timedelta(days=rng.randint(0, 10))
    if actual_start > today:
        return row
    row.update(actual_start=actual_start, status=ConvergenceAction.Status.BERJALAN)
    # Aksi 4 of this year drags on past its plan (the Perbup waits for the legal bureau).
    if number == 4 and year == today.year:
        return row
    # Aksi 3 always finishes some weeks late; the others near their planned end.
    delay = rng.randint(14, 30) if number == 3 else rng.randint(-7, 3)
    actual_end = max(actual_start, planned_end + datetime.timedelta(days=delay))
    if actual_end <= today:
        row.update(actual_end=actual_end, status=ConvergenceAction.Status.SELESAI)
    return row


@demo_step(55, "aksi")
def seed_actions(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """The eight actions of last year and this year, with outputs, evidence and last year's grades."""
    rng = step_rng(rng_seed, "aksi")
    today = district.today
    bappeda = district.users.get("bappeda")
    actions = []
    for year in (today.year - 1, today.year):
        for definition in ACTIONS:
            pic = district.opd.get(definition.pic_opd_code)
            actions.append(
                ConvergenceAction(
                    kabupaten=district.kabupaten,
                    year=year,
                    number=definition.number,
                    pic_opd=pic,
                    person_in_charge=_name(rng),
                    **_progress(definition.number, year, today, rng),
                )
            )
    ConvergenceAction.objects.bulk_create(actions)
    outputs = []
    for action in actions:
        for output in ACTIONS[action.number - 1].outputs:
            done = action.status == ConvergenceAction.Status.SELESAI or (
                action.number == 7
                and action.status == ConvergenceAction.Status.BERJALAN
                and output.code == "pengukuran"
            )
            outputs.append(
                ActionOutput(
                    action=action,
                    code=output.code,
                    title=_(output.title),
                    required=output.required,
                    done=done,
                    done_on=(action.actual_end or action.actual_start) if done else None,
                )
            )
    ActionOutput.objects.bulk_create(outputs)
    documents = []
    for done_output in outputs:
        # Aksi 7's outputs are marked done, but nobody has uploaded the published data.
        if not done_output.done or done_output.action.number == 7:
            continue
        name = f"evidence/{done_output.action.year}/{rng.getrandbits(128):032x}.pdf"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(_PDF))
        documents.append(
            EvidenceDocument(
                output=done_output,
                file=name,
                original_name=f"Aksi {done_output.action.number} - {done_output.title}.pdf",
                doc_type=EvidenceDocument.DocType.PERBUP
                if done_output.code == "perbup"
                else EvidenceDocument.DocType.BERITA_ACARA,
                size_bytes=len(_PDF),
                sha256="",
                uploaded_by=bappeda,
            )
        )
    digest = hashlib.sha256(_PDF).hexdigest()
    for document in documents:
        document.sha256 = digest
    EvidenceDocument.objects.bulk_create(documents)
    _seed_assessment(rng, district)
    district.count(_("Aksi konvergensi"), len(actions))
    district.count(_("Dokumen bukti"), len(documents))


def _seed_assessment(rng: random.Random, district: DemoDistrict) -> None:
    """Last year's grades of every indicator, given by the province's demo user through the service as on
    its page (the province's target path is seeded by reports/demo.py)."""
    assessor = district.users["bappeda_provinsi"]
    last_year = district.today.year - 1
    for indicator in ASSESSMENT_INDICATORS:
        province.assessment_grade_save(
            user=assessor,
            kabupaten=district.kabupaten,
            year=last_year,
            indicator_code=indicator.code,
            grade=rng.choice("AABBC"),
            assessed_on=datetime.date(last_year, 11, rng.randint(1, 28)),
        )


@demo_step(60, "rapat")
def seed_meetings(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Twelve meetings over the last eleven months with attendance and follow-ups."""
    rng = step_rng(rng_seed, "rapat")
    today = district.today
    meetings = _meetings(rng, district)
    Meeting.objects.bulk_create([meeting for meeting, _invited in meetings])
    through = Meeting.invited.through
    through.objects.bulk_create(
        through(meeting_id=meeting.pk, opd_id=agency.pk)
        for meeting, invited in meetings
        for agency in invited
    )
    rows, follow_ups = _attendance_and_follow_ups(rng, district, meetings)
    Attendance.objects.bulk_create(rows)
    FollowUp.objects.bulk_create(follow_ups)
    district.count(_("Rapat"), len(meetings))
    district.count(
        _("Tindak lanjut terlambat"),
        sum(1 for row in follow_ups if row.status == FollowUp.Status.TERBUKA and row.due_date < today),
    )


def _meetings(rng: random.Random, district: DemoDistrict) -> list[tuple[Meeting, list[OPD]]]:
    """Twelve meetings (not yet saved), each with the OPD invited to it."""
    today = district.today
    opd = district.opd
    everyone = list(opd.values())
    local = [opd[code] for code in ("BAPPEDA", "DINKES", "DPMD", "DP3AP2KB", "DLH", "PERIKANAN", "DINSOS")]
    actions = {
        (action.year, action.number): action
        for action in ConvergenceAction.objects.filter(kabupaten=district.kabupaten)
    }
    bappeda = district.users.get("bappeda")
    meetings: list[tuple[Meeting, list[OPD]]] = []
    for index in range(12):
        held_on = today - datetime.timedelta(days=330 - index * 28 + rng.randint(0, 5))
        number = (index % 8) + 1
        if index % 4 == 1:
            kind, region, invited = Meeting.Kind.MINI_LOKAKARYA, rng.choice(district.kecamatan), local
        elif index == 6:
            kind, region, invited = Meeting.Kind.REMBUK, rng.choice(district.desa), local
        elif index % 4 == 3:
            kind, region, invited = Meeting.Kind.REMBUK, district.kabupaten, everyone
        else:
            kind = Meeting.Kind.PRA_AKSI if index % 2 == 0 else Meeting.Kind.PASCA_AKSI
            region, invited = district.kabupaten, everyone
        action = (
            actions.get((held_on.year, number))
            if kind in (Meeting.Kind.PRA_AKSI, Meeting.Kind.PASCA_AKSI)
            else None
        )
        title = {
            Meeting.Kind.MINI_LOKAKARYA: f"Mini lokakarya Kecamatan {region.name.title()}",
            Meeting.Kind.REMBUK: f"Rembuk stunting {region.get_level_display().lower()} {region.name.title()}",
        }.get(kind, f"Rapat koordinasi Aksi {number}")
        meeting = Meeting(
            kabupaten=district.kabupaten,
            region=region,
            kind=kind,
            action=action,
            held_on=held_on,
            title=title,
            agenda=_("Pembahasan kemajuan aksi konvergensi dan rencana tindak lanjut."),
            minutes=_("Notulen terlampir; OPD menyampaikan capaian kegiatan masing-masing."),
            created_by=bappeda,
        )
        meetings.append((meeting, invited))
    return meetings


def _attendance_and_follow_ups(
    rng: random.Random, district: DemoDistrict, meetings: list[tuple[Meeting, list[OPD]]]
) -> tuple[list[Attendance], list[FollowUp]]:
    """Who came to each meeting (some absences not even written down) and its follow-ups."""
    today = district.today
    opd = district.opd
    # The usual delegate of each OPD; DINSOS sends whoever is free.
    delegate = {code: (_name(rng), f"Kepala Bidang {agency.short_name}") for code, agency in opd.items()}
    rows: list[Attendance] = []
    follow_ups: list[FollowUp] = []
    for meeting, invited in meetings:
        for agency in invited:
            absent_chance = 0.7 if agency.code in OFTEN_ABSENT else 0.1
            if rng.random() < absent_chance:
                if rng.random() < 0.5:  # half the absences are not even written down
                    rows.append(Attendance(meeting=meeting, opd=agency, present=False))
                continue
            name, jabatan = delegate[agency.code]
            if agency.code == CHANGES_PERSON:
                name, jabatan = _name(rng), rng.choice(("Staf", "Kepala Seksi", "Sekretaris Dinas"))
            rows.append(
                Attendance(
                    meeting=meeting, opd=agency, present=True, attendee_name=name, attendee_jabatan=jabatan
                )
            )
        for _item in range(rng.randint(1, 2)):
            owner = rng.choice(invited)
            due = meeting.held_on + datetime.timedelta(days=rng.randint(14, 45))
            done = due < today and rng.random() < 0.55
            follow_ups.append(
                FollowUp(
                    meeting=meeting,
                    description=rng.choice(
                        (
                            "Menyampaikan data cakupan layanan per desa",
                            "Menyusun usulan kegiatan untuk Renja tahun depan",
                            "Memperbarui data keluarga berisiko stunting",
                            "Mengirim laporan realisasi anggaran kegiatan stunting",
                            "Menyiapkan bahan publikasi data stunting",
                        )
                    ),
                    owner_opd=owner,
                    due_date=due,
                    status=FollowUp.Status.SELESAI if done else FollowUp.Status.TERBUKA,
                    done_on=min(today, due + datetime.timedelta(days=rng.randint(-10, 10))) if done else None,
                )
            )
    return rows, follow_ups


@demo_cleanup(50, "aksi")
def delete_actions(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the kabupaten's meetings, actions (and evidence files), grades, TPPS and KPM/TPK."""
    inside = f"{kabupaten.code}."
    Meeting.objects.filter(kabupaten=kabupaten).delete()
    for name in EvidenceDocument.objects.filter(output__action__kabupaten=kabupaten).values_list(
        "file", flat=True
    ):
        default_storage.delete(name)
    ConvergenceAction.objects.filter(kabupaten=kabupaten).delete()
    AssessmentGrade.objects.filter(kabupaten=kabupaten).delete()
    Team.objects.filter(Q(region=kabupaten) | Q(region__code__startswith=inside)).delete()
    FieldWorker.objects.filter(desa__code__startswith=inside).delete()
