"""The district of the scope probe: one object of every scoped model at each of five places, and who may
read it, written by hand (the oracle), never computed through convergence.scoping.

Places are the posyandu of tests.factories.build_district:
- Mawar: the kader's posyandu (desa SUMBERAGUNG, kecamatan A, puskesmas Pesanggaran);
- Melati: the other posyandu of the same desa;
- Anggrek: desa SILIRAGUNG, the KPM's desa, same kecamatan and puskesmas;
- Kenanga: kecamatan B (another puskesmas);
- Dahlia: the kabupaten beside (35.11).
Every label holds its place's name, so a page or an export showing another place's label is a leak.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import models

from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    ImportJob,
    Keluarga,
    Measurement,
    MergeLog,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from convergence.models import (
    OPD,
    ActionOutput,
    AssessmentGrade,
    Attendance,
    ConvergenceAction,
    DesaLokus,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Posyandu,
    Region,
    Role,
    Team,
    TeamMember,
)
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Delivery,
    DeliveryImportJob,
    Disbursement,
    Indicator,
    IndicatorTarget,
    Intervention,
    LokusWeights,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTProgramme,
    PMTRate,
    PMTReservation,
    Referral,
)
from reports.models import DashboardRule, PrevalenceSummary, SurveyFigure, TargetRule
from reports.models_maps import RegionMap
from reports.models_quality import DataQualitySummary
from tests.factories import DistrictFixture, OPDFactory, PuskesmasFactory, UserFactory

ROLES = [role.value for role in Role] + ["no_role"]
DISTRICT = {Role.BAPPEDA_ADMIN.value, Role.PIMPINAN.value, Role.OPD_OFFICER.value}
AREA = DISTRICT | {Role.PUSKESMAS_OFFICER.value, Role.KPM.value, Role.KADER.value}
PLACES = ["Mawar", "Melati", "Anggrek", "Kenanga", "Dahlia"]

# Who sees a row bound to a posyandu (or to a child of it) at each place ...
POSYANDU_SIGHT: dict[str, set[str]] = {
    "Mawar": DISTRICT | {"puskesmas_officer", "kader"},
    "Melati": DISTRICT | {"puskesmas_officer"},
    "Anggrek": DISTRICT | {"puskesmas_officer", "kpm"},
    "Kenanga": set(DISTRICT),
    "Dahlia": set(),
}
# ... and a row bound to the place's desa only (pregnancies, adolescent girls, desa lokus, KPM/TPK):
# the kader keeps her whole desa for these (docs/privacy.md).
DESA_SIGHT = {**POSYANDU_SIGHT, "Melati": POSYANDU_SIGHT["Melati"] | {"kader"}}
# Convergence governance, catalogues and targets are public inside the kabupaten.
KABUPATEN_SIGHT = {place: (set(AREA) if place != "Dahlia" else set()) for place in PLACES}
DAY = datetime.date(2025, 8, 10)


@dataclass(frozen=True)
class Obj:
    model: type[models.Model]
    pk: int
    label: str
    readers: frozenset[str]
    place: str


@dataclass
class World:
    district: DistrictFixture
    objects: list[Obj] = field(default_factory=list)

    def add(self, obj: models.Model, label: str, readers: Iterable[str], place: str) -> None:
        self.objects.append(Obj(type(obj), obj.pk, label, frozenset(readers), place))

    def of(self, model: type[models.Model]) -> list[Obj]:
        return [o for o in self.objects if o.model is model]

    def inside(self, model: type[models.Model], role: str) -> Obj | None:
        return next((o for o in self.of(model) if role in o.readers), None)

    def outside(self, model: type[models.Model], role: str) -> Obj | None:
        """An object `role` must not read, the nearest first (the same desa before another kabupaten)."""
        return next((o for o in self.of(model) if role not in o.readers), None)

    def hidden_labels(self, role: str) -> set[str]:
        """Labels of named registry rows `role` must not see (pages, exports)."""
        return {o.label for o in self.objects if role not in o.readers and o.model in NAMED}


# Models whose label is a person's or a family's name: pages and exports must not show it out of sight.
NAMED = {Keluarga, Person, Child}


def _posyandu_of(d: DistrictFixture) -> dict[str, Posyandu]:
    return dict(
        zip(
            PLACES,
            [d.posyandu_a1, d.posyandu_a1_second, d.posyandu_a2, d.posyandu_b1, d.other_posyandu],
            strict=True,
        )
    )


def build_world(d: DistrictFixture) -> World:
    """Five places' registries, interventions, PMT money, governance and summaries (see the docstring)."""
    world = World(d)
    other_opd = OPDFactory(kabupaten=d.other_kabupaten, code="DINKES", name="Dinkes Lain", short_name="DL")
    other_admin = UserFactory(username="bappeda_lain", role=Role.BAPPEDA_ADMIN, kabupaten=d.other_kabupaten)
    kabupaten = {"Mawar": d.kabupaten, "Dahlia": d.other_kabupaten}
    agency = {"Mawar": d.dinkes, "Dahlia": other_opd}
    catalogue = _kabupaten_rows(world, kabupaten, agency)
    _backbone(world, other_opd)
    for place, posyandu in _posyandu_of(d).items():
        home = "Dahlia" if place == "Dahlia" else "Mawar"
        admin = other_admin if place == "Dahlia" else d.users["bappeda_admin"]
        subjects = _registry(world, place, posyandu, admin)
        _interventions(world, place, posyandu, subjects, catalogue[home], admin)
        _summaries(world, place, posyandu)
    _import_jobs(world, other_admin)
    _delivery_import_jobs(world, other_admin)
    return world


