"""Prevalence aggregation, confidence intervals and target arithmetic. Pure: numpy only, no Django.

The aggregation takes every measurement of a set of children as columns and returns, per unit and
period, the counts of PrevalenceSummary. Each child is counted once per period and index: its latest
measurement of the period whose value for that index is valid; a child whose only values of the
period are WHO-flagged is counted in the index's flagged column instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NO_VALUE, FLAGGED = -1, -2  # children.growth.classify codes
AGE_LIMIT_DAYS = 1826  # 60 completed months: balita are 0-59 months (365.25 * 5)
Z95 = 1.959963984540054

# Output columns per index, in the category codes' order (children.growth.classify).
INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "haz": ("haz_sangat_pendek", "haz_pendek", "haz_normal", "haz_tinggi"),
    "waz": ("waz_sangat_kurang", "waz_kurang", "waz_normal", "waz_risiko_lebih"),
    "whz": (
        "whz_gizi_buruk",
        "whz_gizi_kurang",
        "whz_gizi_baik",
        "whz_berisiko_gizi_lebih",
        "whz_gizi_lebih",
        "whz_obesitas",
    ),
}
COUNT_COLUMNS: tuple[str, ...] = (
    "registered",
    "measured",
    *(name for index in INDEX_COLUMNS for name in (f"{index}_flagged", *INDEX_COLUMNS[index])),
)


@dataclass(frozen=True)
class MeasurementFrame:
    """Measurements as columns (one row each). `day` is days since 1970-01-01."""

    child: np.ndarray  # int64
    day: np.ndarray  # int64
    posyandu: np.ndarray  # int64, where it was taken
    desa: np.ndarray  # int64, the child's desa
    haz: np.ndarray  # int8 category codes
    waz: np.ndarray
    whz: np.ndarray

    def __len__(self) -> int:
        return len(self.child)


@dataclass(frozen=True)
class ChildFrame:
    """Registered children as columns: birth day (days since 1970-01-01), posyandu, desa, active."""

    child: np.ndarray  # int64, sorted
    birth_day: np.ndarray
    posyandu: np.ndarray
    desa: np.ndarray
    active: np.ndarray  # bool


@dataclass(frozen=True)
class Periods:
    """The periods to count: months and years, as [start, end] day numbers and a label key."""

    kind: np.ndarray  # "M" or "Y"
    start_day: np.ndarray  # int64
    end_day: np.ndarray  # int64, inclusive

    def __len__(self) -> int:
        return len(self.kind)


def month_periods(first_month: np.datetime64, last_month: np.datetime64, *, years: bool = True) -> Periods:
    """Every month from `first_month` to `last_month` (datetime64[M]) and, if asked, their years."""
    months = np.arange(first_month, last_month + 1, dtype="datetime64[M]")
    kinds = ["M"] * len(months)
    starts: list[int] = months.astype("datetime64[D]").astype(np.int64).tolist()
    ends: list[int] = ((months + 1).astype("datetime64[D]") - 1).astype(np.int64).tolist()
    if years:
        for year in np.unique(months.astype("datetime64[Y]")):
            kinds.append("Y")
            starts.append(int(year.astype("datetime64[D]").astype(np.int64)))
            ends.append(int(((year + 1).astype("datetime64[D]") - 1).astype(np.int64)))
    return Periods(
        kind=np.array(kinds),
        start_day=np.array(starts, dtype=np.int64),
        end_day=np.array(ends, dtype=np.int64),
    )


def _period_of_day(day: np.ndarray, periods: Periods, kind: str) -> np.ndarray:
    """Index into `periods` of the period of `kind` holding each day, -1 where none does."""
    chosen = np.flatnonzero(periods.kind == kind)
    out = np.full(len(day), -1, dtype=np.int64)
    if not len(chosen):
        return out
    order = chosen[np.argsort(periods.start_day[chosen])]
    starts = periods.start_day[order]
    ends = periods.end_day[order]
    slot = np.searchsorted(starts, day, side="right") - 1
    inside = (slot >= 0) & (day <= ends[np.clip(slot, 0, None)])
    out[inside] = order[slot[inside]]
    return out


@dataclass
class UnitCounts:
    """Counts for one level: `unit` (dense index) and `period` index of the rows, a column per count."""

    unit: np.ndarray
    period: np.ndarray
    counts: dict[str, np.ndarray]


def _last_per_group(keys: np.ndarray) -> np.ndarray:
    """Positions of the last row of each run of equal keys (keys sorted)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[keys[1:] != keys[:-1], True])


