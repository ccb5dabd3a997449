"""Reading the prevalence summaries: figures with their interval, year tables and targets.

Everything here reads the summary tables only (never the measurements), scoped through
PrevalenceSummary.scope_q.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from convergence.codes import Level
from convergence.models import Region, User
from convergence.scoping import restrict

from . import compute
from .models import (
    DashboardRule,
    NationalTarget,
    PrevalenceSummary,
    RecomputeChunk,
    SurveyFigure,
    TargetRule,
)

Row = PrevalenceSummary
SOURCE_ROUTINE = _("Data rutin posyandu (penimbangan), dihitung aplikasi ini")


@dataclass(frozen=True)
class Figure:
    """A summary row read: its counts and the four prevalences with 95% intervals."""

    row: PrevalenceSummary
    stunting: compute.Proportion
    wasting: compute.Proportion
    underweight: compute.Proportion
    overweight: compute.Proportion
    coverage: compute.Proportion

    @property
    def unit_name(self) -> str:
        return self.row.posyandu.name if self.row.posyandu is not None else self.row.region.name


def figure_of(row: PrevalenceSummary) -> Figure:
    return Figure(
        row=row,
        stunting=compute.wilson_interval(row.stunted, row.haz_counted),
        wasting=compute.wilson_interval(row.whz_gizi_buruk + row.whz_gizi_kurang, row.whz_counted),
        underweight=compute.wilson_interval(row.waz_sangat_kurang + row.waz_kurang, row.waz_counted),
        overweight=compute.wilson_interval(row.whz_gizi_lebih + row.whz_obesitas, row.whz_counted),
        coverage=compute.wilson_interval(row.measured, row.registered),
    )


def level_of_region(region: Region) -> str:
    if region.level in (Level.KABUPATEN, Level.KOTA):
        return Row.Level.KABUPATEN
    if region.level == Level.KECAMATAN:
        return Row.Level.KECAMATAN
    return Row.Level.DESA


def summary_list(
    *,
    user: User,
    level: str | None = None,
    region: Region | None = None,
    within: Region | None = None,
    period_kind: str = Row.PeriodKind.MONTH,
    period_from: datetime.date | None = None,
    period_to: datetime.date | None = None,
) -> QuerySet[PrevalenceSummary]:
    """Summary rows the user may read: of one region, or of every unit of `level` inside `within`."""
    qs = restrict(Row.objects.select_related("region", "posyandu"), user).filter(period_kind=period_kind)
    if level:
        qs = qs.filter(level=level)
    if region is not None:
        qs = qs.filter(region=region, posyandu__isnull=True)
    if within is not None:
        qs = qs.filter(region__code__startswith=f"{within.code}.") | qs.filter(
            region=within, level=Row.Level.POSYANDU
        )
    if period_from is not None:
        qs = qs.filter(period__gte=period_from)
    if period_to is not None:
        qs = qs.filter(period__lte=period_to)
    return qs.order_by("period", "level", "region__code", "posyandu__code")


def region_series(
    *, user: User, region: Region, period_kind: str = Row.PeriodKind.MONTH, month: int | None = None
) -> list[Figure]:
    """The region's figures over time: every month, every year, or month `month` of each year."""
    qs = summary_list(user=user, region=region, level=level_of_region(region), period_kind=period_kind)
    if month is not None:
        qs = qs.filter(period__month=month)
    return [figure_of(row) for row in qs]


@dataclass(frozen=True)
class YearTableRow:
    figure: Figure
    target: compute.YearTarget


@dataclass(frozen=True)
class YearTable:
    """The e-PPGBM year table of a region (field study C's Gunung Mas table) with its target path."""

    region: Region
    rule: TargetRule | None
    month: int | None
    rows: list[YearTableRow]
    surveys: list[SurveyFigure]
    computed_at: datetime.datetime | None


def target_rule_for(region: Region) -> TargetRule | None:
    kabupaten_code = region.code[:5]
    return TargetRule.objects.filter(kabupaten__code=kabupaten_code).first()


def national_path() -> dict[int, float]:
    return {t.year: float(t.stunting_pct) for t in NationalTarget.objects.all()}


def targets_by_year(
    *, rule: TargetRule | None, actual: dict[int, float], years: list[int], national: bool = True
) -> dict[int, compute.YearTarget]:
    """The target rows of a region's yearly actuals under its district's rule (by default at least
    1 point a year from the first year), with the national path unless `national` is False."""
    rows = compute.target_rows(
        actual,
        baseline_year=rule.baseline_year if rule else None,
        min_reduction_points=float(rule.min_reduction_points) if rule else 1.0,
        target_year=rule.target_year if rule else None,
        target_pct=float(rule.target_pct) if rule and rule.target_pct is not None else None,
        national=national_path() if national else None,
        years=years,
    )
    return {t.year: t for t in rows}


