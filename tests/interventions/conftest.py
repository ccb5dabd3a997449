"""A hand-checked desa (SUMBERAGUNG, 35.10.01.2001) for the ledger, gaps and referrals, in 2025.

Families: Budi (unsafe water, poor, at risk), Sari (safe water, open defecation, at risk, PKH), Tono
(unsafe water, not at risk). Children on 31-12-2025: Ayu 9 months (F Budi, severely stunted, wasted),
Bima 18 months (F Sari, normal), Citra 46 months (F Tono, stunted), Dodi 3 months (F Budi, never
measured); in SILIRAGUNG: Eko 11 months. Ongoing pregnancies: Ema (F Budi, KEK), Fani (F Sari).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from children import pii
from children.models import Child, Keluarga, Measurement, Person, Pregnancy
from convergence.models import OPD, Role, User
from interventions.models import Delivery, Intervention
from tests.factories import DistrictFixture, OPDFactory, UserFactory

TODAY = datetime.date(2025, 12, 31)
NIK = {
    "ayu": "3510014107250001",
    "ema": "3510014107950002",
    "eko": "3510014107250003",
}
KK_BUDI = "3510010101200001"


@dataclass
class Village:
    district: DistrictFixture
    dinsos: OPD
    dp3ap2kb: OPD
    dinsos_officer: User
    pupr_officer: User
    interventions: dict[str, Intervention]
    families: dict[str, Keluarga]
    children: dict[str, Child]
    mothers: dict[str, Person]


def _intervention(
    district: DistrictFixture, code: str, group: str, opd: OPD, rule: str, **params: object
) -> Intervention:
    return Intervention.objects.create(
        kabupaten=district.kabupaten,
        code=code,
        name=f"Intervensi {code}",
        kind="spesifik",
        target_group=group,
        opd=opd,
        unit="paket",
        eligibility_rule=rule,
        rule_params=params,
        valid_from=datetime.date(2024, 1, 1),
    )


def _child(
    district: DistrictFixture, name: str, birth: datetime.date, keluarga: Keluarga | None, posyandu=None
) -> Child:  # type: ignore[no-untyped-def]
    posyandu = posyandu or district.posyandu_a1
    return Child.objects.create(
        name=name, sex="P", birth_date=birth, posyandu=posyandu, desa=posyandu.desa, keluarga=keluarga
    )


def _measure(child: Child, haz: int, whz: int) -> None:
    Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=datetime.date(2025, 11, 5),
        age_days=(datetime.date(2025, 11, 5) - child.birth_date).days,
        haz_category=haz,
        whz_category=whz,
    )


def _with_nik(obj: Child | Person, nik: str) -> None:
    obj.nik_hash = pii.nik_hash(nik)
    obj.nik_encrypted = pii.encrypt(nik)
    obj.save()


def deliver(village: Village, code: str, subject: object, day: datetime.date) -> Delivery:
    intervention = village.interventions[code]
    return Delivery.objects.create(
        intervention=intervention,
        opd=intervention.opd,
        child=subject if isinstance(subject, Child) else None,
        person=subject if isinstance(subject, Person) else None,
        keluarga=subject if isinstance(subject, Keluarga) else None,
        desa=subject.desa,  # type: ignore[attr-defined]
        delivered_on=day,
        quantity=Decimal(1),
        unit="paket",
    )


@pytest.fixture
def village(district: DistrictFixture) -> Village:
    dinsos = OPDFactory(kabupaten=district.kabupaten, code="DINSOS", name="Dinas Sosial", short_name="Dinsos")
    dp3ap2kb = OPDFactory(
        kabupaten=district.kabupaten, code="DP3AP2KB", name="DP3AP2KB", short_name="DP3AP2KB"
    )
    dinsos_officer = UserFactory(username="dinsos", role=Role.OPD_OFFICER, opd=dinsos)
    pupr_officer = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    interventions = {
        "TTD": _intervention(district, "TTD", "ibu_hamil", district.dinkes, "ibu_hamil_semua"),
        "PMT-KEK": _intervention(district, "PMT-KEK", "ibu_hamil", district.dinkes, "ibu_hamil_kek"),
        "MPASI": _intervention(
            district, "MPASI", "baduta", district.dinkes, "baduta_semua", min_age_months=6
        ),
        "PMT-GK": _intervention(district, "PMT-GK", "balita", district.dinkes, "balita_gizi_kurang"),
        "AIR": _intervention(
            district, "AIR", "keluarga", district.pupr, "keluarga_anak_stunting_tanpa_air_layak"
        ),
        "PKH": _intervention(
            district, "PKH", "keluarga", dinsos, "keluarga_miskin_anak_stunting_tanpa_bansos", program="pkh"
        ),
        "TPK": _intervention(district, "TPK", "keluarga", dp3ap2kb, "keluarga_berisiko"),
    }
    desa = district.desa_a1
    families = {
        "budi": Keluarga.objects.create(
            head_name="Keluarga Budi",
            kk_encrypted=pii.encrypt(KK_BUDI),
            kk_hash=pii.nik_hash(KK_BUDI),
            desa=desa,
            water_source="tidak_terlindung",
            latrine="sendiri_layak",
            at_risk=True,
            at_risk_reasons=["ada_baduta", "air_tidak_layak", "miskin"],
        ),
        "sari": Keluarga.objects.create(
            head_name="Keluarga Sari",
            desa=desa,
            water_source="ledeng",
            latrine="bab_sembarangan",
            at_risk=True,
            at_risk_reasons=["ada_balita", "jamban_tidak_layak"],
            receives_pkh=True,
        ),
        "tono": Keluarga.objects.create(head_name="Keluarga Tono", desa=desa, water_source="permukaan"),
    }
    children = {
        "ayu": _child(district, "Ayu", datetime.date(2025, 3, 10), families["budi"]),
        "bima": _child(district, "Bima", datetime.date(2024, 6, 15), families["sari"]),
        "citra": _child(district, "Citra", datetime.date(2022, 2, 1), families["tono"]),
        "dodi": _child(district, "Dodi", datetime.date(2025, 9, 1), families["budi"]),
        "eko": _child(district, "Eko", datetime.date(2025, 1, 1), None, posyandu=district.posyandu_a2),
    }
    _measure(children["ayu"], haz=0, whz=1)
    _measure(children["bima"], haz=2, whz=2)
    _measure(children["citra"], haz=1, whz=2)
    _with_nik(children["ayu"], NIK["ayu"])
    _with_nik(children["eko"], NIK["eko"])
    mothers = {
        "ema": Person.objects.create(name="Ema", sex="P", desa=desa, keluarga=families["budi"]),
        "fani": Person.objects.create(name="Fani", sex="P", desa=desa, keluarga=families["sari"]),
        "gita": Person.objects.create(name="Gita", sex="P", desa=desa),
    }
    _with_nik(mothers["ema"], NIK["ema"])
    Pregnancy.objects.create(
        mother=mothers["ema"], desa=desa, lmp_date=datetime.date(2025, 5, 1), is_kek=True
    )
    Pregnancy.objects.create(mother=mothers["fani"], desa=desa, lmp_date=datetime.date(2025, 7, 1))
    Pregnancy.objects.create(
        mother=mothers["gita"], desa=desa, lmp_date=datetime.date(2024, 9, 1), outcome="lahir_hidup"
    )
    return Village(
        district=district,
        dinsos=dinsos,
        dp3ap2kb=dp3ap2kb,
        dinsos_officer=dinsos_officer,
        pupr_officer=pupr_officer,
        interventions=interventions,
        families=families,
        children=children,
        mothers=mothers,
    )


@pytest.fixture
def delivered(village: Village) -> Village:
    """The year's deliveries of the hand-checked table (test_ledger)."""
    deliver(village, "TTD", village.mothers["ema"], datetime.date(2025, 6, 1))
    deliver(village, "TTD", village.mothers["ema"], datetime.date(2025, 7, 1))
    deliver(village, "TTD", village.mothers["fani"], datetime.date(2024, 12, 20))  # last year
    deliver(village, "PMT-KEK", village.mothers["ema"], datetime.date(2025, 5, 1))
    deliver(village, "MPASI", village.children["ayu"], datetime.date(2025, 8, 1))
    deliver(village, "AIR", village.families["budi"], datetime.date(2025, 10, 1))
    deliver(village, "TPK", village.families["sari"], datetime.date(2025, 4, 1))
    return village
