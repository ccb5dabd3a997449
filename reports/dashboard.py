"""The district head's dashboard and Bappeda's drill-down: assembled from the summary tables.

Prevalence comes only from the summaries (reports.selectors), never from the measurements; the
convergence actions, PMT budget absorption and convergence rate come from the selectors of the apps
that own them. Every block carries its source and period, as the figures of routine data and of
surveys disagree (domain brief 4.6) and a reader must know which one he is looking at.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS
from convergence.formatting import month_name
from convergence.models import Posyandu, Region, Role, User
from convergence.scoping import restrict, scope_for_user
from convergence.selectors import region_breadcrumbs, region_home_for_user, region_list_for_user
from interventions.selectors import Period

from .dashboard_access import (  # noqa: F401  (public names of the dashboards, imported from here)
    DASHBOARD_ROLES,
    DRILLDOWN_ROLES,
    MAP_ROLES,
    can_see_names,
    check_dashboard_access,
    check_drilldown_access,
    check_map_upload,
    dashboard_kabupaten,
)
from .dashboard_figures import (  # noqa: F401
    ACTION_STATES,
    LIVE_FIGURES_CACHE_S,
    ActionRow,
    ConvergenceRate,
    HeadlineTargets,
    Money,
    _cache_key,
    action_rows,
    budget_absorption,
    convergence_rate,
    headline_targets,
)
from .dashboard_map import (  # noqa: F401
    CODE_PROPERTIES,
    COORDINATE_DECIMALS,
    GEOMETRY_MAX_AGE_S,
    POLYGONS,
    MapCheck,
    MapGeometry,
    code_digits,
    geojson_check,
    map_data,
    map_desa,
    map_geometry,
    map_geometry_url,
    region_map_for,
    region_map_meta,
    region_map_save,
)
from .dashboard_rankings import (  # noqa: F401
    NO_DATA_CLASS,
    PREVALENCE_CLASSES,
    RANKING_SHOWN,
    GridGroup,
    Ranking,
    RankRow,
    grid_groups,
    legend,
    prevalence_class,
    ranking_split,
    unit_ranking,
)
from .locks import summaries_version
from .models import NationalTarget, PrevalenceSummary
from .selectors import (
    SOURCE_ROUTINE,
    Figure,
    PeriodChoice,
    YearTable,
    YearTableRow,
    dashboard_rule_for,
    figure_of,
    latest_complete_month,
    level_of_region,
    national_path,
    summary_list,
    target_rule_for,
    targets_by_year,
    year_table,
)

Row = PrevalenceSummary

# --- periods ----------------------------------------------------------------------------------------


def month_label(day: datetime.date) -> str:
    """The month as the `periode` parameter writes it ('2026-11'); pages show month_name."""
    return f"{day:%Y-%m}"


def parse_month(value: str | None) -> datetime.date | None:
    """'2025-03' -> 2025-03-01; None when malformed."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def months_with_data(*, user: User, region: Region) -> list[datetime.date]:
    """The months in which children of `region` were measured, latest first.

    A full recompute writes every month up to today, also the ones nobody was weighed in yet.
    """
    rows = summary_list(user=user, region=region, level=level_of_region(region)).filter(measured__gt=0)
    return sorted(set(rows.values_list("period", flat=True)), reverse=True)


def _measured_series(*, user: User, region: Region) -> list[Figure]:
    """The region's monthly figures, months without any child measured left out."""
    rows = summary_list(user=user, region=region, level=level_of_region(region)).filter(measured__gt=0)
    return [figure_of(row) for row in rows]


def chosen_month(months: list[datetime.date], requested: str | None) -> datetime.date | None:
    """The requested month when it has data, else the latest month with data."""
    wanted = parse_month(requested)
    if wanted in months:
        return wanted
    return months[0] if months else None


# --- the trend --------------------------------------------------------------------------------------


