from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from convergence import selectors
from convergence.codes import Level
from convergence.scoping import scope_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    region = selectors.region_home_for_user(user=request.user)
    context = {
        "scope": scope,
        "home_region": region,
        "subregions": selectors.region_children_for_user(user=request.user, region=region) if region else [],
        "posyandu": request.user.posyandu,
        "puskesmas": request.user.puskesmas,
        "opd": request.user.opd,
    }
    return render(request, "convergence/home.html", context)


@login_required
def region_home(request: HttpRequest) -> HttpResponse:
    region = selectors.region_home_for_user(user=request.user)
    if region is None:
        return render(request, "convergence/no_scope.html", status=403)
    return redirect("convergence:region-detail", code=region.code)


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.region_get_for_user(user=request.user, code=code)
    context = {
        "region": region,
        "breadcrumbs": selectors.region_breadcrumbs(region=region),
        "subregions": selectors.region_children_for_user(user=request.user, region=region),
        "posyandu_list": selectors.posyandu_list_for_user(user=request.user, desa=region)
        if region.is_desa_level
        else [],
        "puskesmas_list": selectors.puskesmas_list_for_user(user=request.user, kecamatan=region)
        if region.level == Level.KECAMATAN
        else [],
    }
    return render(request, "convergence/region_detail.html", context)


@login_required
def posyandu_detail(request: HttpRequest, pk: int) -> HttpResponse:
    posyandu = selectors.posyandu_get_for_user(user=request.user, pk=pk)
    context = {
        "posyandu": posyandu,
        "breadcrumbs": [*selectors.region_breadcrumbs(region=posyandu.desa), posyandu.desa],
    }
    return render(request, "convergence/posyandu_detail.html", context)
