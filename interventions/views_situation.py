"""The Aksi 1 situation analysis page and its Master Ansit download.

Counts only (no names): no read log. Who sees which desa rows is decided by
interventions.situation.situation_analysis_for_user; a user without a role gets a 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.paging import paginate
from interventions import ansit, compute, situation

MIN_YEAR, MAX_YEAR = 2000, 2100


def _analysis(request: AuthenticatedHttpRequest, year: int) -> situation.SituationAnalysis:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    return situation.situation_analysis_for_user(
        user=request.user,
        year=year,
        today=timezone.localdate(),
        kabupaten_code=request.GET.get("kabupaten", ""),
    )


@login_required
@require_http_methods(["GET"])
def situation_current(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("interventions:situation-analysis", year=timezone.localdate().year)


@replica_safe
@login_required
@require_http_methods(["GET"])
def situation_analysis(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    analysis = _analysis(request, year)
    labels = ansit.criterion_labels()
    context = {
        "analysis": analysis,
        "ranking": paginate(request, analysis.rows),
        "year": year,
        "weights": [(labels[name], analysis.weights.values[name]) for name in compute.LOKUS_CRITERIA],
        "method": ansit.method_lines(analysis),
        "indicator_totals": [
            (indicator, analysis.coverage_total(indicator.pk))
            for indicator in analysis.indicators
            if indicator.pk in analysis.indicators_with_data
        ],
        "indicators_without_data": [
            indicator
            for indicator in analysis.indicators
            if indicator.pk not in analysis.indicators_with_data
        ],
    }
    return render(request, "interventions/situation/analysis.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def situation_analysis_xlsx(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    analysis = _analysis(request, year)
    response = HttpResponse(
        ansit.workbook_bytes(analysis),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"master-ansit-{analysis.kabupaten.code}-{year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("analisis-situasi/", situation_current, name="situation-current"),
    path("analisis-situasi/<int:year>/", situation_analysis, name="situation-analysis"),
    path(
        "analisis-situasi/<int:year>/master-ansit.xlsx",
        situation_analysis_xlsx,
        name="situation-analysis-xlsx",
    ),
]
