"""WHO 2006 z-scores, vectorised: length adjustment, LMS with the restricted SD23 rule, WHO flags, categories.

The method is the one of WHO's own software (igrowup / WHO Anthro), with the policy choices written
out in docs/zscores.md:

- age in whole days, tables looked up by day (0-1856); weight-for-length/height looked up at the
  adjusted length in whole millimetres (HAZ and BMI use the adjusted length as measured);
- the position adjustment (+0.7 cm standing under 731 days, -0.7 cm lying from 731 days) depends on
  age only and is applied first, in integer millimetres, so 44.3 + 0.7 is exactly 45.0 cm;
- weight-for-length under 731 days on 45.0-110.0 cm, weight-for-height from 731 days on 65.0-120.0
  cm, on the adjusted length; outside the range there is no value (never the other table);
- weight-based indices (WAZ, WHZ, BAZ, and arm circumference) use the restricted LMS method beyond
  +/-3 SD; HAZ and head circumference have L = 1, where plain LMS is linear;
- oedema: no WAZ, WHZ or BAZ, and the child counts in the lowest category of all three.

Everything is whole-array numpy: one gather per table column and a little arithmetic per row; no
Python loop touches a row, so a million measurements take a fraction of a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from . import classify, codes
from .tables import (
    ACFA_AGE_DAYS_MIN,
    AGE_DAYS_MAX,
    SEX_FEMALE,
    SEX_MALE,
    WFH_HEIGHT_MM_MAX,
    WFH_HEIGHT_MM_MIN,
    WFL_LENGTH_MM_MAX,
    WFL_LENGTH_MM_MIN,
    LMSTable,
    all_tables,
)

LENGTH_TO_HEIGHT_AGE_DAYS = 731  # from day 731 (24 months) WHO expects standing height
STANDING_MIN_AGE_DAYS = 274  # a standing height before 9 months is refused: measure lying
POSITION_ADJUSTMENT_MM = 7  # 0.7 cm between recumbent length and standing height

# WHO flags (implausible values): kept, but out of prevalence.
WAZ_FLAG_LOW, WAZ_FLAG_HIGH = -6.0, 5.0
HAZ_FLAG_ABS = 6.0
WHZ_FLAG_ABS = BAZ_FLAG_ABS = HCZ_FLAG_ABS = ACZ_FLAG_ABS = 5.0

_NAN = np.float64(np.nan)
# Lowest and highest adjusted length (mm) of the WHZ table, indexed by "younger than 731 days" (0/1).
_WFH_WFL_LOW_MM = np.array([WFH_HEIGHT_MM_MIN, WFL_LENGTH_MM_MIN], dtype=np.float64)
_WFH_WFL_HIGH_MM = np.array([WFH_HEIGHT_MM_MAX, WFL_LENGTH_MM_MAX], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class _Gather:
    """The per-row columns the engine gathers for one indicator (float64, one entry per table row)."""

    l: np.ndarray  # noqa: E741
    ln_m: np.ndarray
    inv_ls: np.ndarray
    sd3neg: np.ndarray
    sd23neg: np.ndarray
    sd3pos: np.ndarray
    sd23pos: np.ndarray


def _gather_of(*parts: LMSTable) -> _Gather:
    # One extra row of NaN at the end: rows that have no value (bad age, length out of range) point
    # there, so their z comes out NaN from the same arithmetic, with no masking pass.
    def join(attribute: str) -> np.ndarray:
        return np.concatenate([getattr(part, attribute) for part in parts] + [np.array([np.nan])])

    return _Gather(
        l=join("l"),
        ln_m=join("ln_m"),
        inv_ls=join("inv_ls"),
        sd3neg=join("sd3neg"),
        sd23neg=join("sd23neg"),
        sd3pos=join("sd3pos"),
        sd23pos=join("sd23pos"),
    )


@dataclass(frozen=True, eq=False)
class _EngineTables:
    wfa: _Gather
    bfa: _Gather
    acfa: _Gather
    wflh: _Gather  # weight-for-length rows (both sexes) followed by weight-for-height rows
    age_rows: int
    acfa_rows: int
    wfl_rows: int
    wfh_rows: int
    lhfa_inv_m_mm: np.ndarray  # 1 / (10 M): length in mm over the median in cm
    lhfa_inv_s: np.ndarray
    hcfa_inv_m: np.ndarray
    hcfa_inv_s: np.ndarray


@cache
def _engine_tables() -> _EngineTables:
    tables = all_tables()
    return _EngineTables(
        wfa=_gather_of(tables["wfa"]),
        bfa=_gather_of(tables["bfa"]),
        acfa=_gather_of(tables["acfa"]),
        wflh=_gather_of(tables["wfl"], tables["wfh"]),
        age_rows=tables["wfa"].rows,
        acfa_rows=tables["acfa"].rows,
        wfl_rows=tables["wfl"].rows,
        wfh_rows=tables["wfh"].rows,
        lhfa_inv_m_mm=np.append(1.0 / (10.0 * tables["lhfa"].m), np.nan),
        lhfa_inv_s=np.append(1.0 / tables["lhfa"].s, np.nan),
        hcfa_inv_m=np.append(1.0 / tables["hcfa"].m, np.nan),
        hcfa_inv_s=np.append(1.0 / tables["hcfa"].s, np.nan),
    )


@dataclass(frozen=True, eq=False)
class GrowthArrays:
    """Results for n measurements: z-scores (float64, NaN when undefined), flags (bool), categories (int8).

    `length_mm` is the length/height after the position adjustment, to the nearest whole mm (float64,
    NaN when none), the key of the weight-for-length/height table; `bmi` is in kg/m2. `error` (uint16) holds the codes.ERROR_* bits of
    each row; classify.error_reasons() turns them into messages. Categories are classify codes, with
    classify.NO_VALUE for no z and classify.FLAGGED for a WHO-flagged z.
    """

    length_mm: np.ndarray
    bmi: np.ndarray
    waz: np.ndarray
    haz: np.ndarray
    whz: np.ndarray
    baz: np.ndarray
    hcz: np.ndarray
    acz: np.ndarray
    waz_flag: np.ndarray
    haz_flag: np.ndarray
    whz_flag: np.ndarray
    baz_flag: np.ndarray
    hcz_flag: np.ndarray
    acz_flag: np.ndarray
    waz_category: np.ndarray
    haz_category: np.ndarray
    whz_category: np.ndarray
    baz_category: np.ndarray
    error: np.ndarray

    def __len__(self) -> int:
        return int(self.error.shape[0])


@dataclass(frozen=True)
class GrowthResult:
    """One measurement's results: z-scores as float or None, flags, category codes, error bits and reasons."""

    length_cm: float | None
    bmi: float | None
    waz: float | None
    haz: float | None
    whz: float | None
    baz: float | None
    hcz: float | None
    acz: float | None
    waz_flag: bool
    haz_flag: bool
    whz_flag: bool
    baz_flag: bool
    hcz_flag: bool
    acz_flag: bool
    waz_category: int
    haz_category: int
    whz_category: int
    baz_category: int
    error: int
    errors: tuple[str, ...]


