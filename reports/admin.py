"""Admin of the reports: the district's target rule and survey figures are edited here; summaries are
read-only (they are rewritten by the recompute jobs)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from convergence.admin import ReadOnlyScopedAdmin, ScopedAdmin

from .models import DashboardRule, NationalTarget, PrevalenceSummary, SurveyFigure, TargetRule


@admin.register(TargetRule)
class TargetRuleAdmin(ScopedAdmin):
    list_display = [
        "kabupaten",
        "regulation",
        "baseline_year",
        "min_reduction_points",
        "target_year",
        "target_pct",
    ]


@admin.register(DashboardRule)
class DashboardRuleAdmin(ScopedAdmin):
    list_display = [
        "kabupaten",
        "complete_share_of_best_pct",
        "complete_min_coverage_pct",
        "min_measured_to_rank",
    ]


@admin.register(SurveyFigure)
class SurveyFigureAdmin(ScopedAdmin):
    list_display = ["region", "year", "source", "stunting_pct", "wasting_pct", "underweight_pct"]
    list_filter = ["source", "year"]


@admin.register(NationalTarget)
class NationalTargetAdmin(admin.ModelAdmin):
    """The national path is the same for every district: only a superuser changes it."""

    list_display = ["year", "stunting_pct", "source"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(PrevalenceSummary)
class PrevalenceSummaryAdmin(ReadOnlyScopedAdmin):
    """Rewritten by the recompute jobs only."""

    list_display = [
        "period",
        "period_kind",
        "level",
        "region",
        "posyandu",
        "measured",
        "haz_sangat_pendek",
        "haz_pendek",
    ]
    list_filter = ["period_kind", "level"]
    list_select_related = ["region", "posyandu"]
