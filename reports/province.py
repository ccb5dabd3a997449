"""The province dashboard and the national overview, assembled from summary tables only.

Per kabupaten of a province (or per province of the nation): stunting, wasting and underweight with
95% intervals and the children measured, coverage, the verdict against the provincial and the
national path, the provincial assessment grades of the latest assessed year and PMT absorption; and
the total, a sum of counts (never a mean of percentages). The province and national roles see
aggregates only: kabupaten summary rows, sums of money and grade counts; never a desa cell, a named
record or a budget line.

A fixed number of queries whatever the number of kabupaten; the assembly is cached per province,
period and language against the summaries' versions of all its kabupaten, like the kabupaten pages,
and against its grades and target path (reports.locks.area_versions).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeVar, cast

import numpy as np
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import get_language

from convergence import province as province_selectors
from convergence.codes import KABUPATEN_LEVELS
from convergence.db_router import replica_cache_scope
from convergence.models import AssessmentGrade, Region, User
from convergence.scoping import restrict, scope_for_user
from interventions.selectors_absorption import KabupatenAbsorption, pmt_absorption_by_kabupaten

from . import compute
from .dashboard_figures import LIVE_FIGURES_CACHE_S
from .dashboard_map import MapGeometry
from .dashboard_trend import month_label, parse_month
from .locks import area_versions
from .models import DashboardRule, PrevalenceSummary, ProvincialTarget
from .province_figures import (
    COUNT_FIELDS,
    COUNT_INDEX,
    NATIONAL,
    PROVINCE,
    AreaDashboard,
    AreaFigure,
    AreaRow,
    Grades,
    Money,
    Verdict,
    area_figure,
)
from .province_map import MapUnit, ProvinceMap, map_uploads, province_geometry, province_map
from .province_trend import area_trend
from .selectors import PeriodChoice, national_path, period_choice

Row = PrevalenceSummary
ZERO = Decimal(0)


# --- access -----------------------------------------------------------------------------------------


def check_province_access(user: User) -> None:
    """The province and national roles and superusers; every kabupaten role is refused (403)."""
    province_selectors.province_list_for_user(user=user)


def check_national_access(user: User) -> None:
    """The national overview: the national role and superusers (a province reads its own page)."""
    scope = scope_for_user(user)
    if not (scope.is_superuser or scope.is_national):
        raise PermissionDenied


# One access rule for every province page (convergence.province): 403 for kabupaten roles, 404 outside.
province_for_user = province_selectors.province_get_for_user


def province_list_for_user(*, user: User) -> list[Region]:
    """The provinces the user may read: its own, or every one for the national role and superusers."""
    return list(province_selectors.province_list_for_user(user=user))


# --- reading the tables (one query each) ------------------------------------------------------------


def _kabupaten(*, user: User, within: str | None) -> list[Region]:
    """The kabupaten/kota of the caller's area (a province, or every one), inside `within` if given.

    Filtered on the aggregate scope's own area: Region.scope_q adds the provincial role's province to
    its area and, for the national role, that addition turns its empty Q (everything) into nothing."""
    qs = Region.objects.filter(scope_for_user(user).area_q(), level__in=[lv.value for lv in KABUPATEN_LEVELS])
    if within:
        qs = qs.filter(code__startswith=f"{within}.")
    return list(qs.only("code", "name", "level", "retired_at").order_by("code"))


@dataclass(frozen=True)
class MonthRows:
    """The kabupaten monthly summary rows of an area as columns."""

    unit: np.ndarray  # index into the kabupaten list
    month: np.ndarray  # year * 12 + month - 1
    counts: np.ndarray  # rows x COUNT_FIELDS


def _month_rows(*, user: User, within: str | None, index: dict[str, int]) -> MonthRows:
    qs = restrict(Row.objects.all(), user).filter(
        level=Row.Level.KABUPATEN, period_kind=Row.PeriodKind.MONTH, posyandu__isnull=True
    )
    if within:
        qs = qs.filter(region__code__startswith=f"{within}.")
    rows = [r for r in qs.values_list("region__code", "period", *COUNT_FIELDS) if r[0] in index]
    return MonthRows(
        unit=np.array([index[r[0]] for r in rows], dtype=np.int64),
        month=np.array([r[1].year * 12 + r[1].month - 1 for r in rows], dtype=np.int64),
        counts=np.array([r[2:] for r in rows], dtype=np.int64).reshape(len(rows), len(COUNT_FIELDS)),
    )


def _rules(codes: list[str]) -> dict[str, DashboardRule]:
    # Only each district's thresholds are read (no figure): which of its months count as complete.
    found = {
        r.kabupaten.code: r
        for r in DashboardRule.objects.filter(kabupaten__code__in=codes).select_related("kabupaten")
    }
    return {code: found.get(code) or DashboardRule() for code in codes}


def _grades(*, user: User, within: str | None) -> dict[str, Grades]:
    """Per kabupaten code: the grade counts of its latest assessed year."""
    qs = restrict(AssessmentGrade.objects.all(), user)
    if within:
        qs = qs.filter(kabupaten__code__startswith=f"{within}.")
    by_code: dict[str, dict[int, list[str]]] = {}
    for code, year, grade in qs.values_list("kabupaten__code", "year", "grade"):
        by_code.setdefault(code, {}).setdefault(year, []).append(grade)
    result = {}
    for code, years in by_code.items():
        latest = max(years)
        marks = years[latest]
        result[code] = Grades(latest, *(marks.count(letter) for letter in "ABCD"))
    return result


def _provincial_paths(*, user: User, within: str | None) -> tuple[dict[str, dict[int, float]], list[str]]:
    qs = restrict(ProvincialTarget.objects.all(), user)
    if within:
        qs = qs.filter(provinsi__code=within)
    paths: dict[str, dict[int, float]] = {}
    sources: set[str] = set()
    for code, year, pct, source in qs.values_list("provinsi__code", "year", "stunting_pct", "source"):
        paths.setdefault(code, {})[year] = float(pct)
        if source:
            sources.add(source)
    return paths, sorted(sources)


# --- the assembly -----------------------------------------------------------------------------------


def _month_of(number: int) -> datetime.date:
    return datetime.date(number // 12, number % 12 + 1, 1)


def _series(rows: MonthRows, group: np.ndarray, n_groups: int) -> dict[int, np.ndarray]:
    """Per month number: the counts summed per group (n_groups x COUNT_FIELDS)."""
    result = {}
    for number in np.unique(rows.month).tolist():
        chosen = rows.month == number
        result[number] = compute.sum_by_group(rows.counts[chosen], group[chosen], n_groups)
    return result


def _complete(series: dict[int, np.ndarray], unit: int, number: int, rule: DashboardRule) -> bool | None:
    """Whether month `number` is complete for one unit under its rule (None: nobody measured)."""
    numbers = sorted(series)
    measured = np.array([series[n][unit, COUNT_INDEX["measured"]] for n in numbers], dtype=np.int64)
    registered = np.array([series[n][unit, COUNT_INDEX["registered"]] for n in numbers], dtype=np.int64)
    if number not in series or measured[numbers.index(number)] == 0:
        return None
    choice = period_choice(
        months=[_month_of(n) for n in numbers],
        measured=measured,
        registered=registered,
        requested=_month_of(number),
        rule=rule,
    )
    return choice.complete


def _money(found: list[KabupatenAbsorption], year: int) -> Money:
    allocated = sum((m.allocated for m in found), ZERO)
    disbursed = sum((m.disbursed for m in found), ZERO)
    return Money(year, allocated, disbursed, KabupatenAbsorption(allocated, disbursed).absorption_percent)


def _grades_sum(found: list[Grades]) -> Grades:
    years = {g.year for g in found if g.year is not None}
    # One year when every unit's latest is the same; otherwise the latest of each (year None).
    year = years.pop() if len(years) == 1 else None
    return Grades(year, *(sum(getattr(g, letter) for g in found) for letter in "abcd"))


def _ranked(rows: list[AreaRow]) -> list[AreaRow]:
    """Rank 1 is the highest prevalence; units without a figure are not ranked."""
    with_data = sorted(
        (r for r in rows if r.figure.stunting.pct is not None),
        key=lambda r: (-(r.figure.stunting.pct or 0.0), r.code),
    )
    ranks = {r.code: n for n, r in enumerate(with_data, start=1)}
    return [replace(r, rank=ranks.get(r.code)) for r in rows]


@dataclass(frozen=True)
class _Units:
    """The units a dashboard lists (kabupaten, or provinces) and each kabupaten's unit."""

    codes: list[str]
    names: list[str]
    of_kabupaten: np.ndarray  # kabupaten index -> unit index
    kabupaten_codes: list[str]


