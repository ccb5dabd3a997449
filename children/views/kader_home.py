"""The kader's home page: today's work at her posyandu."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from children.panels import posyandu_panels
from children.selectors_posyandu import not_weighed_rows, posyandu_day, posyandu_day_rows
from convergence.models import User
from convergence.scoping import scope_for_user
from convergence.selectors import posyandu_get_for_user


@login_required
@require_GET
def kader_home(request: HttpRequest) -> HttpResponse:
    """This month's posyandu day of the kader's posyandu: children due, not weighed yet, open referrals."""
    user = cast(User, request.user)  # login_required: never anonymous here
    scope = scope_for_user(user)
    if not scope.is_kader or scope.posyandu_id is None:
        raise Http404
    posyandu = posyandu_get_for_user(user=user, pk=scope.posyandu_id)
    today = timezone.localdate()
    rows = posyandu_day_rows(user=user, posyandu=posyandu, year=today.year, month=today.month, today=today)
    context = {
        "posyandu": posyandu,
        "today": today,
        "posyandu_day": posyandu_day(year=today.year, month=today.month, today=today),
        "due_count": len(rows),
        "not_weighed_count": len(not_weighed_rows(rows)),
        "panels": posyandu_panels(user=user, posyandu=posyandu),
    }
    return render(request, "children/kader_home.html", context)


urlpatterns = [path("kader/", kader_home, name="kader-home")]
