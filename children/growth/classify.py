"""Permenkes 2/2020 nutritional-status categories from unrounded z-scores, as small integer codes.

Band edges follow the regulation's wording (domain brief 2.1): a lower limit belongs to its band
("-3 SD to < -2 SD"), so exactly -2.00 is normal, not pendek, and exactly -3.00 is pendek; an upper
limit written "> +1 SD" leaves exactly +1.00 in the band below. Categories are decided on the
unrounded z, never on a value rounded for display.

The labels are plain dicts in Indonesian (as in the regulation) and English: this module imports no
Django; the Django layer marks them for translation where it shows them.
"""

from __future__ import annotations

import numpy as np

from . import codes

NO_VALUE = -1  # no z-score (measurement missing, out of table range, or oedema for weight indices)
FLAGGED = -2  # WHO implausible-value flag: the z is stored but the child is kept out of prevalence

# BB/U, weight-for-age
BBU_SANGAT_KURANG, BBU_KURANG, BBU_NORMAL, BBU_RISIKO_LEBIH = 0, 1, 2, 3
# PB/U or TB/U, length/height-for-age
TBU_SANGAT_PENDEK, TBU_PENDEK, TBU_NORMAL, TBU_TINGGI = 0, 1, 2, 3
# BB/PB or BB/TB, weight-for-length/height; IMT/U (BMI-for-age, 0-60 months) uses the same six
GIZI_BURUK, GIZI_KURANG, GIZI_BAIK, BERISIKO_GIZI_LEBIH, GIZI_LEBIH, OBESITAS = 0, 1, 2, 3, 4, 5

# Band edges in order, each (limit, inclusive): a code is the number of edges a z reaches, where an
# inclusive limit is reached by z >= limit and the other by z > limit. The offline page reads them as data.
BBU_EDGES = ((-3.0, True), (-2.0, True), (1.0, False))
TBU_EDGES = ((-3.0, True), (-2.0, True), (3.0, False))
GIZI_EDGES = ((-3.0, True), (-2.0, True), (1.0, False), (2.0, False), (3.0, False))

_COMMON_ID = {NO_VALUE: "Tidak dihitung", FLAGGED: "Nilai di luar batas WHO (flag)"}
_COMMON_EN = {NO_VALUE: "Not computed", FLAGGED: "Implausible value (WHO flag)"}

BBU_LABELS_ID = {
    BBU_SANGAT_KURANG: "Berat badan sangat kurang",
    BBU_KURANG: "Berat badan kurang",
    BBU_NORMAL: "Berat badan normal",
    BBU_RISIKO_LEBIH: "Risiko berat badan lebih",
    **_COMMON_ID,
}
BBU_LABELS_EN = {
    BBU_SANGAT_KURANG: "Severely underweight",
    BBU_KURANG: "Underweight",
    BBU_NORMAL: "Normal weight",
    BBU_RISIKO_LEBIH: "Risk of overweight",
    **_COMMON_EN,
}
TBU_LABELS_ID = {
    TBU_SANGAT_PENDEK: "Sangat pendek",
    TBU_PENDEK: "Pendek",
    TBU_NORMAL: "Normal",
    TBU_TINGGI: "Tinggi",
    **_COMMON_ID,
}
TBU_LABELS_EN = {
    TBU_SANGAT_PENDEK: "Severely stunted",
    TBU_PENDEK: "Stunted",
    TBU_NORMAL: "Normal",
    TBU_TINGGI: "Tall",
    **_COMMON_EN,
}
GIZI_LABELS_ID = {
    GIZI_BURUK: "Gizi buruk",
    GIZI_KURANG: "Gizi kurang",
    GIZI_BAIK: "Gizi baik (normal)",
    BERISIKO_GIZI_LEBIH: "Berisiko gizi lebih",
    GIZI_LEBIH: "Gizi lebih",
    OBESITAS: "Obesitas",
    **_COMMON_ID,
}
GIZI_LABELS_EN = {
    GIZI_BURUK: "Severely wasted",
    GIZI_KURANG: "Wasted",
    GIZI_BAIK: "Normal",
    BERISIKO_GIZI_LEBIH: "Possible risk of overweight",
    GIZI_LEBIH: "Overweight",
    OBESITAS: "Obese",
    **_COMMON_EN,
}

# indicator -> (Indonesian labels, English labels); whz and baz share the six categories.
LABELS: dict[str, tuple[dict[int, str], dict[int, str]]] = {
    "waz": (BBU_LABELS_ID, BBU_LABELS_EN),
    "haz": (TBU_LABELS_ID, TBU_LABELS_EN),
    "whz": (GIZI_LABELS_ID, GIZI_LABELS_EN),
    "baz": (GIZI_LABELS_ID, GIZI_LABELS_EN),
}

