"""The district head's dashboard and Bappeda's drill-down: assembled from the summary tables.

Prevalence comes only from the summaries (reports.selectors), never from the measurements; the
convergence actions, PMT budget absorption and convergence rate come from the selectors of the apps
that own them. Every block carries its source and period, as the figures of routine data and of
surveys disagree (domain brief 4.6) and a reader must know which one he is looking at.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language

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
from .dashboard_trend import (  # noqa: F401
    TICK_MONTHS,
    _measured_series,
    chosen_month,
    month_label,
    month_ticks,
    months_with_data,
    parse_month,
    series_period,
    trend_data,
    years_period,
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
        """'Januari 2026 – Agustus 2026': the ledger counts whole months."""
        return f"{month_name(self.convergence_period.start)} – {month_name(self.convergence_period.end)}"


# Part of the page's cache key: a release that changes HeadDashboard's fields must not unpickle the
# previous release's pages (up to LIVE_FIGURES_CACHE_S old) from a shared cache.
HEAD_LAYOUT = "v3"


def _head_key(*, user: User, kabupaten: Region, asked: datetime.date | None, today: datetime.date) -> str:
    """The page's cache key: the summaries' version in it, so a recompute makes the next reader
    assemble the page again (never a stale page after a recompute)."""
    return _cache_key(
        user,
        "head",
        HEAD_LAYOUT,
        get_language(),
        kabupaten.code,
        asked or "",
        today,
        summaries_version(kabupaten.code),
    )


def head_dashboard(*, user: User, requested_month: str | None, today: datetime.date) -> HeadDashboard:
    """Everything of the district head's page, cached until the kabupaten's summaries change (or for
    LIVE_FIGURES_CACHE_S, the age the ledger figures may have): a room of readers costs one assembly.
    The page is the same for every district-wide reader (pimpinan, Bappeda) of one language: its
    labels and the chart's month names are translated when it is assembled."""
    kabupaten = dashboard_kabupaten(user=user)
    # The key holds a parsed month, never the raw parameter.
    return _head_page(user=user, kabupaten=kabupaten, asked=parse_month(requested_month), today=today)


def _head_page(
    *, user: User, kabupaten: Region, asked: datetime.date | None, today: datetime.date
) -> HeadDashboard:
    key = _head_key(user=user, kabupaten=kabupaten, asked=asked, today=today)
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
    return cast(HeadDashboard, page)


T = TypeVar("T")


def head_dashboard_part(
    *,
    user: User,
    requested_month: str | None,
    today: datetime.date,
    part: str,
    build: Callable[[HeadDashboard], T],
) -> T:
    """One rendering of the head page (`part`: its HTML body, the API's JSON), cached under the page's
    key. A hit reads one small value: no assembly, and no unpickling of the page's model rows, which
    under a room of readers cost more than the rest of the request."""
    kabupaten = dashboard_kabupaten(user=user)
    asked = parse_month(requested_month)
    key = f"{_head_key(user=user, kabupaten=kabupaten, asked=asked, today=today)}:{part}"
    found = cache.get(key)
    if found is None:
        found = build(_head_page(user=user, kabupaten=kabupaten, asked=asked, today=today))
        cache.set(key, found, LIVE_FIGURES_CACHE_S)
    return cast(T, found)


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