def _backbone(world: World, other_opd: OPD) -> None:
    d = world.district
    for place, posyandu in _posyandu_of(d).items():
        world.add(posyandu, f"Posyandu {place}", POSYANDU_SIGHT[place], place)
    desa_sight = {
        "Mawar": DISTRICT | {"puskesmas_officer", "kader"},
        "Anggrek": DISTRICT | {"puskesmas_officer", "kpm"},
        "Kenanga": set(DISTRICT),
        "Dahlia": set(),
    }
    for place, desa in zip(desa_sight, [d.desa_a1, d.desa_a2, d.desa_b1, d.other_desa], strict=True):
        world.add(desa, desa.name, desa_sight[place], place)
    other_puskesmas = PuskesmasFactory(kecamatan=d.other_desa.parent, code="PKM09", name="Maesan")
    world.add(d.puskesmas_a, "Puskesmas Pesanggaran", AREA, "Mawar")
    world.add(d.puskesmas_b, "Puskesmas Bangorejo", DISTRICT, "Kenanga")
    world.add(other_puskesmas, "Puskesmas Maesan", set(), "Dahlia")
    world.add(d.dinkes, "Dinkes", AREA, "Mawar")
    world.add(other_opd, "Dinkes Lain", set(), "Dahlia")


def _kabupaten_rows(
    world: World, kabupaten: dict[str, Region], agency: dict[str, OPD]
) -> dict[str, dict[str, models.Model]]:
    """Governance, catalogue and targets of each kabupaten; returns each one's intervention and programme."""
    indicator = Indicator.objects.create(
        code="PROBE-1", name="Indikator uji", kind="spesifik", target_group="balita"
    )
    world.add(indicator, "Indikator uji", AREA, "Mawar")
    catalogue: dict[str, dict[str, models.Model]] = {}
    for place, kab in kabupaten.items():
        rows = [*_governance(place, kab, agency[place]), *_catalogue(place, kab, agency[place], indicator)]
        for row in rows:
            world.add(row, f"{type(row).__name__} {place}", KABUPATEN_SIGHT[place], place)
        catalogue[place] = {type(row).__name__: row for row in rows}
    return catalogue


