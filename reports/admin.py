"""Admin of the reports: the district's target rule and survey figures are edited here; summaries are
read-only (they are rewritten by the recompute jobs)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from convergence.admin import ReadOnlyScopedAdmin, ScopedAdmin
from convergence.models import Role
from convergence.province import province_list_for_user

from . import province_targets
from .locks import province_figures_changed
from .models import (
    DashboardRule,
    NationalTarget,
    PrevalenceSummary,
    ProvincialTarget,
    SurveyFigure,
    TargetRule,
)


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


class ProvincialTargetForm(forms.ModelForm):
    class Meta:
        model = ProvincialTarget
        fields = ["provinsi", "year", "stunting_pct", "source"]

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if errors := province_targets.target_year_errors(year=year):
            raise ValidationError(errors)
        return year


@admin.register(ProvincialTarget)
class ProvincialTargetAdmin(ScopedAdmin):
    """A province's target path: its provincial Bappeda (staff) enters it, through the same service as the
    target page; a superuser too. Other roles do not see it here."""

    list_display = ["provinsi", "year", "stunting_pct", "source", "updated_at"]
    list_filter = ["year"]
    form = ProvincialTargetForm

    def _is_admin(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.role == Role.BAPPEDA_PROVINSI)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "provinsi":
            field.queryset = province_list_for_user(user=request.user)
        return field

    def save_model(self, request: HttpRequest, obj: ProvincialTarget, form: Any, change: bool) -> None:
        # The form has checked the values as the service does; the service checks who may write.
        saved = province_targets.provincial_target_save(
            user=request.user,
            provinsi=obj.provinsi,
            year=obj.year,
            stunting_pct=obj.stunting_pct,
            source=obj.source,
        )
        obj.pk = saved.pk

    # A year deleted here leaves the dashboards as a saved one does: they assemble again at once.
    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        code = cast(ProvincialTarget, obj).provinsi.code
        super().delete_model(request, obj)
        province_figures_changed(code)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProvincialTarget]) -> None:
        codes = set(queryset.values_list("provinsi__code", flat=True))
        super().delete_queryset(request, queryset)
        for code in codes:
            province_figures_changed(code)


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
