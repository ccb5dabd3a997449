from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from children.growth.tables import AGE_DAYS_MAX


@login_required
@require_GET
def zscore_method(request: HttpRequest) -> HttpResponse:
    """The user guide page on how z-scores are computed."""
    return render(request, "children/zscore_method.html", {"age_days_max": AGE_DAYS_MAX})


urlpatterns = [
    path("panduan/zscore/", zscore_method, name="zscore-method"),
]