def _verdicts(
    figure: AreaFigure, year: int, provincial: dict[int, float], national: dict[int, float]
) -> tuple[Verdict, Verdict]:
    p = compute.path_value(provincial, year)
    n = compute.path_value(national, year)
    return Verdict(p, compute.path_verdict(figure.stunting, p)), Verdict(
        n, compute.path_verdict(figure.stunting, n)
    )


def _units(*, kind: str, user: User, kabupaten: list[Region]) -> _Units:
    codes = [k.code for k in kabupaten]
    if kind == PROVINCE:
        return _Units(
            codes, [k.display_name for k in kabupaten], np.arange(len(codes), dtype=np.int64), codes
        )
    provinces = province_list_for_user(user=user)
    position = {p.code: n for n, p in enumerate(provinces)}
    # A kabupaten whose province is not in the list (none should be) counts in no row.
    return _Units(
        [p.code for p in provinces],
        [p.display_name for p in provinces],
        np.array([position.get(code.split(".")[0], -1) for code in codes], dtype=np.int64),
        codes,
    )


@dataclass(frozen=True)
class _Counts:
    """The area's kabupaten rows summed per unit and month."""

    series: dict[int, np.ndarray]  # month number -> units x COUNT_FIELDS
    numbers: list[int]  # the months in which children were measured, ascending
    totals: dict[int, np.ndarray]  # month number -> COUNT_FIELDS of the whole area