@dataclass(frozen=True)
class _Picks:
    """Rows (into the sorted frame) and period indices of the counted child-periods."""

    any_rows: np.ndarray
    any_period: np.ndarray
    valid: dict[str, tuple[np.ndarray, np.ndarray]]
    flagged: dict[str, tuple[np.ndarray, np.ndarray]]


def _picks(child: np.ndarray, day: np.ndarray, categories: dict[str, np.ndarray], periods: Periods) -> _Picks:
    """For every child and period: its latest row, and per index its latest valid row or, when it has
    none, its latest WHO-flagged row. Rows are sorted by child then day, so within a child the months
    (and the years) run in order and each (child, period) is one run of rows."""
    n_periods = len(periods)
    any_rows, any_period = [], []
    valid: dict[str, list[list[np.ndarray]]] = {index: [[], []] for index in categories}
    flagged: dict[str, list[list[np.ndarray]]] = {index: [[], []] for index in categories}
    for kind in ("M", "Y"):
        period = _period_of_day(day, periods, kind)
        group = child * n_periods + period  # meaningless where period is -1: those rows are left out
        rows = np.flatnonzero(period >= 0)
        last = rows[_last_per_group(group[rows])]
        any_rows.append(last)
        any_period.append(period[last])
        for index, category in categories.items():
            ok = rows[category[rows] >= 0]
            ok_last = ok[_last_per_group(group[ok])]
            bad = rows[category[rows] == FLAGGED]
            bad_last = bad[_last_per_group(group[bad])]
            bad_last = bad_last[~np.isin(group[bad_last], group[ok_last])]
            valid[index][0].append(ok_last)
            valid[index][1].append(period[ok_last])
            flagged[index][0].append(bad_last)
            flagged[index][1].append(period[bad_last])
    return _Picks(
        any_rows=np.concatenate(any_rows),
        any_period=np.concatenate(any_period),
        valid={i: (np.concatenate(v[0]), np.concatenate(v[1])) for i, v in valid.items()},
        flagged={i: (np.concatenate(v[0]), np.concatenate(v[1])) for i, v in flagged.items()},
    )


def count_children(
    measurements: MeasurementFrame,
    children: ChildFrame,
    periods: Periods,
    unit_of: dict[str, tuple[str, np.ndarray | None]],
) -> dict[str, UnitCounts]:
    """Counts per level, unit and period.

    `unit_of` maps a level name to (attribute, lookup): the attribute ("posyandu" or "desa") of the
    measurement/child that places it, and a lookup array from that id to the level's unit as a dense
    index 0..n-1 (-1 outside the units computed; None: the id itself is the index). Counting is a
    bincount over unit x period, with no sort beyond the one of the measurements by child and day.
    """
    n_periods = len(periods)
    order = np.argsort(measurements.child * 100_000 + measurements.day, kind="stable")
    child, day = measurements.child[order], measurements.day[order]
    categories = {index: getattr(measurements, index)[order] for index in INDEX_COLUMNS}
    picks = _picks(child, day, categories, periods)
    unmeasured = _unmeasured_registered(children, periods, child[picks.any_rows], picks.any_period)

    results: dict[str, UnitCounts] = {}
    for level, (attribute, lookup) in unit_of.items():
        unit = getattr(measurements, attribute)[order]
        child_unit = getattr(children, attribute)
        if lookup is not None:
            unit, child_unit = _map(lookup, unit), _map(lookup, child_unit)
            n_units = int(lookup.max()) + 1 if len(lookup) else 0
        else:
            n_units = int(max(unit.max(initial=-1), child_unit.max(initial=-1))) + 1
        size = n_units * n_periods

        def tally(
            rows: np.ndarray, period: np.ndarray, unit: np.ndarray = unit, size: int = size
        ) -> np.ndarray:
            u = unit[rows]
            keep = u >= 0
            return np.bincount(u[keep] * n_periods + period[keep], minlength=size)

        counts = {"measured": tally(picks.any_rows, picks.any_period)}
        for index, columns in INDEX_COLUMNS.items():
            counts[f"{index}_flagged"] = tally(*picks.flagged[index])
            rows, period = picks.valid[index]
            category = categories[index][rows]
            for code, name in enumerate(columns):
                chosen = category == code
                counts[name] = tally(rows[chosen], period[chosen])
        unmeasured_unit = child_unit[unmeasured[0]]
        counts["registered"] = counts["measured"] + np.bincount(
            (unmeasured_unit * n_periods + unmeasured[1])[unmeasured_unit >= 0], minlength=size
        )
        present = np.flatnonzero(counts["registered"])  # measured children are registered too
        results[level] = UnitCounts(
            unit=present // n_periods if n_periods else present,
            period=present % n_periods if n_periods else present,
            counts={name: counts[name][present] for name in COUNT_COLUMNS},
        )
    return results


