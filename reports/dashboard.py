"""The district head's dashboard and Bappeda's drill-down: assembled from the summary tables.

Prevalence comes only from the summaries (reports.selectors), never from the measurements; the
convergence actions, PMT budget absorption and convergence rate come from the selectors of the apps
that own them. Every block carries its source and period, as the figures of routine data and of
surveys disagree (domain brief 4.6) and a reader must know which one he is looking at.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from children.access import can_write_registry
from convergence.actions import ACTIONS
from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS
from convergence.db_router import replica_cache_scope
from convergence.formatting import month_name
from convergence.models import ConvergenceAction, Posyandu, Region, Role, User
from convergence.scoping import restrict, scope_for_user
from convergence.selectors import region_breadcrumbs, region_home_for_user, region_list_for_user
from convergence.selectors_actions import action_is_late, action_list_for_user, kabupaten_for_user
from convergence.uploads import text_encoding
from interventions.pmt_reports import pmt_absorption
from interventions.selectors import Period, ledger_for_user

from .locks import summaries_version
from .models import NationalTarget, PrevalenceSummary, RegionMap
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

# Who opens which page. The district head's page is for the bupati (pimpinan) and Bappeda; the
# drill-down also for a puskesmas officer, inside his working area.
DASHBOARD_ROLES = frozenset({Role.PIMPINAN, Role.BAPPEDA_ADMIN})
DRILLDOWN_ROLES = frozenset({Role.PIMPINAN, Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER})
MAP_ROLES = frozenset({Role.BAPPEDA_ADMIN})

# Public-health significance of a stunting prevalence (WHO/UNICEF thresholds, de Onis et al. 2019,
# Public Health Nutrition 22(1)): the map and grid colour classes, lowest first.
PREVALENCE_CLASSES: tuple[tuple[float, str, Any], ...] = (
    (2.5, "prev-0", gettext_lazy("sangat rendah (< 2,5%)")),
    (10.0, "prev-1", gettext_lazy("rendah (2,5–< 10%)")),
    (20.0, "prev-2", gettext_lazy("sedang (10–< 20%)")),
    (30.0, "prev-3", gettext_lazy("tinggi (20–< 30%)")),
    (float("inf"), "prev-4", gettext_lazy("sangat tinggi (≥ 30%)")),
)
NO_DATA_CLASS = "prev-none"


def prevalence_class(pct: float | None) -> str:
    if pct is None:
        return NO_DATA_CLASS
    return next(css for upper, css, _label in PREVALENCE_CLASSES if pct < upper)


def legend() -> list[tuple[str, str]]:
    return [(css, str(label)) for _upper, css, label in PREVALENCE_CLASSES] + [
        (NO_DATA_CLASS, _("tanpa data"))
    ]


# --- access -----------------------------------------------------------------------------------------


def _role_in(user: User, roles: frozenset[str]) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in roles


def check_dashboard_access(user: User) -> None:
    if not _role_in(user, DASHBOARD_ROLES):
        raise PermissionDenied


def check_drilldown_access(user: User) -> None:
    if not _role_in(user, DRILLDOWN_ROLES):
        raise PermissionDenied


def check_map_upload(user: User) -> None:
    if not _role_in(user, MAP_ROLES):
        raise PermissionDenied


def can_see_names(user: User) -> bool:
    """Links to named lists only for roles that keep the by-name registries; the bupati sees counts."""
    return can_write_registry(user)


def dashboard_kabupaten(*, user: User) -> Region:
    kabupaten = kabupaten_for_user(user=user)
    if kabupaten is None:
        raise Http404
    return kabupaten


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


# --- rankings and the map ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    name: str
    code: str
    figure: Figure | None
    css: str
    url_code: str = ""  # the region page to drill into ("" for a posyandu)
    posyandu_id: int | None = None
    region_id: int | None = None

    @property
    def pct(self) -> float | None:
        return self.figure.stunting.pct if self.figure else None

    @property
    def measured(self) -> int:
        return self.figure.row.measured if self.figure else 0


# The first screen shows the highest and the lowest few; the whole list is one link away.
RANKING_SHOWN = 10


@dataclass(frozen=True)
class Ranking:
    """Units ranked by prevalence, and apart those with too few children measured to be ranked.

    A desa at 66.67% from 3 children is noise, not the district's worst desa: below the district's
    DashboardRule.min_measured_to_rank a unit is listed under "data belum cukup", by code.
    """

    level: str
    ranked: list[RankRow]
    insufficient: list[RankRow]
    min_measured: int
    shown: int = RANKING_SHOWN

    @property
    def is_cut(self) -> bool:
        return len(self.ranked) > 2 * self.shown

    @property
    def top(self) -> list[RankRow]:
        return self.ranked[: self.shown] if self.is_cut else self.ranked

    @property
    def bottom_start(self) -> int:
        """Rows ranked above the first of `bottom` (its rank minus one)."""
        return max(self.shown, len(self.ranked) - self.shown)

    @property
    def bottom(self) -> list[RankRow]:
        return self.ranked[self.bottom_start :] if self.is_cut else []


def ranking_split(rows: list[RankRow], *, level: str, min_measured: int) -> Ranking:
    """Split an ordered ranking: units with at least `min_measured` children measured keep their order."""
    return Ranking(
        level=level,
        ranked=[row for row in rows if row.pct is not None and row.measured >= min_measured],
        insufficient=sorted(
            (row for row in rows if row.pct is None or row.measured < min_measured), key=lambda r: r.code
        ),
        min_measured=min_measured,
    )


def _ranked(rows: list[RankRow]) -> list[RankRow]:
    """Highest prevalence first; units without a figure last, by code."""
    return sorted(rows, key=lambda r: (r.pct is None, -(r.pct or 0.0), r.code))


def unit_ranking(*, user: User, within: Region, level: str, month: datetime.date | None) -> list[RankRow]:
    """Every visible unit of `level` inside `within` with its figure of `month` (or none), ranked.

    Two queries whatever the number of units: the units, then their summary rows of the month.
    """
    figures: dict[tuple[int, int | None], Figure] = {}
    if month is not None:
        rows = summary_list(user=user, level=level, within=within, period_from=month, period_to=month)
        figures = {(row.region_id, row.posyandu_id): figure_of(row) for row in rows}
    units: list[RankRow] = []
    if level == Row.Level.POSYANDU:
        posyandu_qs = restrict(Posyandu.objects.filter(desa=within), user).order_by("code")
        for posyandu in posyandu_qs:
            figure = figures.get((within.pk, posyandu.pk))
            units.append(
                RankRow(
                    name=posyandu.name,
                    code=posyandu.code,
                    figure=figure,
                    css=prevalence_class(figure.stunting.pct if figure else None),
                    posyandu_id=posyandu.pk,
                    region_id=within.pk,
                )
            )
        return _ranked(units)
    levels = [lv.value for lv in DESA_LEVELS] if level == Row.Level.DESA else [level]
    # Retired regions are ranked no more; their measurements still count in the totals above them.
    regions = (
        region_list_for_user(user=user).active().filter(code__startswith=f"{within.code}.", level__in=levels)
    )
    for region in regions.order_by("code"):
        figure = figures.get((region.pk, None))
        units.append(
            RankRow(
                name=region.name,
                code=region.code,
                figure=figure,
                css=prevalence_class(figure.stunting.pct if figure else None),
                url_code=region.code,
                region_id=region.pk,
            )
        )
    return _ranked(units)


@dataclass(frozen=True)
class GridGroup:
    """One kecamatan of the schematic map: its desa tiles, by code."""

    name: str
    code: str
    tiles: list[RankRow]


def grid_groups(*, desa_rows: list[RankRow], kecamatan_rows: list[RankRow]) -> list[GridGroup]:
    by_kecamatan: dict[str, list[RankRow]] = {}
    for row in desa_rows:
        by_kecamatan.setdefault(row.code.rsplit(".", 1)[0], []).append(row)
    names = {row.code: row.name for row in kecamatan_rows}
    return [
        GridGroup(name=names.get(code, code), code=code, tiles=sorted(tiles, key=lambda r: r.code))
        for code, tiles in sorted(by_kecamatan.items())
    ]


def map_data(*, region_map: RegionMap | None, desa_rows: list[RankRow]) -> dict[str, Any] | None:
    """The uploaded polygons with each desa's colour class and title, or None without a map."""
    if region_map is None:
        return None
    by_code = {row.code: row for row in desa_rows}
    units = {}
    for code, row in by_code.items():
        pct = row.pct
        value = _("tanpa data") if pct is None else f"{pct:.2f}%"
        units[code] = {
            "css": row.css,
            "title": f"{row.name}: {value}",
            "href": reverse("reports:region-dashboard", args=[row.url_code]),
        }
    return {"features": region_map.geojson.get("features", []), "units": units}


