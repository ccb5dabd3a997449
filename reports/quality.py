"""Data quality of the routine measurements, per posyandu and per recording user. Pure: numpy only.

Two steps. `quality_sums` adds up, per key (e.g. posyandu and month), the counts and sums the
indicators are made of: measurements, WHO-flagged values, terminal digits of heights and weights,
n / sum / sum of squares of the valid HAZ and WHZ, heights lower than the child's previous one.
Sums add exactly across months and posyandu, so a range or an area is a plain sum of stored rows.
`indicators` turns one set of sums into the figures shown and the codes of what looks wrong.

Methods and limits (defaults in `Limits`; a district may read them differently):

- WHO flags: values outside the WHO plausibility limits (children.growth.classify code -2;
  HAZ < -6 or > +6, WAZ < -6 or > +5, WHZ < -5 or > +5). Share of flagged values = flagged / values
  assessed, over the three indices. SMART plausibility check: up to 2.5 % is "excellent".
- Terminal digit: the last digit of the height in 0.1 cm (the digit after the decimal point) and of
  the weight in 0.1 kg. Without preference each digit holds about 10 % of the values.
  Digit preference score (DPS; WHO MONICA, Kuulasmaa et al. 1998; used by SMART and the WHO Anthro
  Survey Analyser):  DPS = 100 * sqrt(chi2 / (n * df)),  chi2 = sum_d (O_d - n/10)^2 / (n/10),
  df = 9. 0 = digits uniform, 100 = every value ends in the same digit. SMART classes: < 8
  excellent, < 12 good, < 20 acceptable, >= 20 problematic. Under uniform digits E[chi2] = 9, so a
  small n inflates the DPS (about 100/sqrt(n)): the preference is reported only with at least
  `digit_min_values` values (n/10 >= 5 per digit, the usual condition of the chi-square test) and a
  chi-square p-value below `digit_p_value` (df 9, uniform digits) as well as DPS >= `dps_problematic`.
- SD of HAZ and WHZ over the valid (non-flagged) z-scores: about 1.0 when the measurements are good
  (the WHO standards' SD is 1). WHO/UNICEF 2019 (Recommendations for data collection, analysis and
  reporting on anthropometric indicators in children under 5 years old) asks the SDs to be reported
  as a data quality indicator; SMART's plausibility range is 0.8-1.2. A larger SD suggests
  measurement or age errors, a smaller one values copied or invented. Reported with at least
  `sd_min_values` values.
- Shrinking heights: a length/height (after the +/-0.7 cm position adjustment) lower than the
  child's previous one of the preceding `SHRINK_LOOKBACK_DAYS` by more than 1.5 cm (the limit of
  children.services.MAX_HEIGHT_SHRINK_CM). Counted on the later measurement.
- Missing measurements: children registered at the posyandu (aged 0-59 months) minus children
  measured, from the prevalence summaries; the 2024 national weighing target was >= 90 % measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

FLAGGED, NO_VALUE = -2, -1  # children.growth.classify codes
DIGITS = 10
SHRINK_LIMIT_MM = 15  # children.services.MAX_HEIGHT_SHRINK_CM = 1.5 cm
SHRINK_LOOKBACK_DAYS = 365
INDICES = ("haz", "waz", "whz")
Z_INDICES = ("haz", "whz")

HEIGHT_DIGITS = tuple(f"height_d{d}" for d in range(DIGITS))
WEIGHT_DIGITS = tuple(f"weight_d{d}" for d in range(DIGITS))
# Integer sums, in the order of the summary table's columns.
COUNT_COLUMNS: tuple[str, ...] = (
    "measurements",
    *(name for index in INDICES for name in (f"{index}_assessed", f"{index}_flagged")),
    *HEIGHT_DIGITS,
    *WEIGHT_DIGITS,
    "haz_n",
    "whz_n",
    "shrink_checked",
    "shrink_count",
)
FLOAT_COLUMNS: tuple[str, ...] = ("haz_sum", "haz_sumsq", "whz_sum", "whz_sumsq")
SUM_COLUMNS = COUNT_COLUMNS + FLOAT_COLUMNS


@dataclass(frozen=True)
class QualityFrame:
    """Measurements as columns, one row each, sorted by (child, day); days since 1970-01-01.

    `height_mm` is the length/height as recorded, in 0.1 cm (its last digit is the terminal digit);
    `adjusted_height_mm` after the position adjustment; `weight_dag` the weight in 10 g (its tens
    digit is the 0.1 kg digit); -1 where there is no value. `measured_by` is -1 when unknown.
    """

    child: np.ndarray  # int64
    day: np.ndarray  # int64
    posyandu: np.ndarray  # int64
    measured_by: np.ndarray  # int64
    height_mm: np.ndarray  # int64
    adjusted_height_mm: np.ndarray  # int64
    weight_dag: np.ndarray  # int64
    haz: np.ndarray  # float64, NaN where none
    whz: np.ndarray  # float64
    haz_category: np.ndarray  # int8
    waz_category: np.ndarray  # int8
    whz_category: np.ndarray  # int8

    def __len__(self) -> int:
        return len(self.child)


def month_of_day(day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers (days since 1970-01-01)."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def shrinking(frame: QualityFrame) -> tuple[np.ndarray, np.ndarray]:
    """(checked, shrunk) per row: the row has a previous adjusted height of the same child within
    SHRINK_LOOKBACK_DAYS, and is lower than it by more than SHRINK_LIMIT_MM. The frame is sorted by
    (child, day)."""
    n = len(frame)
    checked = np.zeros(n, dtype=bool)
    shrunk = np.zeros(n, dtype=bool)
    with_height = np.flatnonzero(frame.adjusted_height_mm >= 0)
    if len(with_height) < 2:
        return checked, shrunk
    later, earlier = with_height[1:], with_height[:-1]
    same = (frame.child[later] == frame.child[earlier]) & (
        frame.day[later] - frame.day[earlier] <= SHRINK_LOOKBACK_DAYS
    )
    later, earlier = later[same], earlier[same]
    checked[later] = True
    shrunk[later] = frame.adjusted_height_mm[earlier] - frame.adjusted_height_mm[later] > SHRINK_LIMIT_MM
    return checked, shrunk


@dataclass
class Sums:
    """Sums per key: `keys` (one row per key, columns as given) and a column per sum name."""

    keys: np.ndarray  # int64, shape (k, key columns)
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)


def unique_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `keys` (shape (n, k), integers) in lexicographic order, and each row's
    position among them: `np.unique(keys, axis=0, return_inverse=True)` without its sort of n
    k-wide records. Each column becomes a dense code, the codes one integer per row."""
    if not len(keys):
        return keys.reshape(0, keys.shape[1]).astype(np.int64), np.zeros(0, dtype=np.int64)
    slot = np.zeros(len(keys), dtype=np.int64)
    distinct = 1
    for column in keys.T:
        values, code = np.unique(column, return_inverse=True)
        # lexicographic: the columns before weigh more; made dense again so that it never overflows
        combined = slot * len(values) + code.reshape(-1)
        unique, slot = np.unique(combined, return_inverse=True)
        slot, distinct = slot.reshape(-1), len(unique)
    first = np.zeros(distinct, dtype=np.int64)
    first[slot] = np.arange(len(keys))
    return keys[first].astype(np.int64), slot