def _counts(*, user: User, within: str | None, units: _Units) -> _Counts:
    rows = _month_rows(user=user, within=within, index={c: n for n, c in enumerate(units.kabupaten_codes)})
    group = units.of_kabupaten[rows.unit] if len(rows.unit) else np.zeros(0, dtype=np.int64)
    keep = group >= 0
    rows = MonthRows(rows.unit[keep], rows.month[keep], rows.counts[keep])
    series = _series(rows, group[keep], len(units.codes))
    numbers = [m for m in sorted(series) if series[m][:, COUNT_INDEX["measured"]].sum() > 0]
    return _Counts(series, numbers, {m: series[m].sum(axis=0) for m in numbers})


def _period(counts: _Counts, requested: datetime.date | None) -> PeriodChoice:
    """The area's month: `requested` when it has data, else the latest month complete for the area's
    sum under the default rule (no province sets one), else the latest with data."""
    numbers = counts.numbers
    return period_choice(
        months=[_month_of(m) for m in numbers],
        measured=np.array([counts.totals[m][COUNT_INDEX["measured"]] for m in numbers], dtype=np.int64),
        registered=np.array([counts.totals[m][COUNT_INDEX["registered"]] for m in numbers], dtype=np.int64),
        requested=requested,
        rule=DashboardRule(),
    )


@dataclass(frozen=True)
class _Inputs:
    """What the rows are judged and completed with, read once for the whole area."""

    chosen: int | None  # the period's month number
    year: int
    paths: dict[str, dict[int, float]]  # provincial paths by province code
    national: dict[int, float]
    rules: dict[str, DashboardRule]
    grades: dict[str, Grades]
    money: dict[str, KabupatenAbsorption]
    uploads: dict[str, datetime.datetime]


def _unit_rows(*, kind: str, units: _Units, counts: _Counts, given: _Inputs) -> list[AreaRow]:
    empty = np.zeros(len(COUNT_FIELDS), dtype=np.int64)
    chosen = given.chosen
    rows = []
    for u, (unit_code, unit_name) in enumerate(zip(units.codes, units.names, strict=True)):
        figure = area_figure(counts.series[chosen][u] if chosen in counts.series else empty)
        members = [c for k, c in enumerate(units.kabupaten_codes) if units.of_kabupaten[k] == u]
        provincial, national = _verdicts(
            figure, given.year, given.paths.get(unit_code[:2], {}), given.national
        )
        rows.append(
            AreaRow(
                code=unit_code,
                name=unit_name,
                figure=figure,
                complete=None
                if chosen is None
                else _complete(counts.series, u, chosen, given.rules[unit_code]),
                provincial=provincial,
                national=national,
                grades=_grades_sum([given.grades[c] for c in members if c in given.grades]),
                money=_money([given.money[c] for c in members if c in given.money], given.year),
                has_map=unit_code in given.uploads,
                href=(
                    f"#kab-{unit_code.replace('.', '-')}"
                    if kind == PROVINCE
                    else reverse("reports:province-dashboard", args=[unit_code])
                ),
            )
        )
    return rows