def _float_array(values: ArrayLike | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(values, dtype=np.float64)


def _restricted(z: np.ndarray, x: np.ndarray, rows: np.ndarray, table: _Gather) -> None:
    # WHO's restricted application of the LMS method: beyond +/-3 SD the distance is measured in units
    # of the 2-3 SD interval on the measurement scale, which keeps extreme weights from being shrunk
    # by the skewness of the distribution. Only the few rows beyond +/-3 are touched.
    high = np.flatnonzero(z > 3.0)
    if high.size:
        r = rows[high]
        z[high] = 3.0 + (x[high] - table.sd3pos[r]) / table.sd23pos[r]
    low = np.flatnonzero(z < -3.0)
    if low.size:
        r = rows[low]
        z[low] = -3.0 + (x[low] - table.sd3neg[r]) / table.sd23neg[r]


def _lms(ln_x: np.ndarray, rows: np.ndarray, table: _Gather) -> np.ndarray:
    # ((x / M) ** L - 1) / (L S), written as expm1(L (ln x - ln M)) / (L S): one log per measurement
    # shared by WAZ and WHZ, and expm1 keeps full precision near the median.
    t = ln_x - table.ln_m.take(rows)
    t *= table.l.take(rows)
    z = np.expm1(t, out=t)
    z *= table.inv_ls.take(rows)
    return z


@dataclass(frozen=True, eq=False)
class _Ages:
    """Each row's sex and age as the tables take them; rows without a usable sex or age have age_ok False
    and rows_age pointing at the NaN row past the end of the age tables."""

    girl_i: np.ndarray  # intp: 0 boys, 1 girls
    age: np.ndarray  # intp, whole days (-1 for a missing age)
    age_ok: np.ndarray
    rows_age: np.ndarray


def _ages(sex: ArrayLike, age_days: ArrayLike, t: _EngineTables) -> tuple[_Ages, np.ndarray]:
    """The rows' sex and age, and the error codes (uint16) their values raise."""
    sex_codes = np.asarray(sex)
    if sex_codes.dtype.kind in "USO":
        sex_codes = codes.parse_sex(sex_codes)
    girl = sex_codes == SEX_FEMALE
    sex_ok = girl | (sex_codes == SEX_MALE)
    error = (~sex_ok).view(np.uint8).astype(np.uint16)  # codes.ERROR_SEX == 1

    age = np.asarray(age_days)
    if age.dtype.kind == "f":
        age_missing = np.isnan(age)
        error |= age_missing.view(np.uint8) * np.uint16(codes.ERROR_AGE_MISSING)
        age = np.where(age_missing, -1.0, np.floor(age))
        negative = (age < 0) & ~age_missing
    else:
        age_missing = None
        negative = age < 0
    age = age.astype(np.intp, copy=False)
    over = age > AGE_DAYS_MAX
    error |= negative.view(np.uint8) * np.uint16(codes.ERROR_AGE_NEGATIVE)
    error |= over.view(np.uint8) * np.uint16(codes.ERROR_AGE_OVER)
    age_ok = sex_ok & ~negative & ~over
    if age_missing is not None:
        age_ok &= ~age_missing
    girl_i = girl.view(np.int8).astype(np.intp)
    # Rows without a usable sex or age point at the NaN row past the end of the table.
    rows_age = np.where(age_ok, girl_i * t.age_rows + age, 2 * t.age_rows)
    return _Ages(girl_i=girl_i, age=age, age_ok=age_ok, rows_age=rows_age), error


def _positions(measured: ArrayLike | None, n: int, error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lying, standing) bool arrays; an unreadable position sets codes.ERROR_MEASURED in `error`."""
    position = np.zeros(n, dtype=np.int8) if measured is None else np.asarray(measured)
    if position.dtype.kind in "USO":
        position = codes.parse_measured(position)
    lying = position == codes.MEASURED_LYING
    standing = position == codes.MEASURED_STANDING
    error |= (~(lying | standing | (position == codes.MEASURED_UNKNOWN))).view(np.uint8) * np.uint16(
        codes.ERROR_MEASURED
    )
    return lying, standing


def _positive(values: ArrayLike | None, n: int, error: np.ndarray, bit: int) -> np.ndarray:
    """The values as float64 with NaN for missing or unusable ones; a given value that is not a positive
    finite number sets `bit` in `error`."""
    x = _float_array(values, n)
    ok = (x > 0.0) & (x < np.inf)
    error |= ((x == x) & ~ok).view(np.uint8) * np.uint16(bit)
    return np.where(ok, x, _NAN)


def _adjusted_mm(
    height_cm: ArrayLike | None,
    ages: _Ages,
    young: np.ndarray,
    positions: tuple[np.ndarray, np.ndarray],
    error: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(measured_mm, length_mm): the length/height with the position adjustment at the precision measured,
    and to the nearest whole mm (the key of the weight-for-length/height table); NaN when none.

    The adjustment is decided by age alone and added in whole mm (7 mm) before anything else. HAZ and BMI
    use it at the precision measured, as WHO does; the table is looked up at its nearest whole mm, where
    44.3 cm standing + 7 mm is exactly row 450 (not 449.99999999999994).
    """
    lying, standing = positions
    measured_mm = _positive(height_cm, young.shape[0], error, codes.ERROR_HEIGHT)
    h_ok = measured_mm == measured_mm
    adjustment = (standing & young).view(np.int8) - (lying & ~young).view(np.int8)
    measured_mm *= 10.0
    measured_mm += adjustment * np.float64(POSITION_ADJUSTMENT_MM)
    infant_standing = np.flatnonzero(standing & (ages.age < STANDING_MIN_AGE_DAYS) & h_ok & ages.age_ok)
    if infant_standing.size:
        error[infant_standing] |= np.uint16(codes.ERROR_STANDING_UNDER_9_MONTHS)
        measured_mm[infant_standing] = np.nan
    length_mm = measured_mm + (0.5 + 1e-6)
    np.floor(length_mm, out=length_mm)
    return measured_mm, length_mm


def _whz(
    ln_w: np.ndarray, w: np.ndarray, length_mm: np.ndarray, young: np.ndarray, ages: _Ages, t: _EngineTables
) -> np.ndarray:
    """Weight-for-length under 731 days (45.0-110.0 cm), weight-for-height from 731 days (65.0-120.0 cm),
    chosen by age; an adjusted length outside the range of that table has no WHZ."""
    young_i = young.view(np.int8)
    low_mm = _WFH_WFL_LOW_MM.take(young_i)
    high_mm = _WFH_WFL_HIGH_MM.take(young_i)
    in_range = (length_mm >= low_mm) & (length_mm <= high_mm) & ages.age_ok
    first_row = np.where(
        young,
        ages.girl_i * t.wfl_rows - WFL_LENGTH_MM_MIN,
        ages.girl_i * t.wfh_rows + (2 * t.wfl_rows - WFH_HEIGHT_MM_MIN),
    )
    rows_wflh = np.where(in_range, length_mm, 2 * (t.wfl_rows + t.wfh_rows)).astype(np.intp)
    rows_wflh += first_row * in_range
    whz = _lms(ln_w, rows_wflh, t.wflh)
    _restricted(whz, w, rows_wflh, t.wflh)
    return whz


def _oedema_rows(oedema: ArrayLike | None, age_ok: np.ndarray, z: tuple[np.ndarray, ...]) -> np.ndarray:
    """Blanks the weight-based z-scores `z` of the rows with oedema; returns those of them with a usable
    age, which take the lowest category."""
    if oedema is None:
        return np.zeros(0, dtype=np.intp)
    oedema_all = np.flatnonzero(np.asarray(oedema, dtype=bool))
    if not oedema_all.size:
        return np.zeros(0, dtype=np.intp)
    for values in z:
        values[oedema_all] = np.nan
    return oedema_all[age_ok[oedema_all]]


def zscores(
    *,
    sex: ArrayLike,
    age_days: ArrayLike,
    weight_kg: ArrayLike | None,
    height_cm: ArrayLike | None,
    measured: ArrayLike | None = None,
    oedema: ArrayLike | None = None,
    head_circumference_cm: ArrayLike | None = None,
    arm_circumference_cm: ArrayLike | None = None,
) -> GrowthArrays:
    """WAZ, HAZ, WHZ, BAZ (and head/arm circumference-for-age) for n measurements, shape (n,) each.

    sex: 1 boys / 2 girls (or text, parsed); age_days: whole days (int, or float with NaN = unknown);
    weight_kg, height_cm: float, NaN = not measured; measured: 1 lying / 2 standing / 0 not given (or
    text: L/H, telentang/berdiri); oedema: bool. Bad values set error bits and blank only the indices
    that depend on them.
    """
    t = _engine_tables()
    ages, error = _ages(sex, age_days, t)
    n = ages.girl_i.shape[0]
    positions = _positions(measured, n, error)
    rows_age = ages.rows_age

    with np.errstate(invalid="ignore", divide="ignore"):
        # Weight: ln w once, shared by WAZ and WHZ.
        w = _positive(weight_kg, n, error, codes.ERROR_WEIGHT)
        ln_w = np.log(w)
        young = ages.age < LENGTH_TO_HEIGHT_AGE_DAYS
        measured_mm, length_mm = _adjusted_mm(height_cm, ages, young, positions, error)

        # HAZ: L == 1, so plain LMS is (x / M - 1) / S.
        haz = measured_mm * t.lhfa_inv_m_mm.take(rows_age)
        haz -= 1.0
        haz *= t.lhfa_inv_s.take(rows_age)

        waz = _lms(ln_w, rows_age, t.wfa)
        _restricted(waz, w, rows_age, t.wfa)
        whz = _whz(ln_w, w, length_mm, young, ages, t)

        # BAZ on the BMI of the adjusted length.
        bmi = measured_mm * measured_mm
        np.divide(w * 1e6, bmi, out=bmi)
        baz = _lms(np.log(bmi), rows_age, t.bfa)
        _restricted(baz, bmi, rows_age, t.bfa)

        hcz = _head_circumference(head_circumference_cm, n, rows_age, error)
        acz = _arm_circumference(arm_circumference_cm, n, ages.age, ages.girl_i, ages.age_ok, error)

    oedema_rows = _oedema_rows(oedema, ages.age_ok, (waz, whz, baz))
    return _classified(
        length_mm=length_mm,
        bmi=bmi,
        z={"waz": waz, "haz": haz, "whz": whz, "baz": baz, "hcz": hcz, "acz": acz},
        oedema_rows=oedema_rows,
        circumferences=(head_circumference_cm is not None, arm_circumference_cm is not None),
        error=error,
    )


def _classified(
    *,
    length_mm: np.ndarray,
    bmi: np.ndarray,
    z: dict[str, np.ndarray],
    oedema_rows: np.ndarray,
    circumferences: tuple[bool, bool],
    error: np.ndarray,
) -> GrowthArrays:
    """The WHO flags and Permenkes categories of the z-scores, with the results in one GrowthArrays."""
    waz, haz, whz, baz, hcz, acz = (z[name] for name in ("waz", "haz", "whz", "baz", "hcz", "acz"))
    n = error.shape[0]
    waz_flag = (waz < WAZ_FLAG_LOW) | (waz > WAZ_FLAG_HIGH)
    haz_flag = np.abs(haz) > HAZ_FLAG_ABS
    whz_flag = np.abs(whz) > WHZ_FLAG_ABS
    baz_flag = np.abs(baz) > BAZ_FLAG_ABS
    waz_category = classify.bbu_category(waz, waz_flag)
    haz_category = classify.tbu_category(haz, haz_flag)
    whz_category = classify.gizi_category(whz, whz_flag)
    baz_category = classify.gizi_category(baz, baz_flag)
    if oedema_rows.size:
        # Bilateral pitting oedema is severe acute malnutrition whatever the weight says.
        waz_category[oedema_rows] = classify.BBU_SANGAT_KURANG
        whz_category[oedema_rows] = classify.GIZI_BURUK
        baz_category[oedema_rows] = classify.GIZI_BURUK
    has_head, has_arm = circumferences
    return GrowthArrays(
        length_mm=length_mm,
        bmi=bmi,
        waz=waz,
        haz=haz,
        whz=whz,
        baz=baz,
        hcz=hcz,
        acz=acz,
        waz_flag=waz_flag,
        haz_flag=haz_flag,
        whz_flag=whz_flag,
        baz_flag=baz_flag,
        hcz_flag=np.abs(hcz) > HCZ_FLAG_ABS if has_head else np.zeros(n, dtype=bool),
        acz_flag=np.abs(acz) > ACZ_FLAG_ABS if has_arm else np.zeros(n, dtype=bool),
        waz_category=waz_category,
        haz_category=haz_category,
        whz_category=whz_category,
        baz_category=baz_category,
        error=error,
    )


def _head_circumference(
    head_cm: ArrayLike | None, n: int, rows_age: np.ndarray, error: np.ndarray
) -> np.ndarray:
    if head_cm is None:
        return np.full(n, np.nan)
    t = _engine_tables()
    hc = np.asarray(head_cm, dtype=np.float64)
    ok = (hc > 0.0) & (hc < np.inf)
    error |= ((hc == hc) & ~ok).view(np.uint8) * np.uint16(codes.ERROR_HEAD)
    hcz = np.where(ok, hc, _NAN) * t.hcfa_inv_m.take(rows_age)
    hcz -= 1.0
    hcz *= t.hcfa_inv_s.take(rows_age)
    return hcz


def _arm_circumference(
    arm_cm: ArrayLike | None,
    n: int,
    age: np.ndarray,
    girl_i: np.ndarray,
    age_ok: np.ndarray,
    error: np.ndarray,
) -> np.ndarray:
    if arm_cm is None:
        return np.full(n, np.nan)
    t = _engine_tables()
    ac = np.asarray(arm_cm, dtype=np.float64)
    ok = (ac > 0.0) & (ac < np.inf)
    error |= ((ac == ac) & ~ok).view(np.uint8) * np.uint16(codes.ERROR_ARM)
    ac = np.where(ok, ac, _NAN)
    in_range = age_ok & (age >= ACFA_AGE_DAYS_MIN)  # the table starts at 3 months
    rows = np.where(in_range, girl_i * t.acfa_rows + (age - ACFA_AGE_DAYS_MIN), 2 * t.acfa_rows)
    acz = _lms(np.log(ac), rows, t.acfa)
    _restricted(acz, ac, rows, t.acfa)
    return acz


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def zscore_one(
    *,
    sex: int | str,
    age_days: int,
    weight_kg: float | None = None,
    height_cm: float | None = None,
    measured: int | str | None = None,
    oedema: bool = False,
    head_circumference_cm: float | None = None,
    arm_circumference_cm: float | None = None,
) -> GrowthResult:
    """One measurement through the same vectorised code; same units as zscores(), None for not measured."""

    def one(value: float | None) -> list[float]:
        return [np.nan if value is None else value]

    result = zscores(
        sex=[sex],
        age_days=[age_days],
        weight_kg=one(weight_kg),
        height_cm=one(height_cm),
        measured=[codes.MEASURED_UNKNOWN if measured is None else measured],
        oedema=[oedema],
        head_circumference_cm=one(head_circumference_cm),
        arm_circumference_cm=one(arm_circumference_cm),
    )
    error = int(result.error[0])
    length_mm = float(result.length_mm[0])
    return GrowthResult(
        length_cm=None if math.isnan(length_mm) else round(length_mm) / 10,
        bmi=_none_if_nan(float(result.bmi[0])),
        waz=_none_if_nan(float(result.waz[0])),
        haz=_none_if_nan(float(result.haz[0])),
        whz=_none_if_nan(float(result.whz[0])),
        baz=_none_if_nan(float(result.baz[0])),
        hcz=_none_if_nan(float(result.hcz[0])),
        acz=_none_if_nan(float(result.acz[0])),
        waz_flag=bool(result.waz_flag[0]),
        haz_flag=bool(result.haz_flag[0]),
        whz_flag=bool(result.whz_flag[0]),
        baz_flag=bool(result.baz_flag[0]),
        hcz_flag=bool(result.hcz_flag[0]),
        acz_flag=bool(result.acz_flag[0]),
        waz_category=int(result.waz_category[0]),
        haz_category=int(result.haz_category[0]),
        whz_category=int(result.whz_category[0]),
        baz_category=int(result.baz_category[0]),
        error=error,
        errors=tuple(classify.error_reasons(error)),
    )