def _map(mapping: np.ndarray, ids: np.ndarray) -> np.ndarray:
    inside = (ids >= 0) & (ids < len(mapping))
    out = np.full(len(ids), -1, dtype=np.int64)
    out[inside] = mapping[ids[inside]]
    return out


def _unmeasured_registered(
    children: ChildFrame, periods: Periods, measured_child: np.ndarray, measured_period: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(child position, period) of the active children aged 0-59 months during each period who were
    not measured in it; the measured ones are registered where they were measured."""
    n_periods = len(periods)
    # A child is a balita over one run of consecutive periods of each kind: expand each active child
    # to its run (the work follows the child-periods, not children x periods), then drop the
    # (child, period) pairs measured.
    active = np.flatnonzero(children.active)
    birth = children.birth_day[active]
    chosen, chosen_period = [], []
    for kind in ("M", "Y"):
        order = np.flatnonzero(periods.kind == kind)
        order = order[np.argsort(periods.start_day[order], kind="stable")]
        # periods of a kind do not overlap: sorted by start, their ends are sorted too
        first = np.searchsorted(periods.end_day[order], birth, side="left")
        stop = np.searchsorted(periods.start_day[order], birth + AGE_LIMIT_DAYS, side="left")
        count = np.clip(stop - first, 0, None)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        chosen.append(np.repeat(active, count))
        chosen_period.append(order[np.repeat(first, count) + offset])
    child_position = np.concatenate(chosen)
    period = np.concatenate(chosen_period)
    # children.child is sorted: the measured children's positions in it
    position = np.searchsorted(children.child, measured_child)
    found = position < len(children.child)
    found[found] = children.child[position[found]] == measured_child[found]
    measured_key = position[found] * max(n_periods, 1) + measured_period[found]
    unmeasured = ~np.isin(child_position * max(n_periods, 1) + period, measured_key)
    return child_position[unmeasured], period[unmeasured]


# Reading the counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """A share with its 95% Wilson score interval, in percent (None when the denominator is 0)."""

    numerator: int
    denominator: int
    pct: float | None
    low: float | None
    high: float | None


def wilson_interval(numerator: int, denominator: int, z: float = Z95) -> Proportion:
    """Share and 95% Wilson score interval (good for small n and shares near 0, unlike Wald)."""
    if denominator <= 0:
        return Proportion(numerator, denominator, None, None, None)
    p = numerator / denominator
    z2 = z * z
    centre = (p + z2 / (2 * denominator)) / (1 + z2 / denominator)
    half = (
        z
        * math.sqrt(p * (1 - p) / denominator + z2 / (4 * denominator * denominator))
        / (1 + z2 / denominator)
    )
    return Proportion(
        numerator, denominator, 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)
    )


# Targets -------------------------------------------------------------------------------------------


def target_path(
    *, baseline_year: int, baseline_pct: float, min_reduction_points: float, years: list[int]
) -> dict[int, float]:
    """The district's path: the baseline less at least `min_reduction_points` a year (never below 0)."""
    return {
        year: max(0.0, baseline_pct - min_reduction_points * (year - baseline_year))
        for year in years
        if year >= baseline_year
    }


def change_status(current: float | None, previous: float | None) -> str:
    """'Turun', 'Naik' or 'Tetap' as in the e-PPGBM tables; '' without both years."""
    if current is None or previous is None:
        return ""
    change = round(current - previous, 2)
    if change < 0:
        return "Turun"
    if change > 0:
        return "Naik"
    return "Tetap"


def aarr(*, start_pct: float, end_pct: float, years: float) -> float | None:
    """Average annual rate of reduction in percent: 100 * (1 - (end/start)^(1/years))."""
    if years <= 0 or start_pct <= 0 or end_pct < 0:
        return None
    return 100 * (1 - (end_pct / start_pct) ** (1 / years))


def required_annual_points(*, current_pct: float, target_pct: float, years_left: int) -> float | None:
    """Linear reduction needed per year to reach the target (percentage points)."""
    if years_left <= 0:
        return None
    return (current_pct - target_pct) / years_left


@dataclass(frozen=True)
class YearTarget:
    """One year of a region's path: the actual, the district and national targets and the verdicts."""

    year: int
    actual_pct: float | None
    change_points: float | None  # from the previous year with data
    status: str  # Turun / Naik / Tetap / ''
    target_pct: float | None  # district path
    national_pct: float | None
    on_course: bool | None
    aarr_achieved: float | None  # from the baseline year
    aarr_required: float | None  # to reach the district target of `target_year` from this year
    points_required: float | None  # linear points a year to reach it


def target_rows(
    actual: dict[int, float],
    *,
    baseline_year: int | None,
    min_reduction_points: float,
    target_year: int | None = None,
    target_pct: float | None = None,
    national: dict[int, float] | None = None,
    years: list[int] | None = None,
) -> list[YearTarget]:
    """The target table of a region: per year the actual and the district path, which falls at least
    `min_reduction_points` a year from the baseline (and, when the regulation names a target year and
    value, no slower than the straight line to it), plus the national path where it has a value."""
    national = national or {}
    years = sorted(set(years or []) | set(actual))
    if baseline_year is None:
        baseline_year = min(actual) if actual else None
    baseline = actual.get(baseline_year) if baseline_year is not None else None
    path: dict[int, float] = {}
    if baseline is not None and baseline_year is not None:
        path = target_path(
            baseline_year=baseline_year,
            baseline_pct=baseline,
            min_reduction_points=min_reduction_points,
            years=years,
        )
        if target_year is not None and target_pct is not None and target_year > baseline_year:
            step = (baseline - target_pct) / (target_year - baseline_year)
            for year in path:
                path[year] = min(path[year], max(target_pct, baseline - step * (year - baseline_year)))
    rows = []
    previous: float | None = None
    goal_year = target_year if target_year is not None else (max(path) if path else None)
    for year in years:
        value = actual.get(year)
        goal = (
            target_pct if target_pct is not None else (path.get(goal_year) if goal_year is not None else None)
        )
        left = goal_year - year if goal_year is not None else 0
        rows.append(
            YearTarget(
                year=year,
                actual_pct=value,
                change_points=None if value is None or previous is None else round(value - previous, 2),
                status=change_status(value, previous),
                target_pct=path.get(year),
                national_pct=national.get(year),
                on_course=None if value is None or year not in path else value <= path[year] + 1e-9,
                aarr_achieved=(
                    aarr(start_pct=baseline, end_pct=value, years=year - baseline_year)
                    if value is not None
                    and baseline is not None
                    and baseline_year is not None
                    and year > baseline_year
                    else None
                ),
                aarr_required=(
                    aarr(start_pct=value, end_pct=goal, years=left)
                    if value is not None and goal is not None and left > 0
                    else None
                ),
                points_required=(
                    required_annual_points(current_pct=value, target_pct=goal, years_left=left)
                    if value is not None and goal is not None and left > 0
                    else None
                ),
            )
        )
        if value is not None:
            previous = value
    return rows


@dataclass(frozen=True)
class CompleteMonth:
    """Which month a dashboard opens on: an index into the months given, and whether it qualified."""

    index: int | None  # None when no month has any child measured
    complete: bool
    threshold_pct: float | None  # the coverage a month needed


COMPLETENESS_WINDOW_MONTHS = 12


def latest_complete(
    month_number: np.ndarray,
    measured: np.ndarray,
    registered: np.ndarray,
    *,
    share_of_best_pct: float,
    min_coverage_pct: float | None = None,
    window_months: int = COMPLETENESS_WINDOW_MONTHS,
) -> CompleteMonth:
    """The latest month whose coverage (measured / registered, %) reaches the threshold.

    `month_number` is year * 12 + month - 1, ascending, one entry per month. The threshold is
    `share_of_best_pct` % of the best coverage of the `window_months` up to the latest month with any
    child measured, and at least `min_coverage_pct`. Months are stepped back from the latest; when none
    qualifies, the latest month with a child measured is returned, not complete. A month still being
    weighed (a few posyandu reported) would otherwise open the dashboard on a handful of children.
    """
    measured = np.asarray(measured, dtype=np.int64)
    registered = np.asarray(registered, dtype=np.int64)
    month_number = np.asarray(month_number, dtype=np.int64)
    with_data = np.flatnonzero(measured > 0)
    if with_data.size == 0:
        return CompleteMonth(index=None, complete=False, threshold_pct=None)
    latest = int(with_data[-1])
    coverage = np.divide(
        100.0 * measured, registered, out=np.zeros(measured.shape, dtype=float), where=registered > 0
    )
    in_window = (month_number > month_number[latest] - window_months) & (month_number <= month_number[latest])
    threshold = share_of_best_pct / 100.0 * float(coverage[in_window].max())
    if min_coverage_pct is not None:
        threshold = max(threshold, min_coverage_pct)
    qualifies = (measured > 0) & (coverage >= threshold - 1e-9) & (coverage > 0)
    qualifies[latest + 1 :] = False
    found = np.flatnonzero(qualifies)
    if found.size == 0:
        return CompleteMonth(index=latest, complete=False, threshold_pct=threshold)
    return CompleteMonth(index=int(found[-1]), complete=True, threshold_pct=threshold)


# Provinces and the nation: sums of kabupaten, and a figure against a target path ------------------


def sum_by_group(counts: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts (rows x columns, int64) summed per group (`group`: a dense index 0..n_groups-1 per row).

    A province's figure is the sum of its kabupaten's counts, never the mean of their percentages.
    """
    out = np.zeros((n_groups, counts.shape[1]), dtype=np.int64)
    np.add.at(out, group, counts)
    return out


def path_value(path: dict[int, float], year: int) -> float | None:
    """A yearly target path's value for `year`: the year's own, else the straight line between the
    entered years around it; None before the first or after the last entered year (none is invented)."""
    if year in path:
        return path[year]
    before = [y for y in path if y < year]
    after = [y for y in path if y > year]
    if not before or not after:
        return None
    low, high = max(before), min(after)
    return path[low] + (path[high] - path[low]) * (year - low) / (high - low)


VERDICT_BELOW, VERDICT_UNSURE, VERDICT_ABOVE = "di_bawah", "belum_pasti", "di_atas"


def path_verdict(share: Proportion, target_pct: float | None) -> str:
    """A prevalence against a target: below when its whole 95% interval lies at or under the target,
    above when it lies over it, unsure when the interval holds the target; '' without either figure.

    The interval decides, not the point: a kabupaten of 40 children 0.3 points under the path is not
    'on course'."""
    if target_pct is None or share.pct is None or share.low is None or share.high is None:
        return ""
    if share.high <= target_pct + 1e-9:
        return VERDICT_BELOW
    if share.low > target_pct + 1e-9:
        return VERDICT_ABOVE
    return VERDICT_UNSURE