def _x(day: datetime.date) -> float:
    """A month on the chart's linear axis: year + (month - 1) / 12."""
    return round(day.year + (day.month - 1) / 12, 4)


def _year_x(year: int) -> float:
    # Yearly targets and survey figures sit on August, the national weighing month (bulan timbang).
    return round(year + 7 / 12, 4)


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _month_complete(figure: Figure, threshold_pct: float | None) -> bool:
    if threshold_pct is None:
        return True
    return figure.coverage.pct is not None and figure.coverage.pct >= threshold_pct - 1e-9


def trend_data(
    *,
    series: list[Figure],
    table: YearTable,
    national: dict[int, float],
    threshold_pct: float | None = None,
) -> dict[str, Any]:
    """The chart's points: monthly prevalence with its 95% band, the district and national paths
    (yearly) and the survey figures, as plain numbers for the page's JSON block. A month whose
    coverage is under `threshold_pct` is marked incomplete: the chart draws it apart, unjoined."""
    months = [
        {
            "x": _x(f.row.period),
            "label": month_label(f.row.period),
            "pct": _num(f.stunting.pct),
            "low": _num(f.stunting.low),
            "high": _num(f.stunting.high),
            "measured": f.row.measured,
            "complete": _month_complete(f, threshold_pct),
        }
        for f in series
    ]
    district = {
        row.target.year: row.target.target_pct for row in table.rows if row.target.target_pct is not None
    }
    rule = table.rule
    if rule is not None and rule.target_year is not None and rule.target_pct is not None:
        district.setdefault(rule.target_year, float(rule.target_pct))
    years = [f.row.period.year for f in series] + list(district)
    first, last = (min(years), max(years)) if years else (None, None)
    national_points = [
        {"x": _year_x(year), "y": _num(pct), "label": str(year)}
        for year, pct in sorted(national.items())
        if first is not None and last is not None and first <= year <= last
    ]
    return {
        "months": months,
        "district": [
            {"x": _year_x(year), "y": _num(pct), "label": str(year)} for year, pct in sorted(district.items())
        ],
        "national": national_points,
        "surveys": [
            {"x": _year_x(s.year), "y": float(s.stunting_pct), "label": f"{s.source} {s.year}"}
            for s in table.surveys
        ],
        "labels": {
            "routine": _("Prevalensi stunting (data rutin)"),
            "incomplete": _("Bulan belum lengkap (cakupan di bawah ambang)"),
            "band": _("Selang kepercayaan 95%"),
            "district": _("Target daerah"),
            "national": _("Target nasional (RPJMN)"),
            "surveys": _("Survei (SSGI/SKI)"),
            "axis": _("Stunting (%)"),
        },
    }


def series_period(trend: dict[str, Any]) -> str:
    """'Januari 2024 – Desember 2025': the months a trend covers."""
    days = [parse_month(m["label"]) for m in trend["months"]]
    return f"{month_name(days[0])} – {month_name(days[-1])}" if days and days[0] and days[-1] else "–"


def years_period(table: YearTable) -> str:
    years = [row.target.year for row in table.rows]
    return f"{years[0]} – {years[-1]}" if years else "–"


# --- the pages --------------------------------------------------------------------------------------


