"""The province dashboard, the national overview and the province map's outlines (aggregates only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from reports import province
from reports.dashboard_rankings import legend
from reports.views_dashboard import geometry_response


def _area_page(request: AuthenticatedHttpRequest, code: str | None) -> HttpResponse:
    order = province.row_order(request.GET.get("urut"))

    def body(page: province.AreaDashboard) -> dict[str, str]:
        rows = province.sorted_rows(page.rows, order)
        context = {"page": page, "rows": rows, "order": order, "data": page.data(), "legend": legend()}
        # The body holds nothing of the reader: the same for every reader of the area.
        html = render_to_string("reports/_province_body.html", context, request=request)
        title = _("Dasbor nasional") if page.is_national else f"{_('Dasbor provinsi')}: {page.name}"
        return {"title": title, "body": html}

    head = province.area_dashboard_part(
        user=request.user,
        code=code,
        requested_month=request.GET.get("periode"),
        today=timezone.localdate(),
        part=f"html:{order}",
        build=body,
    )
    context = {"head": {"title": head["title"], "body": mark_safe(head["body"])}}  # noqa: S308 (our own render)
    return render(request, "reports/province_dashboard.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def province_dashboard(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    return _area_page(request, code)


@replica_safe
@login_required
@require_http_methods(["GET"])
def national_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _area_page(request, None)


@replica_safe
@login_required
@require_http_methods(["GET", "HEAD"])
def province_map_geometry(request: AuthenticatedHttpRequest, code: str, version: str) -> HttpResponse:
    """The kabupaten outlines of a province under their version: kept by the browser, revalidated by ETag."""
    region = province.province_for_user(user=request.user, code=code)
    geometry = province.province_geometry_for(user=request.user, province_code=region.code)
    if geometry is None:
        raise Http404
    current = reverse("reports:province-map-geometry", args=[region.code, geometry.version])
    return geometry_response(request, geometry, version=version, current_url=current)


urlpatterns: list[URLPattern] = [
    path("dasbor/provinsi/<str:code>/", province_dashboard, name="province-dashboard"),
    path(
        "dasbor/provinsi/<str:code>/peta/<str:version>.geojson",
        province_map_geometry,
        name="province-map-geometry",
    ),
    path("dasbor/nasional/", national_dashboard, name="national-dashboard"),
]
