from __future__ import annotations

import io
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats
from tablib import Dataset

from convergence import spreadsheets
from convergence.models import (
    OPD,
    ActionOutput,
    AssessmentGrade,
    Attendance,
    ConvergenceAction,
    DesaLokus,
    FieldWorker,
    FollowUp,
    Meeting,
    Posyandu,
    Puskesmas,
    Region,
    Role,
    Team,
    TeamMember,
    User,
)
from convergence.scoping import can_read, restrict
from convergence.tombstones import records_delete


class ScopedAdmin(admin.ModelAdmin):
    """Admin pages go through the same scope as every other view: rows outside it do not exist."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(super().get_queryset(request), request.user)

    # Rights follow the role, not per-model Django permissions: the admin is Bappeda's tool.
    def _is_admin(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.role == Role.BAPPEDA_ADMIN)

    def _may_write(self, request: HttpRequest, obj: Model | None) -> bool:
        if not self._is_admin(request):
            return False
        return obj is None or can_read(request.user, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    # A deletion here leaves its tombstones for the changes feed, like the services' deletions.
    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        records_delete([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        records_delete(queryset)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_write(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_write(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_write(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_write(request, None)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Choices of scoped models are scoped too, so nobody can attach a row to another district.
        related = db_field.related_model
        if hasattr(related, "scope_q"):
            kwargs["queryset"] = restrict(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyMixin:
    """Rows written by the engine, a service or an audit (money, summaries, logs): viewable in scope,
    never changed here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyScopedAdmin(ReadOnlyMixin, ScopedAdmin):
    pass


class SpreadsheetCSV(base_formats.CSV):
    """django-import-export's CSV written by convergence.spreadsheets: formula injection escaped, BOM."""

    def is_binary(self) -> bool:
        return True  # the bytes come out encoded (UTF-8 with a BOM)

    def export_data(self, dataset: Dataset, **kwargs: Any) -> bytes:
        return spreadsheets.csv_bytes(dataset.headers or [], dataset)


class SpreadsheetXLSX(base_formats.XLSX):
    """django-import-export's .xlsx written by convergence.spreadsheets: texts as string cells."""

    def export_data(self, dataset: Dataset, **kwargs: Any) -> bytes:
        target = io.BytesIO()
        spreadsheets.xlsx_write(target, dataset.headers or [], dataset)
        return target.getvalue()


# Every admin export goes through these, never through tablib's own writers.
EXPORT_FORMATS = [SpreadsheetXLSX, SpreadsheetCSV]


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "puskesmas"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "puskesmas"]


@admin.register(Puskesmas)
class PuskesmasAdmin(ScopedAdmin):
    list_display = ["name", "code", "kecamatan"]
    search_fields = ["name", "code", "kecamatan__name"]
    autocomplete_fields = ["kecamatan"]


@admin.register(Posyandu)
class PosyanduAdmin(ScopedAdmin):
    list_display = ["name", "code", "desa", "target_balita", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "desa__name"]
    autocomplete_fields = ["desa"]


@admin.register(DesaLokus)
class DesaLokusAdmin(ScopedAdmin):
    list_display = ["desa", "year", "decree_number"]
    list_filter = ["year"]
    autocomplete_fields = ["desa"]


@admin.register(OPD)
class OPDAdmin(ScopedAdmin):
    list_display = ["short_name", "name", "kabupaten", "is_leading_sector"]
    search_fields = ["short_name", "name"]


@admin.register(User)
class ScopedUserAdmin(ScopedAdmin, UserAdmin):
    list_display = ["username", "get_full_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            _("Peran dan unit kerja"),
            {"fields": ("role", "kabupaten", "opd", "puskesmas", "desa", "posyandu")},
        ),
    )
    autocomplete_fields = ["kabupaten", "desa", "opd", "puskesmas", "posyandu"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # Only a superuser hands out superuser or staff rights.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "is_staff", "user_permissions", "groups"]
        return readonly


# --- TPPS, rosters, actions, meetings (teams and members are kept here by Bappeda) ---------------------


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    autocomplete_fields = ["opd"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is OPD:
            kwargs["queryset"] = restrict(OPD.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["name", "region", "decree_number", "decree_date", "period_start", "period_end"]
    search_fields = ["name", "decree_number", "region__name"]
    autocomplete_fields = ["region"]
    inlines = [TeamMemberInline]


@admin.register(FieldWorker)
class FieldWorkerAdmin(ScopedAdmin):
    list_display = ["name", "kind", "desa", "decree_number", "period_start", "period_end"]
    list_filter = ["kind"]
    search_fields = ["name", "desa__name"]
    autocomplete_fields = ["desa", "user"]


class ActionOutputInline(admin.TabularInline):
    model = ActionOutput
    extra = 0
    fields = ["code", "title", "required", "done", "done_on"]


@admin.register(ConvergenceAction)
class ConvergenceActionAdmin(ScopedAdmin):
    list_display = ["__str__", "kabupaten", "pic_opd", "status", "planned_end", "actual_end"]
    list_filter = ["year", "number", "status"]
    search_fields = ["kabupaten__name", "person_in_charge"]
    autocomplete_fields = ["kabupaten", "pic_opd"]
    inlines = [ActionOutputInline]


@admin.register(AssessmentGrade)
class AssessmentGradeAdmin(ReadOnlyScopedAdmin):
    """Grades are the province's, given on its assessment pages (convergence.province): read here."""

    list_display = ["indicator_code", "year", "kabupaten", "grade", "assessed_on"]
    list_filter = ["year", "grade"]
    autocomplete_fields = ["kabupaten"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["opd"]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    autocomplete_fields = ["owner_opd"]


@admin.register(Meeting)
class MeetingAdmin(ScopedAdmin):
    list_display = ["title", "kind", "region", "held_on"]
    list_filter = ["kind"]
    search_fields = ["title", "agenda"]
    autocomplete_fields = ["kabupaten", "region", "action"]
    filter_horizontal = ["invited"]
    inlines = [AttendanceInline, FollowUpInline]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is OPD:
            kwargs["queryset"] = restrict(OPD.objects.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