@dataclass
class HeadDashboard:
    kabupaten: Region
    month: datetime.date | None
    months: list[datetime.date]
    period: PeriodChoice
    year: int
    figure: Figure | None
    targets: HeadlineTargets
    series: list[Figure]
    table: YearTable
    trend: dict[str, Any]
    kecamatan: list[RankRow]
    desa: list[RankRow]
    kecamatan_ranking: Ranking
    desa_ranking: Ranking
    grid: list[GridGroup]
    map: dict[str, Any] | None
    actions: list[ActionRow]
    budget: Money
    convergence: ConvergenceRate
    convergence_period: Period
    national_sources: list[str]
    source_routine: str = field(default_factory=lambda: str(SOURCE_ROUTINE))
    cache_key: str = ""  # of this assembly; the template caches its large blocks under it too

    def data(self) -> dict[str, Any]:
        return {"trend": self.trend, "map": self.map}

    @property
    def period_label(self) -> str:
        return month_name(self.month) if self.month else "–"

    @property
    def trend_period(self) -> str:
        return series_period(self.trend)

    @property
    def year_period(self) -> str:
        return years_period(self.table)

    @property
    def kecamatan_ranking_url(self) -> str:
        return ranking_url(level=Row.Level.KECAMATAN, month=self.month)

    @property
    def desa_ranking_url(self) -> str:
        return ranking_url(level=Row.Level.DESA, month=self.month)

    @property
    def convergence_label(self) -> str:
        return f"{self.convergence_period.start:%Y-%m-%d} – {self.convergence_period.end:%Y-%m-%d}"


# Part of the page's cache key: a release that changes HeadDashboard's fields must not unpickle the
# previous release's pages (up to LIVE_FIGURES_CACHE_S old) from a shared cache.
HEAD_LAYOUT = "v2"


def head_dashboard(*, user: User, requested_month: str | None, today: datetime.date) -> HeadDashboard:
    """Everything of the district head's page, cached until the kabupaten's summaries change (or for
    LIVE_FIGURES_CACHE_S, the age the ledger figures may have): a room of readers costs one assembly.
    The page is the same for every district-wide reader (pimpinan, Bappeda)."""
    kabupaten = dashboard_kabupaten(user=user)
    asked = parse_month(requested_month)  # the key holds a parsed month, never the raw parameter
    key = _cache_key(
        user, "head", HEAD_LAYOUT, kabupaten.code, asked or "", today, summaries_version(kabupaten.code)
    )
    page = cache.get(key)
    if page is None:
        page = _head_dashboard(
            user=user,
            kabupaten=kabupaten,
            requested_month=asked.isoformat()[:7] if asked else None,
            today=today,
        )
        page.cache_key = key
        cache.set(key, page, LIVE_FIGURES_CACHE_S)
    return page


def _head_dashboard(
    *, user: User, kabupaten: Region, requested_month: str | None, today: datetime.date
) -> HeadDashboard:
    """Assemble the page; a fixed number of queries whatever the number of desa."""
    months = months_with_data(user=user, region=kabupaten)
    rule = dashboard_rule_for(kabupaten)
    period = latest_complete_month(
        kabupaten=kabupaten, user=user, requested=parse_month(requested_month), rule=rule
    )
    month = period.month
    series = [figure_of(row) for row in summary_list(user=user, region=kabupaten, level=Row.Level.KABUPATEN)]
    figure = next((f for f in series if f.row.period == month), None)
    table = year_table(user=user, region=kabupaten)
    national = national_path()
    kecamatan = unit_ranking(user=user, within=kabupaten, level=Row.Level.KECAMATAN, month=month)
    desa = unit_ranking(user=user, within=kabupaten, level=Row.Level.DESA, month=month)
    region_map = region_map_meta(user=user, kabupaten=kabupaten)
    year = month.year if month else today.year
    # The ledger counts January to the chosen month; with no data yet, the running year.
    convergence_period = Period(year=year, month=month.month if month else None)
    return HeadDashboard(
        kabupaten=kabupaten,
        month=month,
        months=months,
        period=period,
        year=year,
        figure=figure,
        targets=headline_targets(table=table, national=national, year=year),
        series=series,
        table=table,
        trend=trend_data(series=series, table=table, national=national, threshold_pct=period.threshold_pct),
        kecamatan=kecamatan,
        desa=desa,
        kecamatan_ranking=ranking_split(
            kecamatan, level=Row.Level.KECAMATAN, min_measured=rule.min_measured_to_rank
        ),
        desa_ranking=ranking_split(desa, level=Row.Level.DESA, min_measured=rule.min_measured_to_rank),
        grid=grid_groups(desa_rows=desa, kecamatan_rows=kecamatan),
        map=map_data(region_map=region_map, desa_rows=desa),
        actions=action_rows(user=user, kabupaten=kabupaten, year=year, today=today),
        budget=budget_absorption(user=user, year=year),
        convergence=convergence_rate(user=user, kabupaten=kabupaten, period=convergence_period, today=today),
        convergence_period=convergence_period,
        national_sources=sorted(
            set(NationalTarget.objects.exclude(source="").values_list("source", flat=True))
        ),
    )