ERROR_MESSAGES_ID = {
    codes.ERROR_SEX: "jenis kelamin tidak valid (L/P atau M/F)",
    codes.ERROR_AGE_MISSING: "umur tidak ada",
    codes.ERROR_AGE_NEGATIVE: "umur negatif",
    codes.ERROR_AGE_OVER: "umur di atas 1856 hari (61 bulan)",
    codes.ERROR_WEIGHT: "berat tidak valid",
    codes.ERROR_HEIGHT: "tinggi tidak valid",
    codes.ERROR_MEASURED: "cara ukur tidak valid (L/H atau telentang/berdiri)",
    codes.ERROR_STANDING_UNDER_9_MONTHS: "tinggi berdiri di bawah 9 bulan: ukur telentang",
    codes.ERROR_HEAD: "lingkar kepala tidak valid",
    codes.ERROR_ARM: "lingkar lengan tidak valid",
    codes.ERROR_OEDEMA: "edema tidak valid (ya/tidak)",
}
ERROR_MESSAGES_EN = {
    codes.ERROR_SEX: "invalid sex (M/F or L/P)",
    codes.ERROR_AGE_MISSING: "age missing",
    codes.ERROR_AGE_NEGATIVE: "negative age",
    codes.ERROR_AGE_OVER: "age above 1856 days (61 months)",
    codes.ERROR_WEIGHT: "invalid weight",
    codes.ERROR_HEIGHT: "invalid length/height",
    codes.ERROR_MEASURED: "invalid position (L/H or lying/standing)",
    codes.ERROR_STANDING_UNDER_9_MONTHS: "standing height under 9 months: measure lying",
    codes.ERROR_HEAD: "invalid head circumference",
    codes.ERROR_ARM: "invalid arm circumference",
    codes.ERROR_OEDEMA: "invalid oedema (yes/no)",
}


def error_reasons(error: int, *, language: str = "id") -> list[str]:
    """The messages of the error bits set in one row's `error` code, in a fixed order ("id" or "en")."""
    messages = ERROR_MESSAGES_ID if language == "id" else ERROR_MESSAGES_EN
    return [messages[bit] for bit in codes.ERROR_BITS if error & bit]


def _bands(z: np.ndarray, flag: np.ndarray, *edges: tuple[float, bool]) -> np.ndarray:
    # Each (limit, inclusive) adds one when z >= limit (inclusive) or z > limit; NaN compares false
    # everywhere, and `z == z` (false only for NaN) turns the sum of a missing z into NO_VALUE.
    category = (z == z).view(np.int8) - np.int8(1)
    for limit, inclusive in edges:
        category += (z >= limit if inclusive else z > limit).view(np.int8)
    flagged = np.flatnonzero(flag)
    if flagged.size:
        category[flagged] = FLAGGED
    return category


def bbu_category(waz: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """BB/U codes (int8): < -3 sangat kurang, -3 to < -2 kurang, -2 to +1 normal, > +1 risiko lebih."""
    return _bands(waz, flag, *BBU_EDGES)


def tbu_category(haz: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """PB/U or TB/U codes (int8): < -3 sangat pendek, -3 to < -2 pendek, -2 to +3 normal, > +3 tinggi."""
    return _bands(haz, flag, *TBU_EDGES)


def gizi_category(z: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """BB/PB-BB/TB or IMT/U codes (int8): buruk < -3 <= kurang < -2 <= baik <= +1 < risiko <= +2 < lebih <= +3 < obes."""
    return _bands(z, flag, *GIZI_EDGES)


def is_stunted(haz_category: np.ndarray) -> np.ndarray:
    """Stunting = pendek + sangat pendek (bool array); flagged and missing values are not stunted."""
    return (haz_category == TBU_SANGAT_PENDEK) | (haz_category == TBU_PENDEK)


def is_wasted(whz_category: np.ndarray) -> np.ndarray:
    """Wasting = gizi kurang + gizi buruk (bool array), oedema included through its gizi buruk code."""
    return (whz_category == GIZI_BURUK) | (whz_category == GIZI_KURANG)


def is_underweight(waz_category: np.ndarray) -> np.ndarray:
    """Underweight = berat badan kurang + sangat kurang (bool array)."""
    return (waz_category == BBU_SANGAT_KURANG) | (waz_category == BBU_KURANG)