# --- convergence actions, budget, convergence rate ---------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    number: int
    label: str
    state: str
    state_label: str


ACTION_STATES = {
    "belum_dibuat": gettext_lazy("Belum dibuat"),
    "terlambat": gettext_lazy("Terlambat"),
    **dict(ConvergenceAction.Status.choices),
}


def action_rows(*, user: User, kabupaten: Region, year: int, today: datetime.date) -> list[ActionRow]:
    """The eight actions of `year` with their state (one query)."""
    actions = {a.number: a for a in action_list_for_user(user=user, year=year).filter(kabupaten=kabupaten)}
    rows = []
    for definition in ACTIONS:
        action = actions.get(definition.number)
        if action is None:
            state = "belum_dibuat"
        elif action_is_late(action, today=today):
            state = "terlambat"
        else:
            state = action.status
        rows.append(
            ActionRow(definition.number, _(definition.label_kemendagri), state, str(ACTION_STATES[state]))
        )
    return rows


@dataclass(frozen=True)
class Money:
    allocated: Decimal
    disbursed: Decimal
    absorption_percent: Decimal | None


# The absorption and the convergence rate are read live from the ledgers, which costs far more than
# the prevalence summaries; under a room of dashboard readers they are served from the cache for a
# few minutes (the page says so). Both pages that show them are district-wide, so the key is the
# kabupaten and the period (superusers see every district's money: their own key).
LIVE_FIGURES_CACHE_S = 600


