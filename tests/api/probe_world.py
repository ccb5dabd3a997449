"""The world of the scope probe: two kabupaten of province 35 fully loaded, and a kabupaten of a second
province; one object of every scoped model at each of six places, and who may read it, written by hand
(the oracle), never computed through convergence.scoping.

Places are the posyandu of tests.factories.build_district, and one of province 36:
- Mawar: the kader's posyandu (desa SUMBERAGUNG, kecamatan A, puskesmas Pesanggaran);
- Melati: the other posyandu of the same desa;
- Anggrek: desa SILIRAGUNG, the KPM's desa, same kecamatan and puskesmas;
- Kenanga: kecamatan B (another puskesmas);
- Dahlia: the kabupaten beside (35.11), with a user of every role of its own (personas "<role>@35.11");
- Cempaka: kabupaten 36.01 of province 36, read only by the aggregate roles (its own "bappeda_provinsi@36").
Every label holds its place's name, so a page or an export showing another place's label is a leak.

The aggregate roles (Bappeda provinsi, nasional) read the governance, targets and place names of their
area (AGGREGATE_READ) and never a named record, a desa or posyandu figure, money by name or a job.
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
    Puskesmas,
    Region,
    Role,
    Team,
    TeamMember,
    User,
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
from reports.models import DashboardRule, PrevalenceSummary, ProvincialTarget, SurveyFigure, TargetRule
from reports.models_maps import RegionMap
from reports.models_quality import DataQualitySummary
from tests.factories import (
    DistrictFixture,
    OPDFactory,
    PosyanduFactory,
    PuskesmasFactory,
    RegionFactory,
    UserFactory,
)

OTHER = "@35.11"  # the personas of kabupaten 35.11
# Personas: the users of kabupaten 35.10 and the aggregate roles by their role's name, those of 35.11
# and the provincial role of province 36 by a suffix (role_of gives the role back).
ROLES = [role.value for role in Role] + ["no_role"]
ROLES += [f"{role}{OTHER}" for role in ("bappeda_admin", "pimpinan", "opd_officer")]
ROLES += [f"{role}{OTHER}" for role in ("puskesmas_officer", "kader", "kpm")] + ["bappeda_provinsi@36"]
DISTRICT = {Role.BAPPEDA_ADMIN.value, Role.PIMPINAN.value, Role.OPD_OFFICER.value}
AREA = DISTRICT | {Role.PUSKESMAS_OFFICER.value, Role.KPM.value, Role.KADER.value}
OTHER_DISTRICT = {f"{role}{OTHER}" for role in DISTRICT}
OTHER_AREA = {f"{role}{OTHER}" for role in AREA}
OPD_OFFICERS = {"opd_officer", f"opd_officer{OTHER}"}
PLACES = ["Mawar", "Melati", "Anggrek", "Kenanga", "Dahlia", "Cempaka"]
# The place whose kabupaten rows (governance, catalogue, targets) stand for each place's kabupaten.
HOME = {"Mawar": "Mawar", "Melati": "Mawar", "Anggrek": "Mawar", "Kenanga": "Mawar"}
HOME |= {"Dahlia": "Dahlia", "Cempaka": "Cempaka"}
PROVINCE_OF = {"Mawar": "35", "Dahlia": "35", "Cempaka": "36"}

# Who sees a row bound to a posyandu (or to a child of it) at each place ...
POSYANDU_SIGHT: dict[str, set[str]] = {
    "Mawar": DISTRICT | {"puskesmas_officer", "kader"},
    "Melati": DISTRICT | {"puskesmas_officer"},
    "Anggrek": DISTRICT | {"puskesmas_officer", "kpm"},
    "Kenanga": set(DISTRICT),
    "Dahlia": set(OTHER_AREA),
    "Cempaka": set(),
}
# ... and a row bound to the place's desa only (pregnancies, adolescent girls, desa lokus, KPM/TPK):
# the kader keeps her whole desa for these (docs/privacy.md).
DESA_SIGHT = {**POSYANDU_SIGHT, "Melati": POSYANDU_SIGHT["Melati"] | {"kader"}}
# Convergence governance, catalogues and targets are public inside the kabupaten (by HOME).
KABUPATEN_SIGHT: dict[str, set[str]] = {"Mawar": set(AREA), "Dahlia": set(OTHER_AREA), "Cempaka": set()}
# The aggregate roles of each province: its Bappeda provinsi and the national role.
AGGREGATE_SIGHT = {"35": {"bappeda_provinsi", "nasional"}, "36": {"bappeda_provinsi@36", "nasional"}}
DAY = datetime.date(2025, 8, 10)


def role_of(persona: str) -> str:
    """The role of a persona ("kader@35.11" -> "kader")."""
    return persona.split("@")[0]


def aggregate(place: str) -> set[str]:
    """The aggregate roles whose area holds `place`."""
    return AGGREGATE_SIGHT[PROVINCE_OF[HOME[place]]]


@dataclass(frozen=True)
class Obj:
    model: type[models.Model]
    pk: int
    label: str
    readers: frozenset[str]
    place: str


@dataclass(frozen=True)
class Home:
    """A kabupaten of the probe: its region, its agency (owner of its catalogue) and its Bappeda user."""

    region: Region
    agency: OPD
    admin: User
    # The persona of the agency's officer (he reads its rows), or None when no persona works there.
    officer: str | None


@dataclass(frozen=True)
class Area:
    """A kabupaten and its province, as the pages above the kabupaten address them by code."""

    provinsi: str
    kabupaten: str
    # The aggregate roles of its province, and the roles bound to the kabupaten's own units.
    aggregate: frozenset[str]
    local: frozenset[str]


@dataclass
class World:
    district: DistrictFixture
    users: dict[str, User]
    objects: list[Obj] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

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
# What the aggregate roles read of their area (convergence.scoping.Scope.is_aggregate_only): the eight
# actions as the province grades them, targets and survey figures, the names of places, and kabupaten
# and kecamatan figures. Nothing else: no named record, no money row, no job, no meeting's attendance.
AGGREGATE_READ = {ConvergenceAction, ActionOutput, EvidenceDocument, AssessmentGrade, TargetRule}
AGGREGATE_READ |= {SurveyFigure, ProvincialTarget, Region, Puskesmas}


def build_world(d: DistrictFixture) -> World:
    """Six places' registries, interventions, PMT money, governance and summaries (see the docstring)."""
    other_users, other_opd = _other_kabupaten_users(d)
    far = _second_province()
    # The provincial Bappeda enters its target path in the admin too: staff, as the kabupaten Bappeda are.
    d.users["bappeda_provinsi"].is_staff = True
    d.users["bappeda_provinsi"].save(update_fields=["is_staff"])
    world = World(d, users={**d.users, **other_users, **far.users})
    homes = {
        "Mawar": Home(d.kabupaten, d.dinkes, d.users["bappeda_admin"], "opd_officer"),
        "Dahlia": Home(
            d.other_kabupaten, other_opd, other_users[f"bappeda_admin{OTHER}"], f"opd_officer{OTHER}"
        ),
        "Cempaka": far.home,
    }
    catalogue = _kabupaten_rows(world, homes)
    posyandu_of = _posyandu_of(d) | {"Cempaka": far.posyandu}
    _backbone(world, posyandu_of, homes, far)
    for place, posyandu in posyandu_of.items():
        home = homes[HOME[place]]
        subjects = _registry(world, place, posyandu, home.admin)
        _interventions(world, place, posyandu, subjects, catalogue[HOME[place]], home)
        _summaries(world, place, posyandu)
    _area_rows(world, homes, {"35": d.provinsi, "36": far.provinsi})
    _import_jobs(world, homes)
    _delivery_import_jobs(world, homes)
    for place, home in homes.items():
        code = PROVINCE_OF[place]
        world.areas.append(
            Area(code, home.region.code, frozenset(AGGREGATE_SIGHT[code]), frozenset(KABUPATEN_SIGHT[place]))
        )
    return world


