from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from convergence import navigation, selectors
from convergence.codes import Level
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Role, User
from convergence.ratelimit import Verdict, login_address_check
from convergence.scoping import scope_for_user


def too_many_attempts(request: HttpRequest, verdict: Verdict, message: str = "") -> HttpResponse:
    """The 429 page of a rate limit, with Retry-After; `message` defaults to the failed-login one."""
    minutes = max(1, math.ceil(verdict.retry_after / 60))
    message = message or _(
        "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam %(minutes)d menit."
    ) % {"minutes": minutes}
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


class SignInView(LoginView):
    """The sign-in page. An address with too many failed logins, whatever the usernames, waits first."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        verdict = login_address_check(request)
        if not verdict.allowed:
            return too_many_attempts(request, verdict)
        return super().post(request, *args, **kwargs)


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    if scope.role == Role.PIMPINAN and scope.kabupaten_prefix and not scope.is_superuser:
        # The bupati's first screen is his dashboard, after login and from "Beranda" alike.
        return redirect("reports:dashboard")
    if scope.is_kader:
        # A kader starts from today's work at her posyandu.
        return redirect("children:kader-home")
    if scope.is_aggregate_only:
        # The province and national roles start from their dashboard (their assessment work until the
        # reports app has one); the district home lists places they do not work in.
        return redirect(navigation.province_dashboard_url(scope) or navigation.province_work_url(scope))
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
def region_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    region = selectors.region_home_for_user(user=request.user)
    if region is None:
        return render(request, "convergence/no_scope.html", status=403)
    return redirect("convergence:region-detail", code=region.code)


@login_required
def region_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
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
def posyandu_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    posyandu = selectors.posyandu_get_for_user(user=request.user, pk=pk)
    context = {
        "posyandu": posyandu,
        "breadcrumbs": [*selectors.region_breadcrumbs(region=posyandu.desa), posyandu.desa],
        "can_enrol_pmt": _enrols_pmt(request.user),
    }
    return render(request, "convergence/posyandu_detail.html", context)


# Roles that enrol PMT recipients (interventions.services_pmt.may_enrol; kept here: no upward import).
_PMT_ENROLLERS = {Role.BAPPEDA_ADMIN, Role.OPD_OFFICER, Role.PUSKESMAS_OFFICER}


def _enrols_pmt(user: User) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in _PMT_ENROLLERS