def _cache_key(user: User, *parts: object) -> str:
    reach = "all" if user.is_superuser else "district"
    # Read from a replica: a key of its own that lapses with the replica's possible lag.
    replica = replica_cache_scope()
    return ":".join(["dashboard", reach, *map(str, parts), *([replica] if replica else [])])


def budget_absorption(*, user: User, year: int) -> Money:
    scope = scope_for_user(user)

    def compute() -> Money:
        total = pmt_absorption(user=user, year=year).total
        return Money(total.allocated, total.disbursed, total.absorption_percent)

    if not (scope.is_superuser or scope.is_district_wide):
        return compute()
    # The cache holds what compute() returned.
    return cast(
        Money,
        cache.get_or_set(
            _cache_key(user, "absorption", scope.kabupaten_prefix, year), compute, LIVE_FIGURES_CACHE_S
        ),
    )


@dataclass(frozen=True)
class ConvergenceRate:
    due: int
    received: int
    rate: float | None


def convergence_rate(
    *, user: User, kabupaten: Region, period: Period, today: datetime.date
) -> ConvergenceRate:
    scope = scope_for_user(user)

    def compute() -> ConvergenceRate:
        total = ledger_for_user(user=user, region_code=kabupaten.code, period=period, today=today).total
        return ConvergenceRate(total.due_total, total.received_total, total.rate())

    if not (scope.is_superuser or scope.is_district_wide):
        return compute()
    key = _cache_key(user, "convergence", kabupaten.code, period.start, period.end, today)
    return cast(ConvergenceRate, cache.get_or_set(key, compute, LIVE_FIGURES_CACHE_S))