def _governance(place: str, kab: Region, opd: OPD) -> list[models.Model]:
    team = Team.objects.create(region=kab, name=f"TPPS {place}")
    member = TeamMember.objects.create(team=team, name=f"Ketua {place}", position_in_team="ketua")
    action = ConvergenceAction.objects.create(kabupaten=kab, year=2025, number=1, pic_opd=opd)
    output = ActionOutput.objects.create(action=action, code="O1", title=f"Keluaran {place}")
    evidence = EvidenceDocument(
        output=output, original_name=f"bukti-{place}.pdf", doc_type="lainnya", size_bytes=3, sha256="0" * 64
    )
    evidence.file.save(f"probe-{place}.pdf", ContentFile(b"%PD"), save=True)
    grade = AssessmentGrade.objects.create(
        kabupaten=kab, year=2025, indicator_code="1.1", indicator_text="Uji", grade="A"
    )
    meeting = Meeting.objects.create(
        kabupaten=kab, region=kab, kind="rembuk_stunting", held_on=DAY, title=f"Rembuk {place}"
    )
    attendance = Attendance.objects.create(meeting=meeting, opd=opd, present=False)
    follow_up = FollowUp.objects.create(
        meeting=meeting, description=f"Tindak lanjut {place}", owner_opd=opd, due_date=DAY
    )
    return [team, member, action, output, evidence, grade, meeting, attendance, follow_up]


def _catalogue(place: str, kab: Region, opd: OPD, indicator: Indicator) -> list[models.Model]:
    intervention = Intervention.objects.create(
        kabupaten=kab,
        code=f"PMT-{place}",
        name=f"Intervensi {place}",
        kind="spesifik",
        target_group="balita",
        opd=opd,
        unit="paket",
        valid_from=datetime.date(2024, 1, 1),
    )
    programme = PMTProgramme.objects.create(
        kabupaten=kab,
        year=2025,
        name=f"PMT {place}",
        category="gizi_kurang",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        opd=opd,
    )
    return [
        intervention,
        programme,
        IndicatorTarget.objects.create(indicator=indicator, kabupaten=kab, year=2025, target_percent=90),
        LokusWeights.objects.create(kabupaten=kab, year=2025),
        PMTRate.objects.create(
            kabupaten=kab,
            category="gizi_kurang",
            valid_from=datetime.date(2025, 1, 1),
            daily_rate=15000,
            duration_days=56,
        ),
        TargetRule.objects.create(kabupaten=kab, target_year=2026, target_pct=Decimal("14.00")),
        DashboardRule.objects.create(kabupaten=kab, min_measured_to_rank=5),
        SurveyFigure.objects.create(region=kab, year=2024, source="SKI", stunting_pct=Decimal("20.10")),
        RegionMap.objects.create(
            kabupaten=kab, geojson={"type": "FeatureCollection", "features": []}, code_property="kode"
        ),
    ]


def _registry(world: World, place: str, posyandu: Posyandu, admin: models.Model) -> dict[str, models.Model]:
    desa = posyandu.desa
    posyandu_sight, desa_sight = POSYANDU_SIGHT[place], DESA_SIGHT[place]
    keluarga = Keluarga.objects.create(head_name=f"Keluarga {place}", desa=desa)
    mother = Person.objects.create(name=f"Ibu {place}", sex="P", desa=desa, keluarga=keluarga)
    child = Child.objects.create(
        name=f"Anak {place}",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=posyandu,
        desa=desa,
        keluarga=keluarga,
        mother=mother,
    )
    twin = Child.objects.create(
        name=f"Kembar {place}", sex="L", birth_date=datetime.date(2024, 3, 10), posyandu=posyandu, desa=desa
    )
    measurement = Measurement.objects.create(
        child=child, posyandu=posyandu, measured_on=DAY, age_days=(DAY - child.birth_date).days
    )
    duplicate = DuplicateCandidate.objects.create(
        kind="anak", child_a=child, child_b=twin, desa=desa, reason="nama_mirip_tgl_lahir"
    )
    merge = MergeLog.objects.create(
        kind="anak",
        survivor_child=child,
        removed_id=999,
        removed={"name": f"Lama {place}"},
        desa=desa,
        merged_by=admin,
    )
    for row, label in [
        (keluarga, keluarga.head_name),
        (mother, mother.name),
        (child, child.name),
        (twin, twin.name),
        (measurement, f"Pengukuran {place}"),
        (duplicate, f"Duplikat {place}"),
        (merge, f"Gabung {place}"),
    ]:
        world.add(row, label, posyandu_sight, place)
    pregnant = Person.objects.create(name=f"Hamil {place}", sex="P", desa=desa)
    pregnancy = Pregnancy.objects.create(mother=pregnant, desa=desa, lmp_date=datetime.date(2025, 5, 1))
    visit = PregnancyVisit.objects.create(pregnancy=pregnancy, visit_date=DAY)
    girl_person = Person.objects.create(
        name=f"Remaja {place}", sex="P", desa=desa, birth_date=datetime.date(2011, 4, 1)
    )
    girl = AdolescentGirl.objects.create(person=girl_person)
    ttd = AdolescentTTD.objects.create(girl=girl, week_start=datetime.date(2025, 8, 4))
    lokus = DesaLokus.objects.create(desa=desa, year=2025) if place != "Melati" else None
    worker = FieldWorker.objects.create(kind="kpm", name=f"KPM {place}", desa=desa)
    for row, label in [
        (pregnant, pregnant.name),
        (pregnancy, f"Kehamilan {place}"),
        (visit, f"Kunjungan {place}"),
        (girl_person, girl_person.name),
        (girl, f"Remaja putri {place}"),
        (ttd, f"TTD {place}"),
        (lokus, f"Lokus {place}"),
        (worker, worker.name),
    ]:
        if row is not None:
            world.add(row, label, desa_sight, place)
    return {"child": child, "pregnant": pregnant, "keluarga": keluarga}


