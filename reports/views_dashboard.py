"""The district head's dashboard, Bappeda's drill-down by region and the desa map upload."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Region
from convergence.paging import paginate
from reports import dashboard
from reports.forms import RegionMapForm


@replica_safe
@login_required
@require_http_methods(["GET"])
def head_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    dashboard.check_dashboard_access(request.user)

    def body(page: dashboard.HeadDashboard) -> dict[str, str]:
        context = {"page": page, "data": page.data(), "legend": dashboard.legend()}
        # The body has no form token and nothing of the reader: the same for every reader of the page.
        html = render_to_string("reports/_dashboard_body.html", context, request=request)
        return {"title": page.kabupaten.display_name, "body": html}

    head = dashboard.head_dashboard_part(
        user=request.user,
        requested_month=request.GET.get("periode"),
        today=timezone.localdate(),
        part="html",
        build=body,
    )
    context = {"head": {"title": head["title"], "body": mark_safe(head["body"])}}  # noqa: S308 (our own render)
    return render(request, "reports/dashboard.html", context)


# One page of the full ranking: a district has a few hundred desa at most.
RANKING_PAGE_SIZE = 50


@replica_safe
@login_required
@require_http_methods(["GET"])
def ranking(request: AuthenticatedHttpRequest) -> HttpResponse:
    dashboard.check_dashboard_access(request.user)
    page = dashboard.full_ranking(
        user=request.user,
        level=request.GET.get("tingkat", "desa"),
        requested_month=request.GET.get("periode"),
    )
    pager = paginate(request, page.ranking.ranked, default_size=RANKING_PAGE_SIZE)
    rows = pager.page
    context = {"page": page, "rows": rows, "pager": pager, "start": max(rows.start_index() - 1, 0)}
    return render(request, "reports/dashboard_ranking.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def bappeda_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    dashboard.check_drilldown_access(request.user)
    region = dashboard.drilldown_home(user=request.user)
    return _region_page(request, region)


@replica_safe
@login_required
@require_http_methods(["GET"])
def region_dashboard(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    dashboard.check_drilldown_access(request.user)
    region = dashboard.drilldown_region(user=request.user, code=code)
    return _region_page(request, region)


def _region_page(request: AuthenticatedHttpRequest, region: Region) -> HttpResponse:
    page = dashboard.region_dashboard(
        user=request.user,
        region=region,
        requested_month=request.GET.get("periode"),
    )
    context = {"page": page, "data": page.data(), "legend": dashboard.legend()}
    return render(request, "reports/dashboard_region.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def posyandu_dashboard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dashboard.check_drilldown_access(request.user)
    page = dashboard.posyandu_dashboard(user=request.user, pk=pk)
    return render(request, "reports/dashboard_posyandu.html", {"page": page, "data": page.data()})


@replica_safe
@login_required
@require_http_methods(["GET", "HEAD"])
def map_geometry(request: AuthenticatedHttpRequest, version: str) -> HttpResponse:
    """The dashboard map's polygons under their version: kept by the browser, revalidated by ETag."""
    dashboard.check_dashboard_access(request.user)
    kabupaten = dashboard.dashboard_kabupaten(user=request.user)
    region_map = dashboard.region_map_meta(user=request.user, kabupaten=kabupaten)
    if region_map is None:
        raise Http404
    geometry = dashboard.map_geometry(region_map)
    return geometry_response(
        request,
        geometry,
        version=version,
        current_url=reverse("reports:map-geometry", args=[geometry.version]),
    )


def geometry_response(
    request: AuthenticatedHttpRequest, geometry: dashboard.MapGeometry, *, version: str, current_url: str
) -> HttpResponse:
    """A map's polygons under their version (immutable, gzipped when the browser takes it, ETag); an
    older version asked for is sent to `current_url`, without caching the redirect."""
    if version != geometry.version:
        # A page assembled before the last upload: send it to the current map, without caching that.
        moved = redirect(current_url)
        add_never_cache_headers(moved)
        return moved
    etag = f'"{geometry.version}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponse = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(geometry.gzipped, content_type="application/geo+json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(geometry.body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={dashboard.GEOMETRY_MAX_AGE_S}, immutable"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def map_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    dashboard.check_map_upload(user)
    kabupaten = dashboard.dashboard_kabupaten(user=user)
    form = RegionMapForm(request.POST or None, request.FILES or None)
    check = None
    if request.method == "POST" and form.is_valid():
        check = dashboard.geojson_check(
            raw=form.cleaned_data["berkas"].read(),
            code_property=form.cleaned_data["properti_kode"].strip(),
            desa=dashboard.map_desa(kabupaten=kabupaten),
        )
        if check.is_valid:
            saved = dashboard.region_map_save(user=user, kabupaten=kabupaten, check=check)
            messages.success(
                request,
                _('Peta disimpan: %(n)s desa/kelurahan bergambar (properti "%(property)s").')
                % {"n": saved.feature_count, "property": saved.code_property},
            )
            if not check.unmatched_features and not check.missing_desa:
                return redirect("reports:map-upload")
    context = {
        "form": form,
        "check": check,
        "kabupaten": kabupaten,
        "current": dashboard.region_map_for(user=user, kabupaten=kabupaten),
    }
    return render(
        request,
        "reports/dashboard_map_upload.html",
        context,
        status=400 if check and not check.is_valid else 200,
    )


urlpatterns: list[URLPattern] = [
    path("dasbor/", head_dashboard, name="dashboard"),
    path("dasbor/peringkat/", ranking, name="ranking"),
    path("dasbor/bappeda/", bappeda_dashboard, name="bappeda"),
    path("dasbor/wilayah/<str:code>/", region_dashboard, name="region-dashboard"),
    path("dasbor/posyandu/<int:pk>/", posyandu_dashboard, name="posyandu-dashboard"),
    path("dasbor/peta/", map_upload, name="map-upload"),
    path("dasbor/peta/geometri/<str:version>.geojson", map_geometry, name="map-geometry"),
]