def quality_sums(frame: QualityFrame, keys: np.ndarray, include: np.ndarray) -> Sums:
    """The sums of SUM_COLUMNS per distinct row of `keys` (shape (n, k), one row per measurement)
    over the rows where `include` is true. Floats are added in the frame's order, so equal input
    gives bit-equal sums."""
    rows = np.flatnonzero(include)
    if not len(rows):
        return Sums(
            keys=np.zeros((0, keys.shape[1]), dtype=np.int64),
            columns={
                name: np.zeros(0, dtype=np.float64 if name in FLOAT_COLUMNS else np.int64)
                for name in SUM_COLUMNS
            },
        )
    unique, slot = unique_rows(keys[rows])
    k = len(unique)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(slot[mask[rows]], minlength=k).astype(np.int64)

    out: dict[str, np.ndarray] = {"measurements": np.bincount(slot, minlength=k).astype(np.int64)}
    for index in INDICES:
        category = getattr(frame, f"{index}_category")
        out[f"{index}_assessed"] = count(category != NO_VALUE)
        out[f"{index}_flagged"] = count(category == FLAGGED)
    height_digit = np.where(frame.height_mm >= 0, frame.height_mm % DIGITS, -1)
    weight_digit = np.where(frame.weight_dag >= 0, (frame.weight_dag // DIGITS) % DIGITS, -1)
    for d in range(DIGITS):
        out[HEIGHT_DIGITS[d]] = count(height_digit == d)
        out[WEIGHT_DIGITS[d]] = count(weight_digit == d)
    for index in Z_INDICES:
        z = getattr(frame, index)
        valid = np.isfinite(z) & (getattr(frame, f"{index}_category") >= 0)
        out[f"{index}_n"] = count(valid)
        value = np.where(valid, z, 0.0)[rows]
        out[f"{index}_sum"] = np.bincount(slot, weights=value, minlength=k)
        out[f"{index}_sumsq"] = np.bincount(slot, weights=value * value, minlength=k)
    checked, shrunk = shrinking(frame)
    out["shrink_checked"] = count(checked)
    out["shrink_count"] = count(shrunk)
    return Sums(keys=unique.astype(np.int64), columns=out)


# Reading the sums ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Where an indicator starts to look wrong (see the module docstring for the sources)."""

    flagged_pct: float = 2.5
    digit_min_values: int = 50
    digit_p_value: float = 0.05
    dps_problematic: float = 20.0
    sd_min_values: int = 30
    sd_low: float = 0.8
    sd_high: float = 1.2
    measured_min_pct: float = 90.0


LIMITS = Limits()


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with `df` degrees of freedom (closed forms, integer df)."""
    if x <= 0:
        return 1.0
    if df % 2 == 0:
        term = total = math.exp(-x / 2)
        for j in range(1, df // 2):
            term *= (x / 2) / j
            total += term
        return min(1.0, total)
    total = math.erfc(math.sqrt(x / 2))
    term = math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
    for j in range(1, (df - 1) // 2 + 1):
        total += term
        term *= x / (2 * j + 1)
    return min(1.0, total)


@dataclass(frozen=True)
class DigitPreference:
    """Terminal digits of n values: counts, DPS (0-100), chi-square vs uniform digits, p-value."""

    counts: tuple[int, ...]
    n: int
    dps: float | None
    chi2: float | None
    p_value: float | None

    def share(self, *digits: int) -> float | None:
        """Percent of the values ending in one of `digits`."""
        return 100.0 * sum(self.counts[d] for d in digits) / self.n if self.n else None


def digit_preference(counts: np.ndarray | list[int] | tuple[int, ...]) -> DigitPreference:
    """DPS = 100 * sqrt(chi2 / (n * 9)) of the ten terminal-digit counts (None without values)."""
    observed = np.asarray(counts, dtype=np.float64)
    n = int(observed.sum())
    as_ints = tuple(int(c) for c in observed)
    if n == 0:
        return DigitPreference(as_ints, 0, None, None, None)
    expected = n / DIGITS
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    df = DIGITS - 1
    return DigitPreference(as_ints, n, 100.0 * math.sqrt(chi2 / (n * df)), chi2, chi2_sf(chi2, df))


def standard_deviation(n: int, total: float, total_sq: float) -> float | None:
    """Sample SD (n - 1) from n, sum and sum of squares; None below two values."""
    if n < 2:
        return None
    variance = (total_sq - total * total / n) / (n - 1)
    return math.sqrt(max(variance, 0.0))


def _pct(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator > 0 else None


# Codes of what looks wrong, in the order shown.
ISSUE_CODES = (
    "flagged",
    "height_whole_cm",
    "height_half_cm",
    "height_digits",
    "weight_whole_kg",
    "weight_half_kg",
    "weight_digits",
    "haz_sd_high",
    "haz_sd_low",
    "whz_sd_high",
    "whz_sd_low",
    "shrink",
    "missing",
)


@dataclass(frozen=True)
class Indicators:
    """The figures of one set of sums and the codes (ISSUE_CODES) of the values out of range."""

    measurements: int
    flagged: int
    assessed: int
    flagged_pct: float | None
    height: DigitPreference
    weight: DigitPreference
    haz_n: int
    haz_sd: float | None
    haz_mean: float | None
    whz_n: int
    whz_sd: float | None
    whz_mean: float | None
    shrink_checked: int
    shrink_count: int
    registered: int | None
    measured: int | None
    missing: int | None
    measured_pct: float | None
    issues: tuple[str, ...]


def _digit_issue(prefix: str, digits: DigitPreference, limits: Limits, whole: str, half: str) -> str | None:
    if digits.n < limits.digit_min_values or digits.dps is None or digits.p_value is None:
        return None
    if digits.dps < limits.dps_problematic or digits.p_value >= limits.digit_p_value:
        return None
    zero, five = digits.share(0) or 0.0, digits.share(5) or 0.0
    # Rounding to whole units piles the values on 0 (expected 10 %), to halves on 0 and 5 alike.
    if zero >= 30.0 and zero >= 2 * five:
        return f"{prefix}_{whole}"
    if zero + five >= 40.0:
        return f"{prefix}_{half}"
    return f"{prefix}_digits"


def indicators(
    sums: dict[str, float | int],
    *,
    registered: int | None = None,
    measured: int | None = None,
    limits: Limits = LIMITS,
) -> Indicators:
    """The indicators of one set of sums (a mapping with the SUM_COLUMNS names).

    `registered` and `measured` (children, from the prevalence summaries) give the missing
    measurements; None for a recording user.
    """
    flagged = sum(int(sums[f"{index}_flagged"]) for index in INDICES)
    assessed = sum(int(sums[f"{index}_assessed"]) for index in INDICES)
    height = digit_preference([int(sums[name]) for name in HEIGHT_DIGITS])
    weight = digit_preference([int(sums[name]) for name in WEIGHT_DIGITS])
    sd, mean = {}, {}
    for index in Z_INDICES:
        n = int(sums[f"{index}_n"])
        sd[index] = standard_deviation(n, float(sums[f"{index}_sum"]), float(sums[f"{index}_sumsq"]))
        mean[index] = float(sums[f"{index}_sum"]) / n if n else None
    missing = None
    if registered is not None and measured is not None:
        missing = max(registered - measured, 0)
    measured_pct = _pct(measured, registered) if registered is not None and measured is not None else None

    issues: list[str] = []
    flagged_pct = _pct(flagged, assessed)
    if flagged_pct is not None and flagged_pct > limits.flagged_pct:
        issues.append("flagged")
    digits = (
        _digit_issue("height", height, limits, "whole_cm", "half_cm"),
        _digit_issue("weight", weight, limits, "whole_kg", "half_kg"),
    )
    issues.extend(issue for issue in digits if issue)
    for index in Z_INDICES:
        value = sd[index]
        if value is None or int(sums[f"{index}_n"]) < limits.sd_min_values:
            continue
        if value > limits.sd_high:
            issues.append(f"{index}_sd_high")
        elif value < limits.sd_low:
            issues.append(f"{index}_sd_low")
    if int(sums["shrink_count"]) > 0:
        issues.append("shrink")
    if measured_pct is not None and measured_pct < limits.measured_min_pct:
        issues.append("missing")
    return Indicators(
        measurements=int(sums["measurements"]),
        flagged=flagged,
        assessed=assessed,
        flagged_pct=flagged_pct,
        height=height,
        weight=weight,
        haz_n=int(sums["haz_n"]),
        haz_sd=sd["haz"],
        haz_mean=mean["haz"],
        whz_n=int(sums["whz_n"]),
        whz_sd=sd["whz"],
        whz_mean=mean["whz"],
        shrink_checked=int(sums["shrink_checked"]),
        shrink_count=int(sums["shrink_count"]),
        registered=registered,
        measured=measured,
        missing=missing,
        measured_pct=measured_pct,
        issues=tuple(issues),
    )