def _interventions(
    world: World,
    place: str,
    posyandu: Posyandu,
    subjects: dict[str, models.Model],
    catalogue: dict[str, models.Model],
    admin: models.Model,
) -> None:
    """Deliveries, referrals and PMT episodes (owned by an OPD) of the place's child and pregnant woman."""
    desa, child, pregnant = posyandu.desa, subjects["child"], subjects["pregnant"]
    intervention, programme = catalogue["Intervention"], catalogue["PMTProgramme"]
    assert isinstance(intervention, Intervention)
    # Rows owned by an OPD: its officer sees his agency's, the area roles the rows of their area's subjects.
    dinkes = {"opd_officer"} if intervention.opd_id == world.district.dinkes.pk else set()
    child_sight = (POSYANDU_SIGHT[place] - {"opd_officer"}) | dinkes
    woman_sight = (DESA_SIGHT[place] - {"opd_officer"}) | dinkes
    subject = {"intervention": intervention, "opd": intervention.opd, "child": child, "desa": desa}
    delivery = Delivery.objects.create(**subject, delivered_on=DAY, quantity=Decimal(1), unit="paket")
    referral = Referral.objects.create(**subject, reason=f"Rujukan {place}", due_date=DAY, created_by=admin)
    world.add(delivery, f"Penyaluran {place}", child_sight, place)
    world.add(referral, f"Rujukan {place}", child_sight, place)
    episode = {"programme": programme, "desa": desa, "start_date": DAY, "days": 56, "enrolled_by": admin}
    money = {"daily_rate": Decimal(15000), "cost": Decimal(840000)}
    enrolment = PMTEnrolment.objects.create(**episode, **money, child=child)
    for_woman = PMTEnrolment.objects.create(**episode, **money, person=pregnant)
    log = PMTDeliveryLog.objects.create(
        enrolment=enrolment, delivered_on=DAY, days_delivered=7, food_form="matang", recorded_by=admin
    )
    world.add(enrolment, f"Episode PMT {place}", child_sight, place)
    world.add(for_woman, f"Episode PMT ibu {place}", woman_sight, place)
    world.add(log, f"Distribusi PMT {place}", child_sight, place)
    _money(world, place, desa, enrolment, admin)
    if place == "Mawar":
        # Another agency's row in the same place: out of the OPD officer's sight, in everyone else's.
        pupr = Intervention.objects.create(
            **{
                f: getattr(intervention, f)
                for f in ("kabupaten", "kind", "target_group", "unit", "valid_from")
            },
            code="AIR",
            name="Air bersih",
            opd=world.district.pupr,
        )
        other = Delivery.objects.create(
            intervention=pupr, opd=pupr.opd, child=child, desa=desa, delivered_on=DAY, unit="paket"
        )
        world.add(other, "Penyaluran PUPR", POSYANDU_SIGHT[place] - {"opd_officer"}, place)