def _posyandu_of(d: DistrictFixture) -> dict[str, Posyandu]:
    return dict(
        zip(
            PLACES[:5],
            [d.posyandu_a1, d.posyandu_a1_second, d.posyandu_a2, d.posyandu_b1, d.other_posyandu],
            strict=True,
        )
    )


def _other_kabupaten_users(d: DistrictFixture) -> tuple[dict[str, User], OPD]:
    """A user of every role bound to kabupaten 35.11's units (its desa served by puskesmas Maesan)."""
    opd = OPDFactory(kabupaten=d.other_kabupaten, code="DINKES", name="Dinkes Lain", short_name="DL")
    maesan = PuskesmasFactory(kecamatan=d.other_desa.parent, code="PKM09", name="Maesan")
    Region.objects.filter(pk=d.other_desa.pk).update(puskesmas=maesan)
    kab = d.other_kabupaten
    users = {
        "bappeda_admin": UserFactory(
            username="bappeda_lain", role=Role.BAPPEDA_ADMIN, kabupaten=kab, is_staff=True
        ),
        "pimpinan": UserFactory(username="bupati_lain", role=Role.PIMPINAN, kabupaten=kab),
        "opd_officer": UserFactory(username="dinkes_lain", role=Role.OPD_OFFICER, opd=opd),
        "puskesmas_officer": UserFactory(
            username="pkm_maesan", role=Role.PUSKESMAS_OFFICER, puskesmas=maesan
        ),
        "kader": UserFactory(username="kader_dahlia", role=Role.KADER, posyandu=d.other_posyandu),
        "kpm": UserFactory(username="kpm_gambangan", role=Role.KPM, desa=d.other_desa),
    }
    return {f"{role}{OTHER}": user for role, user in users.items()}, opd