RANKING_LEVELS = (Row.Level.KECAMATAN, Row.Level.DESA)


def ranking_url(*, level: str, month: datetime.date | None) -> str:
    query = {"tingkat": level, **({"periode": month_label(month)} if month else {})}
    return f"{reverse('reports:ranking')}?{urlencode(query)}"


@dataclass
class FullRanking:
    """Every unit of one level of the kabupaten for one month: the ranked ones and the rest."""

    kabupaten: Region
    level: str
    month: datetime.date | None
    months: list[datetime.date]
    period: PeriodChoice
    ranking: Ranking
    source_routine: str = field(default_factory=lambda: str(SOURCE_ROUTINE))

    @property
    def period_label(self) -> str:
        return month_name(self.month) if self.month else "–"


def full_ranking(*, user: User, level: str, requested_month: str | None) -> FullRanking:
    """The whole ranking behind the dashboard's top and bottom ten (the page pages it)."""
    if level not in RANKING_LEVELS:
        raise Http404
    kabupaten = dashboard_kabupaten(user=user)
    rule = dashboard_rule_for(kabupaten)
    period = latest_complete_month(
        kabupaten=kabupaten, user=user, requested=parse_month(requested_month), rule=rule
    )
    rows = unit_ranking(user=user, within=kabupaten, level=level, month=period.month)
    return FullRanking(
        kabupaten=kabupaten,
        level=level,
        month=period.month,
        months=months_with_data(user=user, region=kabupaten),
        period=period,
        ranking=ranking_split(rows, level=level, min_measured=rule.min_measured_to_rank),
    )


SUBUNIT_LEVEL: dict[str, PrevalenceSummary.Level] = {
    Row.Level.KABUPATEN: Row.Level.KECAMATAN,
    Row.Level.KECAMATAN: Row.Level.DESA,
    Row.Level.DESA: Row.Level.POSYANDU,
}


@dataclass
class RegionDashboard:
    region: Region
    level: str
    breadcrumbs: list[Region]
    month: datetime.date | None
    months: list[datetime.date]
    period: PeriodChoice
    series: list[Figure]
    table: YearTable
    trend: dict[str, Any]
    subunit_level: str
    subunits: list[RankRow]
    ranking: Ranking
    show_names: bool
    source_routine: str = field(default_factory=lambda: str(SOURCE_ROUTINE))

    def data(self) -> dict[str, Any]:
        return {"trend": self.trend, "map": None}

    @property
    def period_label(self) -> str:
        return month_name(self.month) if self.month else "–"

    @property
    def trend_period(self) -> str:
        return series_period(self.trend)

    @property
    def year_period(self) -> str:
        return years_period(self.table)


def drilldown_home(*, user: User) -> Region:
    """Where the drill-down starts: the kabupaten, or a puskesmas officer's kecamatan."""
    region = region_home_for_user(user=user)
    if region is None:
        raise Http404
    return region


def drilldown_region(*, user: User, code: str) -> Region:
    """A region the user may drill into: visible, and for a puskesmas officer inside his area."""
    region = region_list_for_user(user=user).filter(code=code).first()
    if region is None or region.level not in [*KABUPATEN_LEVELS, "kecamatan", *DESA_LEVELS]:
        raise Http404
    scope = scope_for_user(user)
    # Region.scope_q lets a puskesmas officer see his kabupaten (to navigate); its figures are not his to drill.
    if scope.role == Role.PUSKESMAS_OFFICER and not scope.is_superuser and region.level in KABUPATEN_LEVELS:
        raise PermissionDenied
    return region