# --- the targets beside the headline ----------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineTargets:
    """The district's target for the figure's year and the national target (RPJMN), as numbers."""

    district_year: int | None
    district_pct: float | None
    national_year: int | None
    national_pct: float | None
    regulation: str


def headline_targets(*, table: YearTable, national: dict[int, float], year: int) -> HeadlineTargets:
    """The district path's value for `year` (else the regulation's own target and year), and the
    national path's value for `year` (else its next year, e.g. 2029, else its last)."""
    row = next((r.target for r in table.rows if r.target.year == year), None)
    district_year: int | None = year
    district_pct = row.target_pct if row else None
    rule = table.rule
    if district_pct is None:
        district_year = None
        if rule is not None and rule.target_year is not None and rule.target_pct is not None:
            district_year, district_pct = rule.target_year, float(rule.target_pct)
    later = [y for y in national if y >= year]
    national_year = min(later) if later else (max(national) if national else None)
    return HeadlineTargets(
        district_year=district_year,
        district_pct=district_pct,
        national_year=national_year,
        national_pct=national.get(national_year) if national_year is not None else None,
        regulation=rule.regulation if rule else "",
    )


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
    region_map = restrict(RegionMap.objects.filter(kabupaten=kabupaten), user).first()
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


# --- the uploaded map --------------------------------------------------------------------------------

CODE_PROPERTIES = ("kode", "KDEPUM", "kode_desa", "code", "KODE", "kd_desa")
POLYGONS = ("Polygon", "MultiPolygon")
# Coordinates are kept to 5 decimals (about 1 m): finer than any desa boundary drawn at this scale,
# and it keeps the page's map data small.
COORDINATE_DECIMALS = 5


def code_digits(value: object) -> str:
    """A Kemendagri code in any common spelling ('35.10.01.2001', '3510012001', 3510012001) as digits."""
    return re.sub(r"\D", "", str(value)) if value is not None else ""


@dataclass
class MapCheck:
    """What an uploaded GeoJSON holds for the kabupaten: matched features, and what did not match."""

    code_property: str = ""
    features: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unmatched_features: list[str] = field(default_factory=list)  # "fitur ke-3 (kode 3510099999)"
    missing_desa: list[str] = field(default_factory=list)  # "35.10.02.2001 SAMBIMULYO"

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _round_coordinates(value: Any) -> Any:
    if isinstance(value, list):
        return [_round_coordinates(item) for item in value]
    return round(float(value), COORDINATE_DECIMALS)


def _positions_ok(value: Any, depth: int) -> bool:
    """Polygon coordinates nest 3 deep (rings of [lon, lat]), MultiPolygon 4."""
    if not isinstance(value, list) or not value:
        return False
    if depth == 1:
        return (
            len(value) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
            and -180 <= value[0] <= 180
            and -90 <= value[1] <= 90
        )
    return all(_positions_ok(item, depth - 1) for item in value)