@dataclass(frozen=True)
class FarProvince:
    provinsi: Region
    home: Home
    puskesmas: Puskesmas
    posyandu: Posyandu
    users: dict[str, User]


def _second_province() -> FarProvince:
    """Province 36 with kabupaten 36.01, one desa and posyandu Cempaka, and its provincial role."""
    provinsi = RegionFactory(code="36", name="BANTEN", level="provinsi")
    kab = RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=provinsi)
    kecamatan = RegionFactory(code="36.01.01", name="LABUAN", level="kecamatan", parent=kab)
    puskesmas = PuskesmasFactory(kecamatan=kecamatan, code="PKM01", name="Labuan")
    desa = RegionFactory(
        code="36.01.01.2001", name="TERATAI", level="desa", parent=kecamatan, puskesmas=puskesmas
    )
    opd = OPDFactory(kabupaten=kab, code="DINKES", name="Dinkes Pandeglang", short_name="DP")
    admin = UserFactory(username="bappeda_pandeglang", role=Role.BAPPEDA_ADMIN, kabupaten=kab)
    provincial = UserFactory(
        username="bappeda_prov_banten", role=Role.BAPPEDA_PROVINSI, provinsi=provinsi, is_staff=True
    )
    return FarProvince(
        provinsi,
        Home(kab, opd, admin, None),
        puskesmas,
        PosyanduFactory(desa=desa, code="P01", name="Cempaka"),
        {"bappeda_provinsi@36": provincial},
    )


def _backbone(
    world: World, posyandu_of: dict[str, Posyandu], homes: dict[str, Home], far: FarProvince
) -> None:
    d = world.district
    for place, posyandu in posyandu_of.items():
        world.add(posyandu, f"Posyandu {place}", POSYANDU_SIGHT[place], place)
    desa_sight = {
        "Mawar": DISTRICT | {"puskesmas_officer", "kader"},
        "Anggrek": DISTRICT | {"puskesmas_officer", "kpm"},
        "Kenanga": set(DISTRICT),
        "Dahlia": set(OTHER_AREA),
        "Cempaka": set(),
    }
    desa_list = [d.desa_a1, d.desa_a2, d.desa_b1, d.other_desa, far.posyandu.desa]
    for place, desa in zip(desa_sight, desa_list, strict=True):
        world.add(desa, desa.name, desa_sight[place] | aggregate(place), place)
    maesan = Puskesmas.objects.get(kecamatan=d.other_desa.parent, code="PKM09")
    for puskesmas, readers, place in [
        (d.puskesmas_a, AREA, "Mawar"),
        (d.puskesmas_b, DISTRICT, "Kenanga"),
        (maesan, OTHER_AREA, "Dahlia"),
        (far.puskesmas, set(), "Cempaka"),
    ]:
        world.add(puskesmas, f"Puskesmas {puskesmas.name}", readers | aggregate(place), place)
    # An agency's name is its kabupaten's business: the aggregate roles read actions, not OPD rows.
    for place, home in homes.items():
        world.add(home.agency, home.agency.name, KABUPATEN_SIGHT[place], place)