def region_dashboard(*, user: User, region: Region, requested_month: str | None) -> RegionDashboard:
    """A region's page: its series, its subunits of the chosen month, its year table with targets."""
    level = level_of_region(region)
    months = months_with_data(user=user, region=region)
    breadcrumbs = region_breadcrumbs(region=region)
    kabupaten = next((r for r in [*breadcrumbs, region] if r.level in KABUPATEN_LEVELS), region)
    rule = dashboard_rule_for(kabupaten)
    # The district's month decides the default, so every region page opens on the same period.
    period = latest_complete_month(
        kabupaten=kabupaten, user=user, requested=parse_month(requested_month), rule=rule
    )
    month = chosen_month(months, period.month.isoformat()[:7] if period.month else None)
    series = _measured_series(user=user, region=region)
    table = year_table(user=user, region=region)
    subunit_level = SUBUNIT_LEVEL[level]
    subunits = unit_ranking(user=user, within=region, level=subunit_level, month=month)
    return RegionDashboard(
        region=region,
        level=level,
        breadcrumbs=breadcrumbs,
        month=month,
        months=months,
        period=period,
        series=series,
        table=table,
        trend=trend_data(
            series=series, table=table, national=national_path(), threshold_pct=period.threshold_pct
        ),
        subunit_level=subunit_level,
        subunits=subunits,
        ranking=ranking_split(subunits, level=subunit_level, min_measured=rule.min_measured_to_rank),
        show_names=can_see_names(user),
    )


@dataclass
class PosyanduDashboard:
    posyandu: Posyandu
    breadcrumbs: list[Region]
    series: list[Figure]
    years: list[YearTableRow]
    show_names: bool
    source_routine: str = field(default_factory=lambda: str(SOURCE_ROUTINE))

    def data(self) -> dict[str, Any]:
        table = YearTable(
            region=self.posyandu.desa, rule=None, month=None, rows=self.years, surveys=[], computed_at=None
        )
        return {"trend": trend_data(series=self.series, table=table, national={}), "map": None}

    @property
    def period_label(self) -> str:
        months = [month_name(f.row.period) for f in self.series]
        return f"{months[0]} – {months[-1]}" if months else "–"

    @property
    def year_period(self) -> str:
        years = [row.target.year for row in self.years]
        return f"{years[0]} – {years[-1]}" if years else "–"


def posyandu_dashboard(*, user: User, pk: int) -> PosyanduDashboard:
    """A posyandu's monthly series and its year rows (Turun/Naik against the district's rule)."""
    posyandu = restrict(Posyandu.objects.select_related("desa"), user).filter(pk=pk).first()
    if posyandu is None:
        raise Http404
    rows = summary_list(user=user, level=Row.Level.POSYANDU, period_kind=Row.PeriodKind.MONTH).filter(
        posyandu=posyandu, measured__gt=0
    )
    years = summary_list(user=user, level=Row.Level.POSYANDU, period_kind=Row.PeriodKind.YEAR).filter(
        posyandu=posyandu, measured__gt=0
    )
    year_figures = [figure_of(row) for row in years]
    rule = target_rule_for(posyandu.desa)
    actual = {f.row.period.year: f.stunting.pct for f in year_figures if f.stunting.pct is not None}
    by_year = targets_by_year(
        rule=rule, actual=actual, years=[f.row.period.year for f in year_figures], national=False
    )
    return PosyanduDashboard(
        posyandu=posyandu,
        breadcrumbs=[*region_breadcrumbs(region=posyandu.desa), posyandu.desa],
        series=[figure_of(row) for row in rows],
        years=[YearTableRow(figure=f, target=by_year[f.row.period.year]) for f in year_figures],
        show_names=can_see_names(user),
    )