def geojson_check(*, raw: bytes, code_property: str, desa: dict[str, tuple[str, str]]) -> MapCheck:
    """Check an uploaded file against the kabupaten's desa (`desa`: code digits -> (code, name)).

    Errors stop the upload: not a GeoJSON FeatureCollection, a geometry other than a polygon, no code
    property, a code twice, or no feature matching a desa. Features outside the kabupaten and desa
    without a feature are reported but do not stop it (a map may lag a new desa).
    """
    check = MapCheck()
    try:
        # GIS tools write UTF-8, some with a BOM; a few Windows tools UTF-16 (convergence.uploads).
        data = json.loads(raw.decode(text_encoding(raw[: 1 << 16]), "replace"))
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        check.errors.append(_("Berkas bukan JSON yang sah."))
        return check
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        check.errors.append(_('Berkas harus berupa GeoJSON dengan type "FeatureCollection".'))
        return check
    features = data.get("features")
    if not isinstance(features, list) or not features:
        check.errors.append(_("FeatureCollection tidak berisi fitur."))
        return check
    properties = [f.get("properties") or {} if isinstance(f, dict) else {} for f in features]
    if not code_property:
        code_property = next(
            (name for name in CODE_PROPERTIES if any(name in props for props in properties)), ""
        )
        if not code_property:
            check.errors.append(
                _("Tidak ada properti kode wilayah (dicoba: %(names)s). Isikan nama propertinya.")
                % {"names": ", ".join(CODE_PROPERTIES)}
            )
            return check
    check.code_property = code_property
    seen: dict[str, int] = {}
    for number, (feature, props) in enumerate(zip(features, properties, strict=True), start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in POLYGONS:
            check.errors.append(
                _("Fitur ke-%(n)s: geometri %(kind)s; harus Polygon atau MultiPolygon.")
                % {"n": number, "kind": kind or _("kosong")}
            )
            continue
        depth = 3 if kind == "Polygon" else 4
        if not _positions_ok(geometry.get("coordinates"), depth):  # type: ignore[union-attr]
            check.errors.append(
                _("Fitur ke-%(n)s: koordinat tidak sah (harus bujur, lintang dalam derajat).") % {"n": number}
            )
            continue
        if code_property not in props:
            check.errors.append(
                _('Fitur ke-%(n)s: tidak punya properti "%(property)s".')
                % {"n": number, "property": code_property}
            )
            continue
        digits = code_digits(props[code_property])
        if digits not in desa:
            check.unmatched_features.append(
                _("fitur ke-%(n)s (kode %(code)s)") % {"n": number, "code": props[code_property]}
            )
            continue
        if digits in seen:
            check.errors.append(
                _("Kode %(code)s muncul di fitur ke-%(first)s dan ke-%(n)s.")
                % {"code": desa[digits][0], "first": seen[digits], "n": number}
            )
            continue
        seen[digits] = number
        code, name = desa[digits]
        check.features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": {"type": kind, "coordinates": _round_coordinates(geometry["coordinates"])},  # type: ignore[index]
            }
        )
    check.missing_desa = [
        f"{code} {name}" for digits, (code, name) in sorted(desa.items()) if digits not in seen
    ]
    if not check.errors and not check.features:
        check.errors.append(
            _('Tidak satu pun fitur cocok dengan desa/kelurahan kabupaten ini (properti "%(property)s").')
            % {"property": code_property}
        )
    return check


def map_desa(*, kabupaten: Region) -> dict[str, tuple[str, str]]:
    """The kabupaten's desa/kelurahan by code digits (one query)."""
    desa: QuerySet[Region] = Region.objects.filter(
        code__startswith=f"{kabupaten.code}.", level__in=[lv.value for lv in DESA_LEVELS]
    )
    return {code_digits(code): (code, name) for code, name in desa.values_list("code", "name")}


def region_map_save(*, user: User, kabupaten: Region, check: MapCheck) -> RegionMap:
    """Store a checked map as the kabupaten's (replacing the previous one)."""
    check_map_upload(user)
    if not check.is_valid:
        raise ValueError("the map did not pass geojson_check")
    with transaction.atomic():
        region_map, _created = RegionMap.objects.update_or_create(
            kabupaten=kabupaten,
            defaults={
                "geojson": {"type": "FeatureCollection", "features": check.features},
                "code_property": check.code_property,
                "feature_count": len(check.features),
                "uploaded_by": user,
            },
        )
    return region_map


def region_map_for(*, user: User, kabupaten: Region) -> RegionMap | None:
    return restrict(RegionMap.objects.filter(kabupaten=kabupaten), user).first()
