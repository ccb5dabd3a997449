"""The province's (or the nation's) prevalence path month by month against the provincial and national
target paths, as the trend chart of the kabupaten dashboards draws it (static/reports/dashboard.js)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from convergence.formatting import month_name

from . import compute
from .dashboard_trend import _num, _text, _x, _year_x, month_label, month_ticks


def _path_points(path: dict[int, float], first: int, last: int) -> list[dict[str, Any]]:
    return [
        {"x": _year_x(year), "y": _num(pct), "label": str(year), "text": _text(pct)}
        for year, pct in sorted(path.items())
        if first <= year <= last
    ]


def area_trend(
    *,
    months: list[tuple[datetime.date, compute.Proportion, int, bool]],
    provincial: dict[int, float],
    national: dict[int, float],
) -> dict[str, Any]:
    """The chart's points: per month (day, stunting share, children measured, complete) the summed
    prevalence with its 95% band; the provincial and national paths (yearly) over the same years and
    up to the provincial path's last year. The provincial path takes the chart's 'district' line."""
    points = [
        {
            "x": _x(day),
            "month": month_label(day),
            "label": month_name(day),
            "pct": _num(share.pct),
            "text": _text(share.pct),
            "low": _num(share.low),
            "high": _num(share.high),
            "measured": measured,
            "complete": complete,
        }
        for day, share, measured, complete in months
    ]
    years = [day.year for day, *_rest in months] + list(provincial)
    first, last = (min(years), max(years)) if years else (0, -1)
    return {
        "months": points,
        "district": _path_points(provincial, first, last),
        "national": _path_points(national, first, last),
        "surveys": [],
        "ticks": month_ticks([day for day, *_rest in months]),
        "labels": {
            "routine": _("Prevalensi stunting (data rutin, jumlah kabupaten/kota)"),
            "incomplete": _("Bulan belum lengkap (cakupan di bawah ambang)"),
            "band": _("Selang kepercayaan 95%"),
            "district": _("Target provinsi"),
            "national": _("Target nasional (RPJMN)"),
            "surveys": _("Survei (SSGI/SKI)"),
            "axis": _("Stunting (%)"),
        },
    }