def _money(world: World, place: str, desa: Region, enrolment: PMTEnrolment, admin: models.Model) -> None:
    """The desa's Dana Desa line and its revision, reservation and payment."""
    line = BudgetLine.objects.create(
        kabupaten=enrolment.programme.kabupaten,
        year=2025,
        source="dana_desa",
        desa=desa,
        name=f"Dana Desa {place}",
        original_allocated=Decimal(10_000_000),
        allocated=Decimal(10_000_000),
    )
    revision = BudgetRevision.objects.create(
        budget_line=line,
        revised_on=DAY,
        previous_allocated=Decimal(10_000_000),
        new_allocated=Decimal(10_000_000),
        reason="Uji",
        made_by=admin,
    )
    reservation = PMTReservation.objects.create(enrolment=enrolment, budget_line=line, amount=Decimal(840000))
    disbursement = Disbursement.objects.create(
        budget_line=line,
        enrolment=enrolment,
        paid_on=DAY,
        payee=f"Penyedia {place}",
        amount=Decimal(100000),
        recorded_by=admin,
    )
    # A desa's line is read by its area; OPD officers read their agency's lines only.
    sight = DESA_SIGHT[place] - {"opd_officer"}
    for row, label in [
        (line, line.name),
        (revision, f"Revisi {place}"),
        (reservation, f"Cadangan {place}"),
        (disbursement, disbursement.payee),
    ]:
        world.add(row, label, sight, place)


def _summaries(world: World, place: str, posyandu: Posyandu) -> None:
    period = datetime.date(2025, 8, 1)
    prevalence = PrevalenceSummary.objects.create(
        level="posyandu",
        region=posyandu.desa,
        posyandu=posyandu,
        kecamatan=posyandu.desa.parent,
        period_kind="M",
        period=period,
        registered=3,
    )
    quality = DataQualitySummary.objects.create(
        kind="posyandu", posyandu=posyandu, kecamatan=posyandu.desa.parent, period=period
    )
    world.add(prevalence, f"Prevalensi {place}", POSYANDU_SIGHT[place], place)
    world.add(quality, f"Kualitas {place}", POSYANDU_SIGHT[place], place)


def _import_jobs(world: World, other_admin: models.Model) -> None:
    """A job is read by the district roles of its kabupaten and by its uploader."""
    d = world.district
    for place, user, code in [
        ("Mawar", d.users["kader"], d.desa_a1.code),
        ("Anggrek", d.users["kpm"], d.desa_a2.code),
        ("Dahlia", other_admin, f"{d.other_kabupaten.code}."),
    ]:
        job = ImportJob(original_name=f"impor-{place}.csv", uploaded_by=user, scope_code=code, status="siap")
        job.file.save(f"probe-{place}.csv", ContentFile(b"nama\n"), save=True)
        readers = (DISTRICT | {user.role}) if place != "Dahlia" else set()
        world.add(job, job.original_name, readers, place)


def _delivery_import_jobs(world: World, other_admin: models.Model) -> None:
    """A delivery sheet is read by its uploader, his OPD's officers and Bappeda/pimpinan of its kabupaten."""
    d = world.district
    for place, user, opd, code, readers in [
        (
            "Mawar",
            d.users["opd_officer"],
            d.dinkes,
            d.kabupaten.code,
            {"bappeda_admin", "pimpinan", "opd_officer"},
        ),
        ("Anggrek", d.users["bappeda_admin"], None, d.kabupaten.code, {"bappeda_admin", "pimpinan"}),
        ("Dahlia", other_admin, None, d.other_kabupaten.code, set()),
    ]:
        job = DeliveryImportJob(
            original_name=f"penyaluran-{place}.csv",
            uploaded_by=user,
            opd=opd,
            kabupaten_code=code,
            status="siap",
        )
        job.file.save(f"probe-penyaluran-{place}.csv", ContentFile(b"kode intervensi\n"), save=True)
        world.add(job, job.original_name, readers, place)