def _trend_months(
    counts: _Counts, threshold_pct: float | None
) -> list[tuple[datetime.date, compute.Proportion, int, bool]]:
    months = []
    for m in counts.numbers:
        figure = area_figure(counts.totals[m])
        complete = threshold_pct is None or (figure.coverage.pct or 0.0) >= threshold_pct - 1e-9
        months.append((_month_of(m), figure.stunting, figure.measured, complete))
    return months


def _area_dashboard(
    *, user: User, kind: str, code: str, name: str, requested: datetime.date | None, today: datetime.date
) -> AreaDashboard:
    """Assemble a province's page (`kind` provinsi, `code` its code) or the nation's (kind nasional)."""
    within = code if kind == PROVINCE else None
    units = _units(kind=kind, user=user, kabupaten=_kabupaten(user=user, within=within))
    counts = _counts(user=user, within=within, units=units)
    period = _period(counts, requested)
    month = period.month
    year = month.year if month else today.year
    paths, sources = _provincial_paths(user=user, within=within)
    given = _Inputs(
        chosen=month.year * 12 + month.month - 1 if month else None,
        year=year,
        paths=paths,
        national=national_path(),
        rules=_rules(units.codes) if kind == PROVINCE else {c: DashboardRule() for c in units.codes},
        grades=_grades(user=user, within=within),
        money=pmt_absorption_by_kabupaten(user=user, year=year, within_code=within),
        uploads=map_uploads_for(kind=kind, codes=units.kabupaten_codes),
    )
    rows = _unit_rows(kind=kind, units=units, counts=counts, given=given)
    own_path = paths.get(code, {}) if within else {}
    figure = area_figure(
        counts.totals[given.chosen]
        if given.chosen in counts.totals
        else np.zeros(len(COUNT_FIELDS), dtype=np.int64)
    )
    provincial, national = _verdicts(figure, year, own_path, given.national)
    total = AreaRow(
        code=code,
        name=name,
        figure=figure,
        complete=period.complete if month else None,
        provincial=provincial,
        national=national,
        grades=_grades_sum([r.grades for r in rows]),
        money=_money(list(given.money.values()), year),
    )
    return AreaDashboard(
        kind=kind,
        code=code,
        name=name,
        month=month,
        months=[_month_of(m) for m in reversed(counts.numbers)],
        period=period,
        year=year,
        rows=sorted_rows(_ranked(rows), ROW_ORDERS[0]),
        total=total,
        trend=area_trend(
            months=_trend_months(counts, period.threshold_pct), provincial=own_path, national=given.national
        ),
        map=_map(kind=kind, code=code, rows=rows, uploads=given.uploads),
        provincial_path=own_path,
        national_path=given.national,
        provincial_sources=sources,
    )


def map_uploads_for(*, kind: str, codes: list[str]) -> dict[str, datetime.datetime]:
    # The national page draws no map: thirty-eight provinces of desa maps are not one page's load.
    return map_uploads(kabupaten_codes=codes) if kind == PROVINCE else {}


def _map(
    *, kind: str, code: str, rows: list[AreaRow], uploads: dict[str, datetime.datetime]
) -> ProvinceMap | None:
    if kind != PROVINCE:
        return None
    units = [MapUnit(r.code, r.name, r.figure.stunting.pct, r.css, r.href) for r in rows]
    return province_map(province_code=code, units=units, uploads=uploads)


# --- the cached pages -------------------------------------------------------------------------------

# Part of the cache key: a release that changes AreaDashboard's fields must not read the previous
# release's pages from a shared cache.
LAYOUT = "v1"


