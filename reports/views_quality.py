"""The data-quality page for puskesmas staff and Bappeda: per posyandu and per recording user.

Counts and staff names only (no child data). Kader, KPM, OPD officers and pimpinan get a 403: the
page is for the staff who supervise the measuring.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Region
from convergence.paging import paginate

from . import quality
from .models_quality import DataQualitySummary
from .selectors_quality import (
    QualityLine,
    check_can_read_quality,
    kecamatan_choices,
    month_range,
    parse_month,
    quality_lines,
)

Row = DataQualitySummary


def _n(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else number_format(value, digits)


def explain(line: QualityLine, limits: quality.Limits = quality.LIMITS) -> list[str]:
    """What each value out of range suggests, in plain words, in the order of quality.ISSUE_CODES."""
    i = line.indicators
    low, high = _n(limits.sd_low), _n(limits.sd_high)
    texts = {
        "flagged": _(
            "%(pct)s%% nilai di luar batas wajar WHO (%(n)s nilai): periksa alat ukur, tanggal lahir dan "
            "pencatatan, lalu ukur ulang anak yang bersangkutan."
        )
        % {"pct": _n(i.flagged_pct), "n": i.flagged},
        "height_whole_cm": _(
            "%(pct)s%% panjang/tinggi badan berakhiran ,0 (wajarnya sekitar 10%%): tampaknya dibulatkan "
            "ke sentimeter penuh. Baca dan catat sampai 0,1 cm."
        )
        % {"pct": _n(i.height.share(0))},
        "height_half_cm": _(
            "%(pct)s%% panjang/tinggi badan berakhiran ,0 atau ,5 (wajarnya sekitar 20%%): tampaknya "
            "dibulatkan ke setengah sentimeter. Baca dan catat sampai 0,1 cm."
        )
        % {"pct": _n(i.height.share(0, 5))},
        "height_digits": _(
            "Angka terakhir panjang/tinggi badan tidak merata (skor preferensi angka %(dps)s): sebagian "
            "angka jauh lebih sering dicatat. Periksa cara membaca alat ukur."
        )
        % {"dps": _n(i.height.dps)},
        "weight_whole_kg": _(
            "%(pct)s%% berat badan berakhiran ,0 (wajarnya sekitar 10%%): tampaknya dibulatkan ke "
            "kilogram penuh. Baca dan catat sampai 0,1 kg."
        )
        % {"pct": _n(i.weight.share(0))},
        "weight_half_kg": _(
            "%(pct)s%% berat badan berakhiran ,0 atau ,5 (wajarnya sekitar 20%%): tampaknya dibulatkan "
            "ke setengah kilogram. Baca dan catat sampai 0,1 kg."
        )
        % {"pct": _n(i.weight.share(0, 5))},
        "weight_digits": _(
            "Angka terakhir berat badan tidak merata (skor preferensi angka %(dps)s): sebagian angka "
            "jauh lebih sering dicatat. Periksa timbangan dan cara membacanya."
        )
        % {"dps": _n(i.weight.dps)},
        "haz_sd_high": _(
            "Sebaran z-score TB/U terlalu lebar (SD %(sd)s, wajarnya %(low)s-%(high)s): kemungkinan "
            "salah ukur panjang/tinggi, salah cara ukur atau tanggal lahir yang salah."
        )
        % {"sd": _n(i.haz_sd, 2), "low": low, "high": high},
        "haz_sd_low": _(
            "Sebaran z-score TB/U terlalu sempit (SD %(sd)s, wajarnya %(low)s-%(high)s): nilai mungkin "
            "disalin atau diperkirakan, bukan hasil ukur."
        )
        % {"sd": _n(i.haz_sd, 2), "low": low, "high": high},
        "whz_sd_high": _(
            "Sebaran z-score BB/TB terlalu lebar (SD %(sd)s, wajarnya %(low)s-%(high)s): kemungkinan "
            "salah timbang atau salah ukur panjang/tinggi."
        )
        % {"sd": _n(i.whz_sd, 2), "low": low, "high": high},
        "whz_sd_low": _(
            "Sebaran z-score BB/TB terlalu sempit (SD %(sd)s, wajarnya %(low)s-%(high)s): nilai mungkin "
            "disalin atau diperkirakan, bukan hasil ukur."
        )
        % {"sd": _n(i.whz_sd, 2), "low": low, "high": high},
        "shrink": _(
            "%(n)s pengukuran mencatat anak lebih pendek lebih dari 1,5 cm dibanding pengukuran "
            "sebelumnya: salah ukur, salah cara ukur (berdiri/telentang) atau tertukar anak. Ukur ulang."
        )
        % {"n": i.shrink_count},
        "missing": _(
            "%(missing)s dari %(registered)s balita terdaftar tidak diukur (%(pct)s%% diukur; target "
            "minimal %(target)s%%)."
        )
        % {
            "missing": i.missing,
            "registered": i.registered,
            "pct": _n(i.measured_pct),
            "target": _n(limits.measured_min_pct, 0),
        },
    }
    return [texts[code] for code in i.issues]


def _marks(line: QualityLine) -> dict[str, bool]:
    """Which columns hold a value out of range (issue codes start with the column's name)."""
    columns = ("flagged", "height", "weight", "haz", "whz", "shrink", "missing")
    return {c: any(code.startswith(c) for code in line.indicators.issues) for c in columns}


def _page_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    user = request.user
    month_from, month_to = month_range(
        user=user,
        month_from=parse_month(request.GET.get("dari")),
        month_to=parse_month(request.GET.get("sampai")),
        today=timezone.localdate(),
    )
    choices = kecamatan_choices(user=user)
    code = request.GET.get("kecamatan", "")
    kecamatan: Region | None = next((k for k in choices if k.code == code), None)
    tables = {}
    for kind in (Row.Kind.POSYANDU, Row.Kind.MEASURER):
        lines = quality_lines(
            user=user,
            kind=kind,
            month_from=month_from,
            month_to=month_to,
            kecamatan=kecamatan,
        )
        # Paged before the plain-words explanations are written: only the rows shown need them.
        paged = paginate(request, lines, prefix="" if kind == Row.Kind.POSYANDU else "pencatat_")
        paged.page.object_list = [(line, _marks(line), explain(line)) for line in paged.page.object_list]
        tables[str(kind)] = paged
    return {
        "month_from": month_from,
        "month_to": month_to,
        "kecamatan_choices": choices,
        "kecamatan": kecamatan,
        "posyandu_lines": list(tables[Row.Kind.POSYANDU].rows),
        "posyandu_pager": tables[Row.Kind.POSYANDU],
        "measurer_lines": list(tables[Row.Kind.MEASURER].rows),
        "measurer_pager": tables[Row.Kind.MEASURER],
        "limits": quality.LIMITS,
    }


@replica_safe
@login_required
@require_GET
def data_quality(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Indicators per posyandu and recording user over a range of months, out-of-range values
    marked and explained."""
    check_can_read_quality(request.user)
    return render(request, "reports/quality.html", _page_context(request))


urlpatterns: list[URLPattern] = [
    path("kualitas-data/", data_quality, name="data-quality"),
]