def year_table(
    *, user: User, region: Region, up_to_year: int | None = None, month: int | None = None
) -> YearTable:
    """Per year up to `up_to_year`: children, TB/U counts, stunting %, change, Turun/Naik, target.

    A year's figure counts each child once (latest valid measurement of the year) or, with `month`,
    uses that month of each year (e.g. 8 for the August weighing month).
    """
    if month is None:
        figures = region_series(user=user, region=region, period_kind=Row.PeriodKind.YEAR)
    else:
        figures = region_series(user=user, region=region, period_kind=Row.PeriodKind.MONTH, month=month)
    if up_to_year is not None:
        figures = [f for f in figures if f.row.period.year <= up_to_year]
    rule = target_rule_for(region)
    actual = {f.row.period.year: f.stunting.pct for f in figures if f.stunting.pct is not None}
    by_year = targets_by_year(rule=rule, actual=actual, years=[f.row.period.year for f in figures])
    rows = [YearTableRow(figure=f, target=by_year[f.row.period.year]) for f in figures]
    surveys = list(restrict(SurveyFigure.objects.filter(region=region), user).order_by("year", "source"))
    return YearTable(
        region=region,
        rule=rule,
        month=month,
        rows=rows,
        surveys=surveys,
        computed_at=max((f.row.computed_at for f in figures), default=None),
    )


def last_full_recompute(*, kabupaten: Region) -> datetime.datetime | None:
    """When the latest scheduled recompute of the kabupaten finished its last chunk, if it did."""
    chunk = (
        RecomputeChunk.objects.filter(run__kabupaten=kabupaten, done_at__isnull=False)
        .order_by("-run__scheduled_for", "-done_at")
        .first()
    )
    return chunk.done_at if chunk else None


def pct(value: float | None) -> Decimal | None:
    """A percentage as shown: two decimals, as in the e-PPGBM tables."""
    return None if value is None else Decimal(str(round(value, 2)))


# --- honest defaults: the latest complete month --------------------------------------------------------


def dashboard_rule_for(kabupaten: Region) -> DashboardRule:
    """The district's dashboard rule, or the defaults (unsaved) when Bappeda has not set one."""
    rule = DashboardRule.objects.filter(kabupaten__code=kabupaten.code[:5]).first()
    return rule or DashboardRule(kabupaten=kabupaten)


@dataclass(frozen=True)
class PeriodChoice:
    """The month a page shows, with its coverage, and the district's latest complete month."""

    month: datetime.date | None
    measured: int
    registered: int
    complete: bool
    threshold_pct: float | None
    latest_complete: datetime.date | None
    incomplete_months: frozenset[datetime.date] = frozenset()  # months with data under the threshold

    @property
    def coverage_pct(self) -> float | None:
        return 100.0 * self.measured / self.registered if self.registered else None


def _kabupaten_months(*, kabupaten: Region, user: User | None) -> list[tuple[datetime.date, int, int]]:
    """(month, measured, registered) of the kabupaten's monthly rows, oldest first (one query).

    Without a user, the public pages: kabupaten totals are published anyway (Aksi 7).
    """
    qs = Row.objects.all() if user is None else restrict(Row.objects.all(), user)
    rows = qs.filter(
        level=Row.Level.KABUPATEN,
        region=kabupaten,
        posyandu__isnull=True,
        period_kind=Row.PeriodKind.MONTH,
    ).order_by("period")
    return list(rows.values_list("period", "measured", "registered"))


def latest_complete_month(
    *,
    kabupaten: Region,
    user: User | None = None,
    requested: datetime.date | None = None,
    rule: DashboardRule | None = None,
) -> PeriodChoice:
    """The month a dashboard or public page of `kabupaten` opens on: `requested` when children were
    measured in it, else the latest complete month (reports.compute.latest_complete under the
    district's DashboardRule); with no complete month, the latest month with data, not complete."""
    rule = rule or dashboard_rule_for(kabupaten)
    rows = _kabupaten_months(kabupaten=kabupaten, user=user)
    return period_choice(
        months=[day for day, _measured, _registered in rows],
        measured=np.array([m for _day, m, _r in rows], dtype=np.int64),
        registered=np.array([r for _day, _m, r in rows], dtype=np.int64),
        requested=requested,
        rule=rule,
    )


def period_choice(
    *,
    months: list[datetime.date],
    measured: np.ndarray,
    registered: np.ndarray,
    requested: datetime.date | None,
    rule: DashboardRule,
) -> PeriodChoice:
    """The period of a series of monthly totals (`months` ascending, one count each) under `rule`:
    `requested` when children were measured in it, else the latest complete month, else the latest
    month with data (not complete). The kabupaten dashboards and the province dashboard share it."""
    found = compute.latest_complete(
        np.array([day.year * 12 + day.month - 1 for day in months], dtype=np.int64),
        measured,
        registered,
        share_of_best_pct=float(rule.complete_share_of_best_pct),
        min_coverage_pct=(
            float(rule.complete_min_coverage_pct) if rule.complete_min_coverage_pct is not None else None
        ),
    )
    default = found.index
    latest_complete_day = months[default] if default is not None and found.complete else None
    index = default
    if requested is not None and requested in months and measured[months.index(requested)] > 0:
        index = months.index(requested)
    if index is None:
        return PeriodChoice(None, 0, 0, False, found.threshold_pct, None)
    coverage = np.divide(
        100.0 * measured, registered, out=np.zeros(measured.shape, dtype=float), where=registered > 0
    )
    under = (measured > 0) & (coverage < (found.threshold_pct or 0.0) - 1e-9)
    complete = bool(registered[index] > 0 and not under[index])
    return PeriodChoice(
        month=months[index],
        measured=int(measured[index]),
        registered=int(registered[index]),
        complete=complete,
        threshold_pct=found.threshold_pct,
        latest_complete=latest_complete_day,
        incomplete_months=frozenset(day for day, flag in zip(months, under, strict=True) if flag),
    )
