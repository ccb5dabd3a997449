"""Routes of the reports API under /api/v1/.

Viewsets register on `router` below, one line each; plain views go in `urlpatterns` before the router's
routes (`prevalence/targets/` must come before anything under `prevalence/`).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import DefaultRouter

from reports.api import province, province_targets, quality, views

router = DefaultRouter()
router.include_root_view = False

# Prevalence, targets and survey figures.
router.register("prevalence", views.PrevalenceViewSet, basename="prevalence")
router.register("survey-figures", views.SurveyFigureViewSet, basename="survey-figure")
router.register("target-rules", views.TargetRuleViewSet, basename="target-rule")
router.register("provincial-targets", province_targets.ProvincialTargetViewSet, basename="provincial-target")

# Data quality: register its viewsets here.
router.register("data-quality", quality.DataQualityViewSet, basename="data-quality")

urlpatterns: list[URLPattern | URLResolver] = [
    path("prevalence/targets/", views.YearTableView.as_view(), name="prevalence-targets"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("province-dashboard/", province.ProvinceListView.as_view(), name="province-dashboard-list"),
    path(
        "province-dashboard/<str:code>/", province.ProvinceDashboardView.as_view(), name="province-dashboard"
    ),
    path("", include(router.urls)),
]
