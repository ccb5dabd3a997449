"""seed_demo steps: families and mothers, named children 0-59 months with 24 months of posyandu
measurements, pregnancies with their antenatal visits, and adolescent girls with weekly TTD.

Heights and weights are drawn as z-scores and turned into centimetres and kilograms through the
WHO tables, so the demo's stunting prevalence is what it was made to be (about 27% falling to 21%),
then every measurement goes through the same engine as real entries. Families are drawn a little
poorer where children are shorter, so their water, latrine and social-protection data correlate
with stunting; pregnancies' derived flags come from children.compute like real entries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import date
from math import erf, sqrt

import numpy as np
from django.core.management.base import OutputWrapper
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from children import growth, pii
from children.compute import GROWTH_FIELDS, keluarga_is_at_risk, measurement_growth_columns, pregnancy_status
from children.growth.weight_gain import B_BARU, completed_months, weight_gain_status
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
    RecordAccess,
)
from children.selectors import kbm_table_on
from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step, step_rng
from convergence.models import Posyandu, Region, User

FIRST_NAMES_L = [
    "Ahmad",
    "Budi",
    "Dimas",
    "Eko",
    "Fajar",
    "Galih",
    "Hendra",
    "Ilham",
    "Joko",
    "Kevin",
    "Lutfi",
    "Muhammad",
    "Nanda",
    "Oki",
    "Putra",
    "Rizky",
    "Satria",
    "Teguh",
    "Wahyu",
    "Yusuf",
    "Arif",
    "Bagas",
    "Dafa",
    "Farhan",
]
FIRST_NAMES_P = [
    "Aisyah",
    "Bunga",
    "Citra",
    "Dewi",
    "Eka",
    "Fitri",
    "Gita",
    "Hana",
    "Intan",
    "Jihan",
    "Kirana",
    "Lestari",
    "Maya",
    "Nabila",
    "Putri",
    "Rina",
    "Salsabila",
    "Tiara",
    "Ulfa",
    "Wulan",
    "Yuni",
    "Zahra",
    "Aulia",
    "Dinda",
]
SECOND_NAMES = [
    "Pratama",
    "Saputra",
    "Wijaya",
    "Kurniawan",
    "Hidayat",
    "Santoso",
    "Setiawan",
    "Nugroho",
    "Rahmawati",
    "Lestari",
    "Maharani",
    "Ramadhani",
    "Firmansyah",
    "Wibowo",
    "Anggraini",
    "Permata",
]
FATHER_NAMES = [
    "Agus",
    "Bambang",
    "Dedi",
    "Eko",
    "Hadi",
    "Imam",
    "Joko",
    "Rudi",
    "Slamet",
    "Sugeng",
    "Supriyadi",
    "Wahyu",
    "Yanto",
    "Andi",
    "Bayu",
    "Dodi",
    "Heri",
    "Rahmat",
    "Sutrisno",
    "Mulyadi",
]
FATHER_SECOND = [
    "Santoso",
    "Prasetyo",
    "Hartono",
    "Gunawan",
    "Susanto",
    "Setiawan",
    "Hidayat",
    "Nugroho",
    "Wibowo",
    "Kurniawan",
    "Saputra",
    "Firmansyah",
]
MOTHER_NAMES = [
    "Siti",
    "Sri",
    "Nur",
    "Dwi",
    "Tri",
    "Ani",
    "Endang",
    "Yuliana",
    "Ratna",
    "Sulastri",
    "Lina",
    "Rini",
    "Nurul",
    "Umi",
    "Dewi",
    "Fitri",
    "Wulan",
    "Indah",
    "Yulia",
    "Nina",
]
MOTHER_SECOND = [
    "Aminah",
    "Rahayu",
    "Lestari",
    "Handayani",
    "Wahyuni",
    "Susanti",
    "Kurniasih",
    "Maryati",
    "Rahmawati",
    "Anggraini",
    "Puspitasari",
    "Hidayah",
]
DUSUN = ["Krajan", "Kidul", "Lor", "Wetan", "Kulon", "Tengah", "Sumber", "Gondang", "Jati", "Karanganyar"]
PARTICIPATION = 0.78  # share of children weighed in a month (D/S), as reported for active posyandu
MONTHS_OF_AGE = 60
INSERT_BATCH = 5000

# Families: a registered child has a sibling in the registry in about a quarter of families; a few
# children are registered with their parents' names only (no family card seen yet).
SIBLING_SHARE = 0.3
MIN_SIBLING_GAP_DAYS = 540
WITHOUT_KELUARGA = 0.08
CHILD_NIK_SHARE = 0.92  # before the poorer-family and newborn reductions: about 85% overall
ADULT_NIK_SHARE = 0.9
MOTHER_BORN = (date(1980, 1, 1), date(2006, 12, 31))
# Ongoing pregnancies: about one for every five children under five (about 2% of the population).
PREGNANCIES_PER_CHILD = 0.2
PREGNANT_EXISTING_MOTHER_SHARE = 0.35
# KEK (LiLA < 23.5 cm) in about 15% and anaemia (Hb < 11 g/dL) in about 25% of pregnant women.
LILA_MEAN_CM, LILA_SD_CM = 25.5, 1.93
HB_MEAN_G_DL, HB_SD_G_DL = 11.8, 1.2
TTD_PER_VISIT = 30
# Adolescent girls (12-18) followed for weekly TTD: about a third of the number of children under five.
GIRLS_PER_CHILD = 1 / 3
TTD_WEEKS = 52
TTD_ADHERENCE = (0.4, 0.8)
# NIK/KK serials of each step start apart, so steps never draw the same number in one kecamatan-day.
SERIAL_FAMILIES, SERIAL_PREGNANCY, SERIAL_GIRLS = 1, 501, 801
DAY = np.timedelta64(1, "D")


def _month_start(day: date, back: int) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def _rng(rng_seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(step_rng(rng_seed, name).getrandbits(64))


# --- NIK and KK numbers --------------------------------------------------------------------------------


def _kecamatan6(desa_code: str) -> str:
    """The 6 digits of the kecamatan of a desa code ("35.60.01.2001" -> "356001")."""
    return desa_code[:8].replace(".", "")


def _two(values: np.ndarray) -> np.ndarray:
    return np.char.zfill(np.asarray(values).astype(str), 2)


def _day_month_year(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = np.asarray(days, dtype="datetime64[D]")
    month_start = days.astype("datetime64[M]")
    return (
        (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1,
        month_start.astype(np.int64) % 12 + 1,
        days.astype("datetime64[Y]").astype(np.int64) + 1970,
    )


def _serials(keys: np.ndarray, first: int) -> np.ndarray:
    """1st, 2nd, ... occurrence of each key (in array order), plus `first` - 1."""
    order = np.argsort(keys, kind="stable")
    _unique, start, inverse = np.unique(keys[order], return_index=True, return_inverse=True)
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size) - start[inverse]
    return rank + first


def _registry_numbers(
    kecamatan6: np.ndarray, day: np.ndarray, female: np.ndarray, first_serial: int
) -> np.ndarray:
    """16-digit NIK (birth date, day + 40 for women) or KK (issue date, female all False) numbers."""
    dd, mm, yy = _day_month_year(day)
    keys = np.char.add(
        np.char.add(np.char.add(kecamatan6.astype(str), _two(dd + np.where(female, 40, 0))), _two(mm)),
        _two(yy % 100),
    )
    serial = np.char.zfill(_serials(keys, first_serial).astype(str), 4)
    return np.char.add(keys, serial)


def _encrypted(niks: list[str]) -> tuple[list[str], list[str]]:
    return pii.encrypt_many(niks), pii.nik_hash_many(niks)


# --- Families ------------------------------------------------------------------------------------------

SAFE_WATER = np.array(["ledeng", "sumur_terlindung", "mata_air_terlindung", "air_hujan", "kemasan"])
SAFE_WATER_P = [0.25, 0.45, 0.12, 0.03, 0.15]
UNSAFE_WATER = np.array(["tidak_terlindung", "permukaan"])
REASON_ORDER = [reason.value for reason in Keluarga.AtRiskReason]


def _household_conditions(rng: np.random.Generator, poorness: np.ndarray) -> dict[str, np.ndarray]:
    """Water, latrine, JKN and social protection of n families; `poorness` is a rank in [0, 1]."""
    n = poorness.size
    unsafe = rng.random(n) < 0.03 + 0.22 * poorness**2
    water = np.where(
        unsafe, rng.choice(UNSAFE_WATER, n, p=[0.7, 0.3]), rng.choice(SAFE_WATER, n, p=SAFE_WATER_P)
    )
    water = np.where(rng.random(n) < 0.03, "", water)
    draw = rng.random(n)
    open_defecation = 0.01 + 0.08 * poorness**2
    unsafe_latrine = open_defecation + 0.03 + 0.15 * poorness
    latrine = np.select(
        [draw < open_defecation, draw < unsafe_latrine, draw < unsafe_latrine + 0.08],
        ["bab_sembarangan", "tidak_layak", "bersama"],
        "sendiri_layak",
    )
    latrine = np.where(rng.random(n) < 0.03, "", latrine)
    pkh = (poorness > 0.82) & (rng.random(n) < 0.8)
    bpnt = (poorness > 0.72) & (rng.random(n) < 0.8)
    jkn_draw = rng.random(n)
    jkn = np.where(
        poorness > 0.55,
        np.where(jkn_draw < 0.8, "pbi", np.where(jkn_draw < 0.88, "non_pbi", "tidak")),
        np.where(jkn_draw < 0.6, "non_pbi", np.where(jkn_draw < 0.7, "pbi", "tidak")),
    )
    jkn = np.where(rng.random(n) < 0.04, "", jkn)
    return {
        "water_source": water,
        "latrine": latrine,
        "jkn": jkn,
        "receives_pkh": pkh,
        "receives_bpnt": bpnt,
        "pus_no_kb": rng.random(n) < 0.18,
    }


def _risk_reasons(columns: dict[str, np.ndarray]) -> list[list[str]]:
    """Reasons (Keluarga.AtRiskReason values, in the enum's order) per family from boolean columns."""
    present = [reason for reason in REASON_ORDER if reason in columns]
    matrix = np.column_stack([np.asarray(columns[reason], dtype=bool) for reason in present])
    return [[present[j] for j in np.flatnonzero(row)] for row in matrix]


def _household_reasons(conditions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    water, latrine = conditions["water_source"], conditions["latrine"]
    safe = np.isin(water, [str(value) for value in Keluarga.SAFE_WATER])
    return {
        Keluarga.AtRiskReason.UNSAFE_WATER.value: (water != "") & ~safe,
        Keluarga.AtRiskReason.UNSAFE_LATRINE.value: np.isin(latrine, ["tidak_layak", "bab_sembarangan"]),
        Keluarga.AtRiskReason.PUS_NO_KB.value: conditions["pus_no_kb"],
        Keluarga.AtRiskReason.POOR.value: conditions["receives_pkh"] | conditions["receives_bpnt"],
    }


def _names(rng: np.random.Generator, first: list[str], second: list[str], n: int) -> list[str]:
    return [f"{a} {b}" for a, b in zip(rng.choice(first, n), rng.choice(second, n), strict=True)]


def _phones(rng: np.random.Generator, n: int, share: float) -> list[str]:
    numbers = rng.integers(10**9, 10**10, n)
    has = rng.random(n) < share
    return [f"08{number}" if ok else "" for number, ok in zip(numbers, has, strict=True)]


def _kk_numbers(
    rng: np.random.Generator, kecamatan6: np.ndarray, around: np.ndarray, today: date, first_serial: int
) -> np.ndarray:
    """KK numbers issued some time before `around` (datetime64[D]) and not after today."""
    issued = around - rng.integers(0, 6 * 365, around.size).astype("timedelta64[D]")
    issued = np.minimum(issued, np.datetime64(today) - 7 * DAY)
    return _registry_numbers(kecamatan6, issued, np.zeros(around.size, dtype=bool), first_serial)


@dataclass
class _Families:
    """Families and mothers of the step-100 children, planned before the children are inserted."""

    family_of_child: np.ndarray  # index into the families, -1 for children without a Keluarga
    keluarga: list[Keluarga]
    mothers: list[Person]
    father_name: list[str]
    mother_name: list[str]
    birth_order: np.ndarray
    child_nik: np.ndarray  # "" when the child has no NIK yet
    has_birth_certificate: np.ndarray
    has_jkn: np.ndarray
    gestational_age_weeks: np.ndarray
    early_breastfeeding: list[bool | None]


def _plan_families(
    *,
    rng: np.random.Generator,
    owner: np.ndarray,
    birth: np.ndarray,
    sex: np.ndarray,
    haz_own: np.ndarray,
    burden: np.ndarray,
    posyandu: list[Posyandu],
    desa_codes: dict[int, str],
    today: date,
) -> _Families:
    """Group the children into families (siblings at the same posyandu), draw their households and mothers."""
    n = owner.size
    today64 = np.datetime64(today)
    # Siblings: within a posyandu, the k-th oldest child may share a mother with the k-th of the younger half.
    order = np.lexsort((birth.astype(np.int64), owner))
    sorted_owner = owner[order]
    start = np.searchsorted(sorted_owner, sorted_owner)
    size = np.bincount(owner, minlength=len(posyandu))[sorted_owner]
    rank = np.arange(n) - start
    half = size // 2
    older = rank < half
    partner_position = np.where(older, np.arange(n) + half, np.arange(n))
    partner = order[np.minimum(partner_position, n - 1)]
    me = order
    gap = (birth[partner] - birth[me]).astype(np.int64)
    paired = older & (rng.random(n) < SIBLING_SHARE) & (gap >= MIN_SIBLING_GAP_DAYS)
    root = np.arange(n)
    root[partner[paired]] = me[paired]
    roots, family_of_child = np.unique(root, return_inverse=True)
    f = roots.size
    members = np.bincount(family_of_child, minlength=f)
    youngest = np.full(f, -1)
    # Children are visited in birth order, so the last write per family is its youngest child.
    by_birth = np.argsort(birth, kind="stable")
    youngest[family_of_child[by_birth]] = by_birth
    eldest = roots
    sibling_gap = np.where(members > 1, (birth[youngest] - birth[eldest]).astype(np.int64), 10_000)

    # A family's poverty follows its children's stunting a little, and the desa's burden.
    latent = -0.4 * haz_own[eldest] + 0.8 * (burden[eldest] - 1.0) + rng.normal(0.0, 0.9, f)
    poorness = np.argsort(np.argsort(latent)) / max(f - 1, 1)
    conditions = _household_conditions(rng, poorness)
    older_outside = rng.choice(5, f, p=[0.38, 0.33, 0.17, 0.08, 0.04])
    first_order = older_outside + 1
    birth_order = first_order[family_of_child] + (root != np.arange(n)).astype(np.int64)
    youngest_order = first_order + members - 1
    mother_age = np.clip(rng.normal(27.5, 6.0, f) + 2.0 * older_outside, 16.0, 44.0)
    mother_birth = birth[youngest] - np.round(mother_age * 365.25).astype("timedelta64[D]")
    mother_birth = np.clip(mother_birth, np.datetime64(MOTHER_BORN[0]), np.datetime64(MOTHER_BORN[1]))
    age_at_youngest = (birth[youngest] - mother_birth).astype(np.int64) / 365.25
    four_t = (age_at_youngest < 20) | (age_at_youngest > 35) | (youngest_order >= 4) | (sibling_gap < 730)
    child_age = (today64 - birth).astype(np.int64)
    baduta = np.zeros(f, dtype=bool)
    balita = np.zeros(f, dtype=bool)
    np.logical_or.at(baduta, family_of_child, child_age < 731)
    np.logical_or.at(balita, family_of_child, child_age < MONTHS_OF_AGE * 30.4375)
    reasons = _risk_reasons(
        {
            **_household_reasons(conditions),
            Keluarga.AtRiskReason.MOTHER_4T.value: four_t,
            Keluarga.AtRiskReason.HAS_BADUTA.value: baduta,
            Keluarga.AtRiskReason.HAS_BALITA.value: balita,
        }
    )

    with_card = rng.random(f) >= WITHOUT_KELUARGA
    family_posyandu = owner[eldest]
    desa_id = np.array([posyandu[i].desa_id for i in family_posyandu])
    kecamatan6 = np.array([_kecamatan6(desa_codes[int(d)]) for d in desa_id])
    kk = _kk_numbers(rng, kecamatan6, birth[eldest], today, SERIAL_FAMILIES)
    heads = _names(rng, FATHER_NAMES, FATHER_SECOND, f)
    mother_names = _names(rng, MOTHER_NAMES, MOTHER_SECOND, f)
    dusun = rng.choice(DUSUN, f)
    rt = rng.integers(1, 13, f)
    rw = [int(posyandu[i].rw) if posyandu[i].rw.isdigit() else 1 for i in family_posyandu]
    mother_nik_wanted = with_card & (rng.random(f) < ADULT_NIK_SHARE)
    phones = _phones(rng, f, 0.7)

    # Children's NIKs: fewer in poorer families and among the newest babies (not yet on the KK).
    child_poor = poorness[family_of_child]
    nik_share = (CHILD_NIK_SHARE - 0.15 * child_poor) * np.where(child_age < 90, 0.5, 1.0)
    child_has_nik = rng.random(n) < nik_share
    jkn = conditions["jkn"][family_of_child]
    has_jkn = rng.random(n) < np.select([np.isin(jkn, ["pbi", "non_pbi"]), jkn == "tidak"], [0.9, 0.08], 0.5)
    has_certificate = rng.random(n) < np.where(child_has_nik, 0.93, 0.25)

    all_niks = _registry_numbers(
        np.concatenate([kecamatan6[family_of_child], kecamatan6]),
        np.concatenate([birth, mother_birth]),
        np.concatenate([sex == "P", np.ones(f, dtype=bool)]),
        SERIAL_FAMILIES,
    )
    child_nik = np.where(child_has_nik, all_niks[:n], "")
    mother_nik = np.where(mother_nik_wanted, all_niks[n:], "")
    mother_encrypted, mother_hash = _encrypted(list(mother_nik[with_card]))

    keluarga: list[Keluarga] = []
    mothers: list[Person] = []
    card_index = np.full(f, -1)
    kk_encrypted, kk_hash = _encrypted([str(kk[i]) for i in np.flatnonzero(with_card)])
    for i in np.flatnonzero(with_card):
        address = f"Dusun {dusun[i]}"
        card_index[i] = len(keluarga)
        keluarga.append(
            Keluarga(
                kk_encrypted=kk_encrypted[len(keluarga)],
                kk_hash=kk_hash[len(keluarga)],
                head_name=heads[i],
                desa_id=int(desa_id[i]),
                address=address,
                rt=f"{rt[i]:03d}",
                rw=f"{rw[i]:03d}",
                water_source=str(conditions["water_source"][i]),
                latrine=str(conditions["latrine"][i]),
                jkn=str(conditions["jkn"][i]),
                receives_pkh=bool(conditions["receives_pkh"][i]),
                receives_bpnt=bool(conditions["receives_bpnt"][i]),
                at_risk=keluarga_is_at_risk(reasons[i]),
                at_risk_reasons=reasons[i],
            )
        )
        k = len(mothers)
        mothers.append(
            Person(
                name=mother_names[i],
                sex="P",
                birth_date=mother_birth[i].item(),
                desa_id=int(desa_id[i]),
                address=address,
                rt=f"{rt[i]:03d}",
                rw=f"{rw[i]:03d}",
                phone=phones[i],
                nik_encrypted=mother_encrypted[k],
                nik_hash=mother_hash[k],
            )
        )
    early = rng.random(n)
    return _Families(
        family_of_child=card_index[family_of_child],
        keluarga=keluarga,
        mothers=mothers,
        father_name=[heads[i] for i in family_of_child],
        mother_name=[mother_names[i] for i in family_of_child],
        birth_order=birth_order,
        child_nik=child_nik,
        has_birth_certificate=has_certificate,
        has_jkn=has_jkn,
        gestational_age_weeks=np.clip(np.round(rng.normal(38.8, 1.5, n)), 30, 42).astype(np.int64),
        early_breastfeeding=[None if x < 0.1 else bool(x < 0.75) for x in early],
    )


@demo_step(100, "anak")
def seed_children(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Children born over the 59 months before the history window up to today, their families and
    mothers, and their measurements."""
    rng = _rng(rng_seed, "anak")
    history = scale.months_of_history
    first_month = _month_start(district.today, history - 1)
    posyandu = district.posyandu
    target = np.array([p.target_balita for p in posyandu], dtype=np.float64)
    # Births per posyandu per month keep today's 0-59-month count near the posyandu's target.
    births_per_month = target / MONTHS_OF_AGE
    span_months = MONTHS_OF_AGE + history - 1
    counts = rng.poisson(births_per_month * span_months)
    owner = np.repeat(np.arange(len(posyandu)), counts)
    n = owner.size
    earliest = _month_start(first_month, MONTHS_OF_AGE - 1)
    span_days = (district.today - earliest).days
    birth = np.datetime64(earliest) + rng.integers(0, span_days, n).astype("timedelta64[D]")
    sex = np.where(rng.random(n) < 0.51, "L", "P")
    burden = np.array([district.desa_burden.get(p.desa.code, 1.0) for p in posyandu])[owner]
    # A child's own HAZ and WHZ level; the desa burden shifts HAZ so lokus desa look like lokus.
    haz_own = rng.normal(0.0, 1.05, n) - 0.35 * (burden - 1.0)
    whz_own = rng.normal(-0.35, 0.95, n)
    first = rng.choice(FIRST_NAMES_L, n)
    first = np.where(sex == "P", rng.choice(FIRST_NAMES_P, n), first)
    names = np.char.add(np.char.add(first.astype(str), " "), rng.choice(SECOND_NAMES, n))
    birth_weight = np.round(rng.normal(3.1, 0.45, n), 2)
    birth_length = np.round(rng.normal(48.5, 2.0, n), 1)

    # Families draw from their own stream: the children and measurements stay those of the seed.
    families = _plan_families(
        rng=_rng(rng_seed, "keluarga"),
        owner=owner,
        birth=birth,
        sex=sex,
        haz_own=haz_own,
        burden=burden,
        posyandu=posyandu,
        desa_codes={p.desa_id: p.desa.code for p in posyandu},
        today=district.today,
    )
    Keluarga.objects.bulk_create(families.keluarga, batch_size=INSERT_BATCH)
    for keluarga, mother in zip(families.keluarga, families.mothers, strict=True):
        mother.keluarga = keluarga
    Person.objects.bulk_create(families.mothers, batch_size=INSERT_BATCH)
    nik_encrypted, nik_hash = _encrypted(list(families.child_nik))
    children = []
    for i in range(n):
        family = int(families.family_of_child[i])
        children.append(
            Child(
                name=str(names[i]),
                sex=str(sex[i]),
                birth_date=birth[i].item(),
                birth_order=int(families.birth_order[i]),
                birth_weight_kg=float(birth_weight[i]),
                birth_length_cm=float(birth_length[i]),
                gestational_age_weeks=int(families.gestational_age_weeks[i]),
                early_breastfeeding=families.early_breastfeeding[i],
                posyandu=posyandu[owner[i]],
                desa_id=posyandu[owner[i]].desa_id,
                keluarga=families.keluarga[family] if family >= 0 else None,
                mother=families.mothers[family] if family >= 0 else None,
                mother_name=families.mother_name[i],
                father_name=families.father_name[i],
                address=families.keluarga[family].address if family >= 0 else "",
                rt=families.keluarga[family].rt if family >= 0 else "",
                rw=families.keluarga[family].rw if family >= 0 else "",
                has_birth_certificate=bool(families.has_birth_certificate[i]),
                has_jkn=bool(families.has_jkn[i]),
                nik_encrypted=nik_encrypted[i],
                nik_hash=nik_hash[i],
            )
        )
    Child.objects.bulk_create(children, batch_size=INSERT_BATCH)
    child_ids = np.array([c.pk for c in children])

    # One weighing day per posyandu each month.
    posyandu_day = rng.integers(5, 26, len(posyandu))
    month_starts = np.array(
        [np.datetime64(_month_start(district.today, history - 1 - m)) for m in range(history)]
    )
    # Candidate (child, month) pairs, kept when the child is 0-59 months on the day and attends.
    child_index = np.repeat(np.arange(n), history)
    month_index = np.tile(np.arange(history), n)
    day = month_starts[month_index] + (posyandu_day[owner[child_index]] - 1).astype("timedelta64[D]")
    age_days = (day - birth[child_index]).astype(np.int64)
    keep = (age_days >= 0) & (age_days < MONTHS_OF_AGE * 30.4375) & (day <= np.datetime64(district.today))
    keep &= rng.random(keep.size) < PARTICIPATION
    child_index, month_index, day, age_days = child_index[keep], month_index[keep], day[keep], age_days[keep]
    m = child_index.size

    # Period trend: mean HAZ rises so prevalence falls from about 27% to about 21% over the history;
    # stunting accumulates over the first two years of life.
    start, end = scale.stunting_prevalence
    mean_start, mean_end = _mean_for(start), _mean_for(end)
    trend = mean_start + (month_index / max(history - 1, 1)) * (mean_end - mean_start)
    age_effect = -0.45 * (np.minimum(age_days, 731) / 731 - 0.75)
    haz = haz_own[child_index] + trend + age_effect + rng.normal(0.0, 0.12, m)
    whz = whz_own[child_index] + rng.normal(0.0, 0.3, m)
    sex_m = sex[child_index]
    sex_code = np.where(sex_m == "P", growth.tables.SEX_FEMALE, growth.tables.SEX_MALE)
    lhfa = growth.tables.table("lhfa")
    row = (sex_code - 1) * lhfa.rows + np.clip(age_days, 0, lhfa.rows - 1)
    length_true = lhfa.m[row] * (1.0 + lhfa.s[row] * haz)
    # Position as a posyandu takes it: lying under two years, standing after; 5% the other way.
    standing = (age_days >= 731) ^ (rng.random(m) < 0.05)
    standing &= age_days >= 274
    # The lhfa table is length before 731 days and height after: undo the adjustment the engine applies.
    measured_length = length_true + np.where(standing & (age_days < 731), -0.7, 0.0)
    measured_length += np.where(~standing & (age_days >= 731), 0.7, 0.0)
    height_cm = np.round(measured_length, 1)
    weight_kg = np.round(_weight_for(sex_code, age_days, length_true, whz), 1)
    position = np.where(standing, "H", "L")
    oedema = np.zeros(m, dtype=bool)
    columns = measurement_growth_columns(
        sex=sex_m,
        age_days=age_days,
        weight_kg=weight_kg,
        height_cm=height_cm,
        position=position,
        oedema=oedema,
    )
    status = _weight_gain(child_index, month_index, birth[child_index], day, weight_kg, district.today)

    rows = [
        Measurement(
            child_id=int(child_ids[child_index[k]]),
            posyandu_id=posyandu[owner[child_index[k]]].pk,
            measured_on=day[k].item(),
            age_days=int(age_days[k]),
            weight_kg=float(weight_kg[k]),
            height_cm=float(height_cm[k]),
            position=str(position[k]),
            adjusted_height_cm=_or_none(round(float(columns["adjusted_height_cm"][k]), 1)),
            weight_gain=int(status[k]),
            source=Measurement.Source.DEMO,
            **{name: _or_none(columns[name][k]) for name in GROWTH_FIELDS},
        )
        for k in range(m)
    ]
    Measurement.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    alive = int(
        np.count_nonzero((np.datetime64(district.today) - birth).astype(np.int64) < MONTHS_OF_AGE * 30.4375)
    )
    district.count(_("Anak 0-59 bulan (hari ini)"), alive)
    district.count(_("Anak terdaftar (termasuk yang sudah lewat 59 bulan)"), n)
    district.count(_("Pengukuran"), m)
    district.count(_("Keluarga"), len(families.keluarga))
    district.count(
        _("Keluarga berisiko stunting"), sum(1 for keluarga in families.keluarga if keluarga.at_risk)
    )
    district.count(_("Ibu (penduduk)"), len(families.mothers))
    district.count(_("Anak dengan NIK"), int(np.count_nonzero(families.child_nik != "")))


# Spread of HAZ across measured children: the child's own level (1.05), visit noise, age and desa effects.
HAZ_SPREAD = 1.12


def _mean_for(prevalence: float) -> float:
    """Mean HAZ that puts `prevalence` of children below -2 SD (inverse normal, by bisection)."""
    low, high = -4.0, 2.0
    for _step in range(60):
        middle = (low + high) / 2
        share = 0.5 * (1.0 + erf((-2.0 - middle) / HAZ_SPREAD / sqrt(2.0)))
        low, high = (middle, high) if share > prevalence else (low, middle)
    return (low + high) / 2


def _weight_for(
    sex_code: np.ndarray, age_days: np.ndarray, length_cm: np.ndarray, whz: np.ndarray
) -> np.ndarray:
    """Weight (kg) at weight-for-length/height z `whz`, on the WHO table that applies to the age."""
    weight = np.empty(age_days.size)
    length_mm = np.rint(length_cm * 10).astype(np.int64)
    z = np.clip(whz, -2.9, 2.9)
    for name, rows in (("wfl", age_days < 731), ("wfh", age_days >= 731)):
        table = growth.tables.table(name)
        index = (sex_code[rows] - 1) * table.rows + np.clip(
            length_mm[rows] - table.key_min, 0, table.rows - 1
        )
        l_, m_, s_ = table.l[index], table.m[index], table.s[index]
        weight[rows] = m_ * np.power(1.0 + l_ * s_ * z[rows], 1.0 / l_)
    return weight


def _weight_gain(
    child_index: np.ndarray,
    month_index: np.ndarray,
    birth: np.ndarray,
    day: np.ndarray,
    weight_kg: np.ndarray,
    today: date,
) -> np.ndarray:
    """N/T/2T/O/B per measurement, visit by visit (2T depends on the previous status)."""
    kbm = kbm_table_on(day=today)
    order = np.lexsort((month_index, child_index))
    status = np.full(child_index.size, B_BARU, dtype=np.int8)
    sorted_child = child_index[order]
    visit = np.arange(order.size) - np.searchsorted(sorted_child, sorted_child)
    age_months = completed_months(birth, day)
    for k in range(1, int(visit.max(initial=0)) + 1):
        here = order[visit == k]
        before = order[np.flatnonzero(visit == k) - 1]
        status[here] = weight_gain_status(
            age_months=age_months[here],
            weight_kg=weight_kg[here],
            previous_weight_kg=weight_kg[before],
            months_since_previous=month_index[here] - month_index[before],
            previous_status=status[before],
            kbm=kbm,
        )
    return status


def _or_none(value: float | int | np.generic) -> float | int | None:
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and np.isnan(number):
        return None
    return number


# --- Pregnancies -----------------------------------------------------------------------------------------

PLACES = ("Posyandu", "Puskesmas", "Bidan desa")
OTHER_RISKS = [
    Pregnancy.RiskFactor.HYPERTENSION_HISTORY.value,
    Pregnancy.RiskFactor.CHRONIC_DISEASE.value,
    Pregnancy.RiskFactor.BAD_OBSTETRIC_HISTORY.value,
    Pregnancy.RiskFactor.COMPLICATED_DELIVERY.value,
]
FOUR_T_FLAGS = frozenset({"terlalu_muda", "terlalu_tua", "terlalu_banyak", "terlalu_dekat", "terlalu_jauh"})


def _years(n: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(n) * 365.25).astype("timedelta64[D]")


def _plan_visits(
    rng: np.random.Generator,
    *,
    lmp: date,
    last_day: date,
    pre_weight_kg: float,
    lila_cm: float,
    hb_g_dl: float,
    hypertensive: bool,
    place: str,
) -> list[PregnancyVisit]:
    """Antenatal visits from the first contact (week 6-16) about every 3-6 weeks up to `last_day`."""
    visits: list[PregnancyVisit] = []
    week = int(rng.integers(6, 17))
    interval = int(rng.integers(3, 7))
    while week <= 40:
        day = lmp + datetime.timedelta(days=7 * week + int(rng.integers(0, 3)))
        if day > last_day:
            break
        first = not visits
        gain = max(0, week - 12) * 0.42
        visits.append(
            PregnancyVisit(
                visit_date=day,
                is_anc=True,
                weight_kg=round(pre_weight_kg + gain + float(rng.normal(0.0, 0.5)), 1),
                lila_cm=round(lila_cm + float(rng.normal(0.0, 0.2)), 1)
                if first or rng.random() < 0.4
                else None,
                hb_g_dl=round(hb_g_dl + float(rng.normal(0.0, 0.3)), 1)
                if first or rng.random() < 0.3
                else None,
                systolic_mmhg=int(rng.normal(112, 9) + (30 if hypertensive and week > 20 else 0)),
                diastolic_mmhg=int(rng.normal(72, 7) + (20 if hypertensive and week > 20 else 0)),
                ttd_tablets=int(rng.choice([TTD_PER_VISIT, TTD_PER_VISIT, TTD_PER_VISIT, 15, 0])),
                place=place,
            )
        )
        week += interval
    return visits


def _derive(
    pregnancy: Pregnancy, visits: list[PregnancyVisit], mother_birth: date | None, today: date
) -> None:
    """Set the derived fields as children.services.pregnancy_refresh would, from the planned visits."""
    status = pregnancy_status(
        mother_birth_date=mother_birth,
        lmp_date=pregnancy.lmp_date,
        parity=pregnancy.parity,
        last_delivery_date=pregnancy.last_delivery_date,
        risk_history=pregnancy.risk_history,
        visits=[
            (
                v.is_anc,
                None if v.lila_cm is None else float(v.lila_cm),
                None if v.hb_g_dl is None else float(v.hb_g_dl),
                v.systolic_mmhg,
                v.diastolic_mmhg,
                v.ttd_tablets,
            )
            for v in visits
        ],
        today=today,
    )
    for name in ("ttd_total", "anc_visits", "is_kek", "is_anaemic", "is_high_risk", "risk_flags"):
        setattr(pregnancy, name, getattr(status, name))


def _risk_history(rng: np.random.Generator, height_cm: float) -> list[str]:
    history = [Pregnancy.RiskFactor.HEIGHT_UNDER_145.value] if height_cm < 145 else []
    if rng.random() < 0.08:
        history.append(str(rng.choice(OTHER_RISKS)))
    return history


@demo_step(110, "kehamilan")
def seed_pregnancies(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Finished pregnancies of the babies under one year, and ongoing ones (about one per five balita).

    About a third of the pregnant women are mothers already in the registry; the others are new to it,
    each with her own family card.
    """
    rng = _rng(rng_seed, "kehamilan")
    today = district.today
    today64 = np.datetime64(today)
    desa_ids = sorted({p.desa_id for p in district.posyandu})
    posyandu_name = {p.pk: p.name for p in district.posyandu}
    posyandu_desa = {p.pk: p.desa_id for p in district.posyandu}
    desa_code = {p.desa_id: p.desa.code for p in district.posyandu}
    alive_since = today - datetime.timedelta(days=int(MONTHS_OF_AGE * 30.4375))
    alive = list(
        Child.objects.filter(desa_id__in=desa_ids, birth_date__gt=alive_since)
        .order_by("pk")
        .values_list("desa_id", "posyandu_id")
    )
    rows = list(
        Child.objects.filter(desa_id__in=desa_ids, mother__isnull=False)
        .order_by("mother_id", "birth_date", "pk")
        .values_list(
            "pk",
            "mother_id",
            "mother__birth_date",
            "birth_date",
            "birth_order",
            "gestational_age_weeks",
            "posyandu_id",
            "keluarga_id",
        )
    )
    pregnancies: list[Pregnancy] = []
    visits: list[list[PregnancyVisit]] = []

    def add(pregnancy: Pregnancy, mother_birth: date | None, last_day: date, place: str) -> None:
        height = round(float(rng.normal(152.0, 5.5)), 1)
        pregnancy.height_cm = height
        pre_weight_kg = round(float(np.clip(rng.normal(52.0, 8.5), 36.0, 95.0)), 1)
        pregnancy.pre_pregnancy_weight_kg = pre_weight_kg
        pregnancy.risk_history = _risk_history(rng, height)
        if pregnancy.lmp_date is None:
            raise ValueError("a demo pregnancy is dated by its LMP")
        planned = _plan_visits(
            rng,
            lmp=pregnancy.lmp_date,
            last_day=last_day,
            pre_weight_kg=pre_weight_kg,
            lila_cm=float(rng.normal(LILA_MEAN_CM, LILA_SD_CM)),
            hb_g_dl=float(rng.normal(HB_MEAN_G_DL, HB_SD_G_DL)),
            hypertensive=bool(rng.random() < 0.04),
            place=place,
        )
        _derive(pregnancy, planned, mother_birth, today)
        pregnancies.append(pregnancy)
        visits.append(planned)

    # Finished pregnancies: every baby under one year whose mother is in the registry.
    previous_birth: dict[int, date] = {}
    youngest: dict[int, tuple] = {}
    for pk, mother_id, mother_birth, birth_date, order, weeks, posyandu_id, _keluarga in rows:
        if (today - birth_date).days < 365:
            parity = max((order or 1) - 1, 0)
            last = previous_birth.get(mother_id)
            if last is None and parity > 0:
                last = birth_date - datetime.timedelta(days=int(rng.integers(700, 2200)))
            lmp = birth_date - datetime.timedelta(days=7 * (weeks or 39))
            add(
                Pregnancy(
                    mother_id=mother_id,
                    desa_id=posyandu_desa[posyandu_id],
                    posyandu_id=posyandu_id,
                    lmp_date=lmp,
                    expected_delivery_date=lmp + datetime.timedelta(days=280),
                    gravida=parity + 1 + int(rng.random() < 0.06),
                    parity=parity,
                    abortus=0,
                    last_delivery_date=last,
                    outcome=Pregnancy.Outcome.LIVE_BIRTH,
                    delivery_date=birth_date,
                    newborn_id=pk,
                    postnatal_visits=int(rng.choice([0, 1, 2, 3, 3])),
                ),
                mother_birth,
                birth_date - datetime.timedelta(days=1),
                f"{rng.choice(PLACES)} {posyandu_name[posyandu_id]}",
            )
        previous_birth[mother_id] = birth_date
        youngest[mother_id] = (mother_birth, birth_date, order or 1, posyandu_id)
    finished = len(pregnancies)
    for pregnancy in pregnancies:
        pregnancy.gravida = max(pregnancy.gravida, pregnancy.parity + 1)
        pregnancy.abortus = pregnancy.gravida - pregnancy.parity - 1

    # Ongoing pregnancies: some mothers of the registry whose youngest is past 9 months, then new women.
    target = round(len(alive) * PREGNANCIES_PER_CHILD)
    candidates = sorted(
        mother_id
        for mother_id, (mother_birth, birth_date, _order, _posyandu) in youngest.items()
        if (today - birth_date).days > 270
        and mother_birth is not None
        and (today - mother_birth).days < 42 * 365
    )
    existing = rng.choice(
        candidates, min(len(candidates), round(target * PREGNANT_EXISTING_MOTHER_SHARE)), replace=False
    )
    lmp_days = rng.integers(21, 275, target)
    for k, mother_id in enumerate(sorted(int(x) for x in existing)):
        mother_birth, birth_date, order, posyandu_id = youngest[mother_id]
        # Not conceived before the youngest child was three months old.
        lmp = today - datetime.timedelta(days=int(min(lmp_days[k], (today - birth_date).days - 90)))
        add(
            Pregnancy(
                mother_id=mother_id,
                desa_id=posyandu_desa[posyandu_id],
                posyandu_id=posyandu_id,
                lmp_date=lmp,
                expected_delivery_date=lmp + datetime.timedelta(days=280),
                gravida=order + 1,
                parity=order,
                last_delivery_date=birth_date,
            ),
            mother_birth,
            today,
            f"{rng.choice(PLACES)} {posyandu_name[posyandu_id]}",
        )
    pregnant_mothers = [int(x) for x in existing]

    new = target - len(pregnant_mothers)
    where = [alive[i] for i in rng.integers(0, len(alive), new)] if alive and new > 0 else []
    new = len(where)
    primigravida = rng.random(new) < 0.55
    age = np.where(primigravida, rng.uniform(19.0, 30.0, new), rng.uniform(21.0, 41.0, new))
    lmp64 = today64 - lmp_days[len(pregnant_mothers) : len(pregnant_mothers) + new].astype("timedelta64[D]")
    woman_birth = np.clip(lmp64 - _years(age), np.datetime64(MOTHER_BORN[0]), np.datetime64(MOTHER_BORN[1]))
    new_parity = np.where(primigravida, 0, rng.choice([1, 1, 1, 2, 2, 3, 4], new))
    desa_of = np.array([d for d, _p in where], dtype=np.int64)
    kecamatan6 = (
        np.array([_kecamatan6(desa_code[int(d)]) for d in desa_of]) if new else np.array([], dtype=str)
    )
    niks = (
        _registry_numbers(kecamatan6, woman_birth, np.ones(new, dtype=bool), SERIAL_PREGNANCY)
        if new
        else np.array([], dtype=np.int64)
    )
    wants_nik = rng.random(new) < ADULT_NIK_SHARE
    encrypted, hashed = _encrypted([str(nik) if ok else "" for nik, ok in zip(niks, wants_nik, strict=True)])
    conditions = _household_conditions(rng, rng.random(new))
    household = _household_reasons(conditions)
    kk = _kk_numbers(rng, kecamatan6, lmp64, today, SERIAL_PREGNANCY) if new else np.array([], dtype=np.int64)
    kk_encrypted, kk_hash = _encrypted([str(number) for number in kk])
    heads = _names(rng, FATHER_NAMES, FATHER_SECOND, new)
    names = _names(rng, MOTHER_NAMES, MOTHER_SECOND, new)
    phones = _phones(rng, new, 0.75)
    new_keluarga: list[Keluarga] = []
    new_women: list[Person] = []
    for i, (desa_id, posyandu_id) in enumerate(where):
        rt, rw = f"{int(rng.integers(1, 13)):03d}", f"{int(rng.integers(1, 9)):03d}"
        address = f"Dusun {rng.choice(DUSUN)}"
        keluarga = Keluarga(
            kk_encrypted=kk_encrypted[i],
            kk_hash=kk_hash[i],
            head_name=heads[i],
            desa_id=desa_id,
            address=address,
            rt=rt,
            rw=rw,
            water_source=str(conditions["water_source"][i]),
            latrine=str(conditions["latrine"][i]),
            jkn=str(conditions["jkn"][i]),
            receives_pkh=bool(conditions["receives_pkh"][i]),
            receives_bpnt=bool(conditions["receives_bpnt"][i]),
        )
        woman = Person(
            name=names[i],
            sex="P",
            birth_date=woman_birth[i].item(),
            desa_id=desa_id,
            address=address,
            rt=rt,
            rw=rw,
            phone=phones[i],
            nik_encrypted=encrypted[i],
            nik_hash=hashed[i],
        )
        new_keluarga.append(keluarga)
        new_women.append(woman)
        lmp = lmp64[i].item()
        add(
            Pregnancy(
                desa_id=desa_id,
                posyandu_id=posyandu_id,
                lmp_date=lmp,
                expected_delivery_date=lmp + datetime.timedelta(days=280),
                gravida=int(new_parity[i]) + 1,
                parity=int(new_parity[i]),
                last_delivery_date=None
                if new_parity[i] == 0
                else lmp - datetime.timedelta(days=int(rng.integers(450, 4200))),
            ),
            woman.birth_date,
            today,
            f"{rng.choice(PLACES)} {posyandu_name[posyandu_id]}",
        )
    new_pregnancies = pregnancies[len(pregnancies) - new :] if new else []
    for i, (keluarga, pregnancy) in enumerate(zip(new_keluarga, new_pregnancies, strict=True)):
        keluarga.at_risk_reasons = _risk_reasons(
            {
                **{name: values[i : i + 1] for name, values in household.items()},
                Keluarga.AtRiskReason.MOTHER_4T.value: np.array(
                    [bool(FOUR_T_FLAGS & set(pregnancy.risk_flags))]
                ),
                Keluarga.AtRiskReason.HAS_PREGNANT.value: np.array([True]),
            }
        )[0]
        keluarga.at_risk = keluarga_is_at_risk(keluarga.at_risk_reasons)
    Keluarga.objects.bulk_create(new_keluarga, batch_size=INSERT_BATCH)
    for keluarga, woman in zip(new_keluarga, new_women, strict=True):
        woman.keluarga = keluarga
    Person.objects.bulk_create(new_women, batch_size=INSERT_BATCH)
    for woman, pregnancy in zip(new_women, new_pregnancies, strict=True):
        pregnancy.mother = woman

    # The families of registry mothers now pregnant gain "ada ibu hamil" (and "4 terlalu" when it applies).
    flags_of = {p.mother_id: p.risk_flags for p in pregnancies[finished : finished + len(pregnant_mothers)]}
    families = Keluarga.objects.filter(members__pk__in=pregnant_mothers).values_list(
        "pk", "at_risk_reasons", "members__pk"
    )
    changed = []
    for pk, reasons, mother_id in families:
        found = set(reasons) | {Keluarga.AtRiskReason.HAS_PREGNANT.value}
        if FOUR_T_FLAGS & set(flags_of.get(mother_id, [])):
            found.add(Keluarga.AtRiskReason.MOTHER_4T.value)
        ordered = [reason for reason in REASON_ORDER if reason in found]
        changed.append(Keluarga(pk=pk, at_risk_reasons=ordered, at_risk=keluarga_is_at_risk(ordered)))
    Keluarga.objects.bulk_update(changed, ["at_risk_reasons", "at_risk"], batch_size=1000)

    Pregnancy.objects.bulk_create(pregnancies, batch_size=INSERT_BATCH)
    rows_visits = []
    for pregnancy, planned in zip(pregnancies, visits, strict=True):
        for visit in planned:
            visit.pregnancy = pregnancy
            rows_visits.append(visit)
    PregnancyVisit.objects.bulk_create(rows_visits, batch_size=INSERT_BATCH)
    ongoing = pregnancies[finished:]
    district.count(_("Kehamilan berlangsung"), len(ongoing))
    district.count(_("Kehamilan selesai (bayi tercatat)"), finished)
    district.count(_("Kunjungan kehamilan"), len(rows_visits))
    district.count(_("Ibu hamil KEK"), sum(1 for p in ongoing if p.is_kek))
    district.count(_("Ibu hamil anemia"), sum(1 for p in ongoing if p.is_anaemic))
    district.count(_("Ibu hamil risiko tinggi"), sum(1 for p in ongoing if p.is_high_risk))


# --- Adolescent girls ----------------------------------------------------------------------------------

JUNIOR_SCHOOLS = ("SMP Negeri 1", "SMP Negeri 2", "MTs Negeri")
SENIOR_SCHOOLS = ("SMA Negeri 1", "SMK Negeri 1", "MA Negeri")
OUT_OF_SCHOOL_PLACE = "Posyandu remaja"


@demo_step(120, "remaja")
def seed_adolescent_girls(
    *, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper
) -> None:
    """Girls 12-18 (about a third as many as the balita), at school or not, with 52 weeks of TTD."""
    rng = _rng(rng_seed, "remaja")
    today = district.today
    today64 = np.datetime64(today)
    desa_ids = sorted({p.desa_id for p in district.posyandu})
    regions = {
        pk: (code, kecamatan.title())
        for pk, code, kecamatan in Region.objects.filter(pk__in=desa_ids).values_list(
            "pk", "code", "parent__name"
        )
    }
    alive_since = today - datetime.timedelta(days=int(MONTHS_OF_AGE * 30.4375))
    alive = list(
        Child.objects.filter(desa_id__in=desa_ids, birth_date__gt=alive_since)
        .order_by("pk")
        .values_list(
            "desa_id",
            "keluarga_id",
            "mother__birth_date",
            "keluarga__address",
            "keluarga__rt",
            "keluarga__rw",
        )
    )
    g = round(len(alive) * GIRLS_PER_CHILD)
    if g == 0:
        return
    picked = [alive[i] for i in rng.integers(0, len(alive), g)]
    birth = today64 - rng.integers(12 * 365 + 3, 19 * 365 - 3, g).astype("timedelta64[D]")
    age_years = (today64 - birth).astype(np.int64) / 365.25
    # About half are the elder daughters of a family of the registry (their mother old enough).
    joins = rng.random(g) < 0.5
    desa_of = np.array([row[0] for row in picked])
    niks = _registry_numbers(
        np.array([_kecamatan6(regions[int(d)][0]) for d in desa_of]),
        birth,
        np.ones(g, dtype=bool),
        SERIAL_GIRLS,
    )
    wants_nik = rng.random(g) < ADULT_NIK_SHARE
    encrypted, hashed = _encrypted([str(nik) if ok else "" for nik, ok in zip(niks, wants_nik, strict=True)])
    names = _names(rng, FIRST_NAMES_P, SECOND_NAMES, g)
    in_school = rng.random(g) < np.where(age_years >= 18, 0.55, 0.93)
    junior = age_years < 15
    school_type = np.where(junior, rng.choice(JUNIOR_SCHOOLS, g), rng.choice(SENIOR_SCHOOLS, g))
    school_class = np.where(
        junior,
        np.clip(7 + (age_years - 12).astype(int), 7, 9),
        np.clip(10 + (age_years - 15).astype(int), 10, 12),
    )
    persons: list[Person] = []
    girls: list[AdolescentGirl] = []
    for i, (desa_id, keluarga_id, mother_birth, address, rt, rw) in enumerate(picked):
        girl_birth = birth[i].item()
        family = (
            keluarga_id
            if joins[i]
            and keluarga_id is not None
            and mother_birth is not None
            and (girl_birth - mother_birth).days >= 16 * 365
            else None
        )
        persons.append(
            Person(
                name=names[i],
                sex="P",
                birth_date=girl_birth,
                desa_id=desa_id,
                keluarga_id=family,
                address=address if family else f"Dusun {DUSUN[i % len(DUSUN)]}",
                rt=rt if family else f"{1 + i % 12:03d}",
                rw=rw if family else f"{1 + i % 8:03d}",
                nik_encrypted=encrypted[i],
                nik_hash=hashed[i],
            )
        )
        girls.append(
            AdolescentGirl(
                school_name=f"{school_type[i]} {regions[desa_id][1]}" if in_school[i] else "",
                school_class=str(school_class[i]) if in_school[i] else "",
            )
        )
    Person.objects.bulk_create(persons, batch_size=INSERT_BATCH)
    for person, girl in zip(persons, girls, strict=True):
        girl.person = person
    AdolescentGirl.objects.bulk_create(girls, batch_size=INSERT_BATCH)

    # Weekly TTD over the 52 weeks before this one; girls out of school are reached less often.
    monday = today - datetime.timedelta(days=today.weekday())
    weeks = [monday - datetime.timedelta(weeks=k) for k in range(TTD_WEEKS, 0, -1)]
    adherence = rng.uniform(*TTD_ADHERENCE, g) * np.where(in_school, 1.0, 0.6)
    taken = rng.random((g, TTD_WEEKS)) < adherence[:, None]
    rows = [
        AdolescentTTD(
            girl=girls[i],
            week_start=weeks[w],
            tablets=1,
            given_at=girls[i].school_name or OUT_OF_SCHOOL_PLACE,
        )
        for i, w in zip(*np.nonzero(taken), strict=True)
    ]
    AdolescentTTD.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    district.count(_("Remaja putri"), g)
    district.count(_("TTD remaja putri (tablet mingguan)"), len(rows))


def _purge(queryset: QuerySet) -> None:
    # One DELETE statement: no per-row signals, so no "deleted" history row per demo row and no
    # loading of a few hundred thousand rows into memory. Callers delete in foreign-key order.
    queryset._raw_delete(queryset.db)


@demo_cleanup(100, "anak")
def delete_children(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the kabupaten's registry rows and their history, the rows pointing at others first.

    Reads logged and jobs uploaded by the kabupaten's users go too: they protect the users the
    backbone's cleanup deletes next.
    """
    inside = f"{kabupaten.code}."
    in_kabupaten = {"desa__code__startswith": inside}
    users = User.objects.filter(
        Q(kabupaten=kabupaten)
        | Q(opd__kabupaten=kabupaten)
        | Q(puskesmas__kecamatan__parent=kabupaten)
        | Q(desa__code__startswith=inside)
        | Q(posyandu__desa__code__startswith=inside)
    )
    RecordAccess.objects.filter(user__in=users).delete()
    MergeLog.objects.filter(Q(**in_kabupaten) | Q(merged_by__in=users)).delete()
    DuplicateCandidate.objects.filter(**in_kabupaten).delete()
    _purge(AdolescentTTD.objects.filter(girl__person__desa__code__startswith=inside))
    _purge(AdolescentGirl.history.filter(person__desa__code__startswith=inside))
    _purge(AdolescentGirl.objects.filter(person__desa__code__startswith=inside))
    _purge(PregnancyVisit.history.filter(pregnancy__desa__code__startswith=inside))
    _purge(PregnancyVisit.objects.filter(pregnancy__desa__code__startswith=inside))
    _purge(Pregnancy.history.filter(**in_kabupaten))
    _purge(Pregnancy.objects.filter(**in_kabupaten))
    _purge(Measurement.history.filter(posyandu__desa__code__startswith=inside))
    _purge(Measurement.objects.filter(posyandu__desa__code__startswith=inside))
    _purge(Child.history.filter(**in_kabupaten))
    _purge(Child.objects.filter(**in_kabupaten))
    _purge(Person.history.filter(**in_kabupaten))
    _purge(Person.objects.filter(**in_kabupaten))
    _purge(Keluarga.history.filter(**in_kabupaten))
    _purge(Keluarga.objects.filter(**in_kabupaten))
    ImportJob.objects.filter(Q(uploaded_by__in=users) | Q(scope_code__startswith=inside)).delete()
