"""The child page: identity, WHO growth charts, measurement history and interventions received."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from children import growth_charts
from children.access import can_write_registry, nik_for_display
from children.audit import record_access
from children.growth.weight_gain import completed_months
from children.models import Child, RecordAccess
from children.panels import child_panels
from children.selectors_posyandu import child_chart_data, child_get_for_user, child_measurement_list
from convergence.http import AuthenticatedHttpRequest


def _log_read(request: AuthenticatedHttpRequest, child: Child) -> None:
    record_access(
        user=request.user,
        kind=RecordAccess.Kind.CHILD,
        object_ids=[child.pk],
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )
    if child.mother_id is not None:
        # The page shows the mother's registry record (her name): a read of her record too.
        record_access(
            user=request.user,
            kind=RecordAccess.Kind.PERSON,
            object_ids=[child.mother_id],
            channel=RecordAccess.Channel.PAGE,
            path=request.path,
        )


@login_required
@require_GET
def child_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One child's page; every opening is logged (UU 27/2022)."""
    child = child_get_for_user(user=request.user, pk=pk)
    _log_read(request, child)
    today = timezone.localdate()
    measurements = child_measurement_list(child=child)
    context = {
        "child": child,
        "nik": nik_for_display(request.user, child.nik_encrypted),
        "age_months": int(completed_months(child.birth_date, today)),
        "mother_name": child.mother.name if child.mother else child.mother_name,
        "measurements": measurements,
        "interventions": [
            s.measurement for s in measurements if s.measurement.vitamin_a or s.measurement.pmt_received
        ],
        "length_index": growth_charts.length_index_for_age((today - child.birth_date).days),
        "can_write": can_write_registry(request.user),
        "today": today,
        "panels": child_panels(user=request.user, child=child),
    }
    return render(request, "children/child_detail.html", context)


@login_required
@require_GET
def child_chart_json(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The chart data of the child page (SD lines and the child's points), read by growth_chart.js."""
    child = child_get_for_user(user=request.user, pk=pk)
    record_access(
        user=request.user,
        kind=RecordAccess.Kind.CHILD,
        object_ids=[child.pk],
        channel=RecordAccess.Channel.API,
        path=request.path,
    )
    return JsonResponse(child_chart_data(child=child, today=timezone.localdate()))


urlpatterns = [
    path("anak/<int:pk>/", child_detail, name="child-detail"),
    path("anak/<int:pk>/grafik.json", child_chart_json, name="child-chart-data"),
]