def _key(*, kind: str, code: str, asked: datetime.date | None, kabupaten_codes: list[str]) -> str:
    """The summaries' versions of every kabupaten in it and its provinces' figures' versions: a recompute
    anywhere in the province, a grade or a target saved makes the next reader assemble the page again.
    Money and the national path live up to LIVE_FIGURES_CACHE_S. Read from a replica, a key of its own
    that lapses with the replica's possible lag (as the kabupaten pages do)."""
    replica = replica_cache_scope()
    return ":".join(
        [
            "province",
            LAYOUT,
            kind,
            get_language() or "",
            code,
            month_label(asked) if asked else "",
            area_versions(kabupaten_codes),
            *([replica] if replica else []),
        ]
    )


def _area_codes(*, user: User, within: str | None) -> list[str]:
    """The codes of the area's kabupaten for the cache key, kept LIVE_FIGURES_CACHE_S: the list follows
    Kemendagri's code list, not the data, and a hit then reads no table of the page at all."""
    key = f"province:kabupaten-codes:{within or NATIONAL}"
    return cast(
        list[str],
        cache.get_or_set(
            key, lambda: [k.code for k in _kabupaten(user=user, within=within)], LIVE_FIGURES_CACHE_S
        ),
    )


T = TypeVar("T")


def area_dashboard_part(
    *,
    user: User,
    code: str | None,
    requested_month: str | None,
    today: datetime.date,
    part: str,
    build: Callable[[AreaDashboard], T],
) -> T:
    """One rendering (`part`: the page's HTML body, the API's JSON) of a province's dashboard (`code`)
    or of the national one (`code` None), cached under the assembly's key: a hit reads one value."""
    if code is None:
        check_national_access(user)
        kind, code, name = NATIONAL, NATIONAL, "Indonesia"
    else:
        region = province_for_user(user=user, code=code)
        kind, name = PROVINCE, region.display_name
    asked = parse_month(requested_month)
    within = code if kind == PROVINCE else None
    key = _key(
        kind=kind,
        code=code,
        asked=asked,
        kabupaten_codes=_area_codes(user=user, within=within),
    )
    found = cache.get(f"{key}:{part}")
    if found is None:
        page = cache.get(key)
        if page is None:
            page = _area_dashboard(user=user, kind=kind, code=code, name=name, requested=asked, today=today)
            page.cache_key = key
            cache.set(key, page, LIVE_FIGURES_CACHE_S)
        found = build(cast(AreaDashboard, page))
        cache.set(f"{key}:{part}", found, LIVE_FIGURES_CACHE_S)
    return cast(T, found)


def area_dashboard(
    *, user: User, code: str | None, requested_month: str | None, today: datetime.date
) -> AreaDashboard:
    """The assembled page itself (tests, the API when a part is not wanted)."""
    return area_dashboard_part(
        user=user,
        code=code,
        requested_month=requested_month,
        today=today,
        part="page",
        build=lambda page: page,
    )


# --- the table's order and the map's outlines -------------------------------------------------------

# The orders the table offers (the `urut` parameter); ranked by prevalence unless asked otherwise.
ROW_ORDERS = ("peringkat", "nama", "cakupan", "serapan")


def row_order(value: str | None) -> str:
    return value if value in ROW_ORDERS else ROW_ORDERS[0]


def _last_when_none(value: float | Decimal | None) -> tuple[bool, float]:
    """Sort key: units without the figure last, the others highest first."""
    return (value is None, -float(value or 0))


def sorted_rows(rows: list[AreaRow], order: str) -> list[AreaRow]:
    """The table's rows in `order`; ties by code, so the same order on every worker."""
    if order == "nama":
        return sorted(rows, key=lambda r: (r.name, r.code))
    if order == "cakupan":
        return sorted(rows, key=lambda r: (*_last_when_none(r.figure.coverage.pct), r.code))
    if order == "serapan":
        return sorted(rows, key=lambda r: (*_last_when_none(r.money.absorption_percent), r.code))
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.code))


def province_geometry_for(*, user: User, province_code: str) -> MapGeometry | None:
    """The outlines of the province's kabupaten that have a map (the caller checked the province)."""
    codes = [k.code for k in _kabupaten(user=user, within=province_code)]
    return province_geometry(province_code=province_code, uploads=map_uploads(kabupaten_codes=codes))
