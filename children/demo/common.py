"""What the demo registry steps share: names, rates, NIK and KK numbers, household conditions."""

from __future__ import annotations

from datetime import date

import numpy as np

from children import pii
from children.models import (
    Keluarga,
)
from convergence.demo import step_rng

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
