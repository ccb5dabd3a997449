"""The province dashboard, the national overview and the province map's outlines (aggregates only), and
the page on which the provincial Bappeda enters its province's target path."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Region
from convergence.province import province_get_for_user
from reports import province, province_targets
from reports.dashboard_rankings import legend
from reports.forms import TargetForm
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


def _targets_page(
    request: AuthenticatedHttpRequest, provinsi: Region, *, form: TargetForm | None = None
) -> HttpResponse:
    path = province_targets.target_path(user=request.user, provinsi=provinsi)
    if form is None:
        # "Ubah" on a row opens the form with that year's figure (?tahun=2026).
        chosen = next((row for row in path if str(row.year) == request.GET.get("tahun")), None)
        initial: dict[str, Any] = {"year": chosen.year} if chosen else {}
        if chosen and chosen.provincial:
            initial |= {"stunting_pct": chosen.provincial.stunting_pct, "source": chosen.provincial.source}
        form = TargetForm(initial=initial)
        status = 200
    else:
        status = 400
    context = {
        "provinsi": provinsi,
        "path": path,
        "can_edit": province_targets.can_edit_targets(request.user, provinsi),
        "form": form,
    }
    return render(request, "reports/province_targets.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def province_target_path(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The province's target path beside the national one; its provincial Bappeda enters a year (PRG).
    Roles without provinces get a 403, a province outside the user's area a 404."""
    provinsi = province_get_for_user(user=request.user, code=code)
    if request.method == "GET":
        return _targets_page(request, provinsi)
    if not province_targets.can_edit_targets(request.user, provinsi):
        raise PermissionDenied
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            province_targets.provincial_target_save(user=request.user, provinsi=provinsi, **form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request, _("Target tahun %(year)d tersimpan.") % {"year": form.cleaned_data["year"]}
            )
            return redirect("reports:province-targets", code=code)
    return _targets_page(request, provinsi, form=form)


urlpatterns: list[URLPattern] = [
    path("dasbor/provinsi/<str:code>/", province_dashboard, name="province-dashboard"),
    path(
        "dasbor/provinsi/<str:code>/peta/<str:version>.geojson",
        province_map_geometry,
        name="province-map-geometry",
    ),
    path("dasbor/nasional/", national_dashboard, name="national-dashboard"),
    path("provinsi/<str:code>/target/", province_target_path, name="province-targets"),
]
