"""Bappeda's admin for the catalogue: indicators, yearly targets and interventions (rules as data)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from convergence.admin import ReadOnlyScopedAdmin, ScopedAdmin
from convergence.scoping import restrict
from interventions import eligibility as rules
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Delivery,
    DeliveryImportJob,
    Disbursement,
    Indicator,
    IndicatorTarget,
    Intervention,
    LokusWeights,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTProgramme,
    PMTRate,
    Referral,
)


class InterventionForm(forms.ModelForm):
    eligibility_rule = forms.ChoiceField(
        label=gettext_lazy("Aturan kelayakan"),
        choices=sorted((rule.name, rule.label) for rule in rules.RULES.values()),
    )

    class Meta:
        model = Intervention
        fields = [
            "kabupaten",
            "code",
            "name",
            "kind",
            "target_group",
            "opd",
            "indicator",
            "unit",
            "eligibility_rule",
            "rule_params",
            "valid_from",
            "valid_to",
            "is_active",
            "description",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = rules.rule_problem(
            data.get("eligibility_rule", ""), data.get("target_group", ""), data.get("rule_params") or {}
        )
        if problem:
            self.add_error("eligibility_rule", _(problem))
        return data


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "target_group"]
    list_filter = ["kind", "target_group"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(ScopedAdmin):
    list_display = ["indicator", "kabupaten", "year", "target_percent"]
    list_filter = ["year"]
    autocomplete_fields = ["indicator"]


@admin.register(Intervention)
class InterventionAdmin(ScopedAdmin):
    form = InterventionForm
    list_display = [
        "code",
        "name",
        "target_group",
        "opd",
        "eligibility_rule",
        "valid_from",
        "valid_to",
        "is_active",
    ]
    list_filter = ["target_group", "kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    list_display = ["delivered_on", "intervention", "opd", "desa", "quantity", "unit", "source"]
    list_filter = ["source", "funding_source"]
    raw_id_fields = ["intervention", "child", "person", "keluarga", "desa"]


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin):
    list_display = ["due_date", "intervention", "opd", "desa", "status"]
    list_filter = ["status"]
    raw_id_fields = ["intervention", "child", "person", "keluarga", "desa", "assigned_to"]


@admin.register(LokusWeights)
class LokusWeightsAdmin(ScopedAdmin):
    list_display = [
        "kabupaten",
        "year",
        "weight_prevalence",
        "weight_cases",
        "weight_coverage_gap",
        "weight_families_at_risk",
        "weight_measurement_gap",
        "lokus_count",
    ]
    list_filter = ["year"]


# --- PMT ---------------------------------------------------------------------------------------------
# Money moves only through interventions.services_pmt (row locks, maker-checker, reversals): the admin
# shows budget lines, episodes and money rows read-only; rates and programmes are edited here.


@admin.register(PMTRate)
class PMTRateAdmin(ScopedAdmin):
    list_display = ["category", "kabupaten", "valid_from", "daily_rate", "duration_days"]
    list_filter = ["category"]


class PMTFundingInline(admin.TabularInline):
    model = PMTFunding
    extra = 1

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "budget_line":
            kwargs["queryset"] = restrict(BudgetLine.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Programmes change through interventions.services_pmt (shares adding up to 100, no edit after the
# first episode): the admin shows them.
@admin.register(PMTProgramme)
class PMTProgrammeAdmin(ReadOnlyScopedAdmin):
    list_display = ["year", "name", "category", "opd", "starts_on", "ends_on", "is_active"]
    list_filter = ["year", "category", "is_active"]
    inlines = [PMTFundingInline]


@admin.register(BudgetLine)
class BudgetLineAdmin(ReadOnlyScopedAdmin):
    list_display = ["year", "source", "sub_activity_code", "name", "opd", "desa", "allocated"]
    list_filter = ["year", "source"]


@admin.register(BudgetRevision)
class BudgetRevisionAdmin(ReadOnlyScopedAdmin):
    list_display = ["revised_on", "budget_line", "previous_allocated", "new_allocated", "made_by"]


@admin.register(PMTEnrolment)
class PMTEnrolmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["start_date", "programme", "desa", "days", "cost", "status"]
    list_filter = ["status"]


@admin.register(PMTDeliveryLog)
class PMTDeliveryLogAdmin(ReadOnlyScopedAdmin):
    list_display = ["delivered_on", "enrolment", "days_delivered", "food_form"]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "paid_on",
        "budget_line",
        "kind",
        "payee",
        "amount",
        "status",
        "recorded_by",
        "approved_by",
    ]
    list_filter = ["status", "kind"]


@admin.register(DeliveryImportJob)
class DeliveryImportJobAdmin(ReadOnlyScopedAdmin):
    # The uploaded sheet is personal data: the admin shows its name, never a link to download it; the
    # row report is on the job's page.
    list_display = ["original_name", "uploaded_by", "status", "rows_total", "created_at", "applied_at"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    readonly_fields = fields = (
        "original_name",
        "uploaded_by",
        "opd",
        "kabupaten_code",
        "status",
        "rows_total",
        "summary",
        "error",
        "created_at",
        "checked_at",
        "applied_by",
        "applied_at",
        "file_deleted_at",
    )
