"""The periods a dashboard offers and its trend chart: months with data, the chart's points and ticks."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from convergence.formatting import fixed, month_name
from convergence.models import Region, User

from .selectors import Figure, YearTable, figure_of, level_of_region, summary_list

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


def _text(value: float | None) -> str | None:
    """A percentage as the chart's tooltips show it, two decimals in the active language."""
    return None if value is None else fixed(value, 2)


# The axis names every third month (January with its year); a month a tick would crowd the phone.
TICK_MONTHS = (1, 4, 7, 10)


def month_ticks(periods: list[datetime.date]) -> list[dict[str, Any]]:
    """The chart's month ticks from the first to the last month: 'Jan 2025', 'Apr', 'Jul', 'Okt'
    in Indonesian, 'Jan 2025', 'Apr', 'Jul', 'Oct' in English (the server names them, not the browser)."""
    if not periods:
        return []
    first, last = min(periods), max(periods)
    ticks = []
    day = first.replace(day=1)
    while day <= last:
        if day.month in TICK_MONTHS:
            label = date_format(day, "M Y" if day.month == 1 else "M")
            ticks.append({"x": _x(day), "label": label})
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return ticks


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
            "month": month_label(f.row.period),
            "label": month_name(f.row.period),
            "pct": _num(f.stunting.pct),
            "text": _text(f.stunting.pct),
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
        {"x": _year_x(year), "y": _num(pct), "label": str(year), "text": _text(pct)}
        for year, pct in sorted(national.items())
        if first is not None and last is not None and first <= year <= last
    ]
    return {
        "months": months,
        "district": [
            {"x": _year_x(year), "y": _num(pct), "label": str(year), "text": _text(pct)}
            for year, pct in sorted(district.items())
        ],
        "national": national_points,
        "surveys": [
            {
                "x": _year_x(s.year),
                "y": float(s.stunting_pct),
                "label": f"{s.source} {s.year}",
                "text": _text(float(s.stunting_pct)),
            }
            for s in table.surveys
        ],
        "ticks": month_ticks([f.row.period for f in series]),
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
    days = [parse_month(m["month"]) for m in trend["months"]]
    return f"{month_name(days[0])} – {month_name(days[-1])}" if days and days[0] and days[-1] else "–"


def years_period(table: YearTable) -> str:
    years = [row.target.year for row in table.rows]
    return f"{years[0]} – {years[-1]}" if years else "–"