def _kabupaten_rows(world: World, homes: dict[str, Home]) -> dict[str, dict[str, models.Model]]:
    """Governance, catalogue and targets of each kabupaten; returns each one's intervention and programme."""
    indicator = Indicator.objects.create(
        code="PROBE-1", name="Indikator uji", kind="spesifik", target_group="balita"
    )
    # The national catalogue: every user with a role reads it.
    everyone = set(ROLES) - {"no_role"}
    world.add(indicator, "Indikator uji", everyone, "Mawar")
    catalogue: dict[str, dict[str, models.Model]] = {}
    for place, home in homes.items():
        kab, opd = home.region, home.agency
        rows = [*_governance(place, kab, opd), *_catalogue(place, kab, opd, indicator)]
        for row in rows:
            readers = KABUPATEN_SIGHT[place] | (aggregate(place) if type(row) in AGGREGATE_READ else set())
            world.add(row, f"{type(row).__name__} {place}", readers, place)
        catalogue[place] = {type(row).__name__: row for row in rows}
    # National targets and rates, after the kabupaten's own (the probe samples the first in sight).
    national = [
        IndicatorTarget.objects.create(indicator=indicator, kabupaten=None, year=2025, target_percent=80),
        PMTRate.objects.create(
            category="gizi_kurang", valid_from=datetime.date(2024, 1, 1), daily_rate=12000, duration_days=56
        ),
    ]
    for row in national:
        world.add(row, f"{type(row).__name__} nasional", everyone, "Mawar")
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
    home: Home,
) -> None:
    """Deliveries, referrals and PMT episodes (owned by an OPD) of the place's child and pregnant woman."""
    desa, child, pregnant = posyandu.desa, subjects["child"], subjects["pregnant"]
    intervention, programme = catalogue["Intervention"], catalogue["PMTProgramme"]
    assert isinstance(intervention, Intervention)
    # Rows owned by an OPD: its officer sees his agency's, the area roles the rows of their area's subjects.
    admin, officer = home.admin, {home.officer} if home.officer else set()
    child_sight = (POSYANDU_SIGHT[place] - OPD_OFFICERS) | officer
    woman_sight = (DESA_SIGHT[place] - OPD_OFFICERS) | officer
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
        world.add(other, "Penyaluran PUPR", POSYANDU_SIGHT[place] - OPD_OFFICERS, place)


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
    sight = DESA_SIGHT[place] - OPD_OFFICERS
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


def _area_rows(world: World, homes: dict[str, Home], provinces: dict[str, Region]) -> None:
    """Each kabupaten's own prevalence figure and each province's target path: what the aggregate roles
    are for. Every role of a kabupaten reads both (its figure, the path it is held to)."""
    for place, home in homes.items():
        figure = PrevalenceSummary.objects.create(
            level="kabupaten", region=home.region, period_kind="M", period=datetime.date(2025, 8, 1)
        )
        world.add(figure, f"Prevalensi kabupaten {place}", KABUPATEN_SIGHT[place] | aggregate(place), place)
    for code, provinsi in provinces.items():
        place = next(place for place, province in PROVINCE_OF.items() if province == code)
        kabupaten_roles = set().union(*(KABUPATEN_SIGHT[p] for p, c in PROVINCE_OF.items() if c == code))
        target = ProvincialTarget.objects.create(
            provinsi=provinsi, year=2026, stunting_pct=Decimal("18.00"), source="RPJMD"
        )
        world.add(target, f"Target provinsi {code}", kabupaten_roles | AGGREGATE_SIGHT[code], place)


def _import_jobs(world: World, homes: dict[str, Home]) -> None:
    """A job is read by the district roles of its kabupaten and by its uploader."""
    d = world.district
    for place, user, code, readers in [
        ("Mawar", d.users["kader"], d.desa_a1.code, DISTRICT | {"kader"}),
        ("Anggrek", d.users["kpm"], d.desa_a2.code, DISTRICT | {"kpm"}),
        ("Dahlia", homes["Dahlia"].admin, f"{d.other_kabupaten.code}.", OTHER_DISTRICT),
        ("Cempaka", homes["Cempaka"].admin, f"{homes['Cempaka'].region.code}.", set()),
    ]:
        job = ImportJob(original_name=f"impor-{place}.csv", uploaded_by=user, scope_code=code, status="siap")
        job.file.save(f"probe-{place}.csv", ContentFile(b"nama\n"), save=True)
        world.add(job, job.original_name, readers, place)


def _delivery_import_jobs(world: World, homes: dict[str, Home]) -> None:
    """A delivery sheet is read by its uploader, his OPD's officers and Bappeda/pimpinan of its kabupaten."""
    d = world.district
    other_bappeda = {f"bappeda_admin{OTHER}", f"pimpinan{OTHER}"}
    for place, user, opd, code, readers in [
        (
            "Mawar",
            d.users["opd_officer"],
            d.dinkes,
            d.kabupaten.code,
            {"bappeda_admin", "pimpinan", "opd_officer"},
        ),
        ("Anggrek", d.users["bappeda_admin"], None, d.kabupaten.code, {"bappeda_admin", "pimpinan"}),
        ("Dahlia", homes["Dahlia"].admin, None, d.other_kabupaten.code, other_bappeda),
        ("Cempaka", homes["Cempaka"].admin, None, homes["Cempaka"].region.code, set()),
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
