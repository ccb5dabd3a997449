"""Admin of the registries for Bappeda's data team, through the same scope as every page.

Registry rows change through children.services (z-scores, NIK rules, duplicate detection), so the
admin edits children, persons and families through those services and shows computed or audit rows
(measurements, pregnancies, merges, the read log, imports) read-only. NIK never appears in a list in
full, and opening a child's or a person's record is logged like a page read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin

from children import pii, services
from children.access import nik_for_display
from children.audit import record_access
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    ImportJob,
    ImportRowIssue,
    Keluarga,
    Measurement,
    MergeLog,
    MinimumWeightGain,
    Person,
    Pregnancy,
    PregnancyVisit,
    RecordAccess,
)
from children.resources import ChildResource, KeluargaResource
from convergence.admin import EXPORT_FORMATS, ReadOnlyMixin, ScopedAdmin
from convergence.http import request_user
from convergence.models import User
from convergence.scoping import restrict


@admin.register(MinimumWeightGain)
class MinimumWeightGainAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "age_month_from", "age_month_to", "min_gain_g", "source"]
    list_filter = ["valid_from"]
    ordering = ["-valid_from", "age_month_from"]


class ScopedHistoryAdmin(ScopedAdmin, SimpleHistoryAdmin):
    """ScopedAdmin with simple_history's pages, which answer 404 for a row outside the scope.

    simple_history falls back to the last historical version of a row the queryset does not hold (to
    show deleted rows); that would open another district's history, so the scoped queryset decides.
    Reverting a version is refused: it would write the row around the services.
    """

    def _check_in_scope(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._check_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._check_in_scope(request, object_id)
        if request.method == "POST":
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True


class NIKAdminMixin:
    """A masked NIK column in lists; the NIK in the change form as the role may see it, read-only."""

    @admin.display(description=_("NIK"))
    def nik(self, obj: Child | Person) -> str:
        # Lists show many people at once: always masked, whatever the role.
        return pii.mask_identifier(pii.decrypt(obj.nik_encrypted))

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # The NIK is not a form field (it changes through the services' NIK checks); it is shown above
        # the form as the user's role may see it.
        fieldsets = list(super().get_fieldsets(request, obj))  # type: ignore[misc]
        if not isinstance(obj, Child | Person) or not fieldsets:
            return fieldsets
        nik = nik_for_display(request_user(request), obj.nik_encrypted) or "-"
        name, options = fieldsets[0]
        description = format_html("{}: <strong>{}</strong>", _("NIK"), nik)
        return [(name, {**options, "description": description}), *fieldsets[1:]]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            record_access(
                user=request_user(request),
                kind=self.access_kind,  # type: ignore[attr-defined]
                object_ids=[int(unquote(object_id))],
                channel=RecordAccess.Channel.ADMIN,
                path=request.path,
            )
        return response


class ScopedExportMixin(ExportMixin):
    """django-import-export's export of the scoped changelist, bound to the user and logged."""

    export_formats = EXPORT_FORMATS
    # The fields of a registry export are fixed (NIK handling lives in the resource), not picked per export.
    export_form_class = ExportForm
    access_kind = ""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_data_for_export(self, request: HttpRequest, queryset: QuerySet[Any], **kwargs: Any) -> Any:
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        record_access(
            user=request_user(request),
            kind=self.access_kind,
            count=len(dataset),
            channel=RecordAccess.Channel.EXPORT,
            path=request.path,
        )
        return dataset


def _save_through(
    save: Callable[..., services.RegistrationResult[Any]], key: str, request: HttpRequest, obj: Model
) -> None:
    """save_model calling a registry service with the form's values (changes only: no add in the admin)."""
    save(user=request_user(request), **{key: obj})


class RegistryAdmin(NIKAdminMixin, ScopedHistoryAdmin):
    """Children and persons: registered on the pages and by import, corrected here, merged in the queue."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A record is removed by merging it into its duplicate, which keeps an audit (MergeLog).
        return False


@admin.register(Child)
class ChildAdmin(ScopedExportMixin, RegistryAdmin):
    access_kind = RecordAccess.Kind.CHILD
    resource_classes = [ChildResource]
    list_display = ["name", "nik", "sex", "birth_date", "posyandu", "desa", "status"]
    list_filter = ["status", "sex"]
    search_fields = ["name", "mother_name"]
    list_select_related = ["posyandu", "desa"]
    autocomplete_fields = ["mother", "keluarga", "posyandu", "desa"]

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        _save_through(services.child_save, "child", request, obj)


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    access_kind = RecordAccess.Kind.PERSON
    list_display = ["name", "nik", "sex", "birth_date", "desa"]
    list_filter = ["sex"]
    search_fields = ["name"]
    list_select_related = ["desa"]
    autocomplete_fields = ["keluarga", "desa"]

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        _save_through(services.person_save, "person", request, obj)


@admin.register(Keluarga)
class KeluargaAdmin(ScopedExportMixin, ScopedHistoryAdmin):
    access_kind = RecordAccess.Kind.KELUARGA
    resource_classes = [KeluargaResource]
    list_display = ["head_name", "desa", "water_source", "latrine", "at_risk"]
    list_filter = ["at_risk", "water_source", "latrine", "jkn"]
    search_fields = ["head_name"]
    list_select_related = ["desa"]
    autocomplete_fields = ["desa"]

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        _save_through(services.keluarga_save, "keluarga", request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyMixin, ScopedHistoryAdmin):
    """Z-scores, categories and N/T/2T come from the engine: corrections go through the posyandu pages."""

    list_display = ["child", "measured_on", "weight_kg", "height_cm", "haz", "whz", "posyandu", "source"]
    list_filter = ["source", "measured_on"]
    search_fields = ["child__name"]
    list_select_related = ["child", "posyandu"]
    date_hierarchy = "measured_on"


class ScopedInline(admin.TabularInline):
    """Inline rights follow the parent's admin (ScopedAdmin: the role and the scope), not model permissions."""

    def _parent_admin(self) -> Any:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(self._parent_admin().has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))


class ReadOnlyInline(ScopedInline):
    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PregnancyVisitInline(ReadOnlyInline):
    model = PregnancyVisit
    extra = 0
    readonly_fields = fields = (
        "visit_date",
        "is_anc",
        "weight_kg",
        "lila_cm",
        "hb_g_dl",
        "systolic_mmhg",
        "diastolic_mmhg",
        "ttd_tablets",
    )


@admin.register(Pregnancy)
class PregnancyAdmin(ReadOnlyMixin, ScopedHistoryAdmin):
    """The KEK/anaemia/risk flags are derived from the visits by children.services.pregnancy_refresh."""

    list_display = [
        "mother",
        "desa",
        "lmp_date",
        "expected_delivery_date",
        "outcome",
        "is_kek",
        "is_high_risk",
    ]
    list_filter = ["outcome", "is_kek", "is_anaemic", "is_high_risk"]
    search_fields = ["mother__name"]
    list_select_related = ["mother", "desa"]
    inlines = [PregnancyVisitInline]


class AdolescentTTDInline(ScopedInline):
    model = AdolescentTTD
    extra = 0
    fields = ["week_start", "tablets", "given_at"]


@admin.register(AdolescentGirl)
class AdolescentGirlAdmin(ScopedHistoryAdmin):
    list_display = ["person", "school_name", "school_class"]
    search_fields = ["person__name", "school_name"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]
    inlines = [AdolescentTTDInline]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ScopedAdmin):
    """The review queue is worked on its page (merge keeps an audit); here only the note may change."""

    list_display = ["__str__", "kind", "reason", "similarity", "desa", "status", "created_at"]
    list_filter = ["status", "kind", "reason"]
    list_select_related = ["desa"]
    fields = (
        "kind",
        "child_a",
        "child_b",
        "person_a",
        "person_b",
        "desa",
        "reason",
        "similarity",
        "status",
        "resolved_by",
        "resolved_at",
        "note",
    )
    readonly_fields = tuple(name for name in fields if name != "note")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(MergeLog)
class MergeLogAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["__str__", "kind", "desa", "merged_by", "merged_at"]
    list_filter = ["kind"]
    list_select_related = ["desa", "merged_by"]
    # `removed` holds the removed record's fields with the NIK as ciphertext only.
    fields = [
        "kind",
        "survivor_child",
        "survivor_person",
        "removed_id",
        "removed",
        "moved",
        "desa",
        "merged_by",
    ]


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnlyMixin, ScopedAdmin):
    """The read log: who opened which record. Scoped by the reader: Bappeda sees its kabupaten's users."""

    list_display = ["accessed_at", "user", "kind", "object_id", "record_count", "channel", "path"]
    list_filter = ["kind", "channel"]
    list_select_related = ["user"]
    date_hierarchy = "accessed_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecordAccess]:
        # RecordAccess rows have no region of their own: they follow the users the admin may see.
        users = restrict(User.objects.all(), request.user)
        return admin.ModelAdmin.get_queryset(self, request).filter(user__in=users)


class ImportRowIssueInline(ReadOnlyInline):
    model = ImportRowIssue
    extra = 0
    readonly_fields = fields = ("row_number", "action", "field", "message")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyMixin, ScopedAdmin):
    # The uploaded file is personal data: the admin shows its name, never a link to download it.
    list_display = ["original_name", "uploaded_by", "status", "rows_total", "created_at", "applied_at"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    readonly_fields = fields = (
        "original_name",
        "uploaded_by",
        "scope_code",
        "status",
        "rows_total",
        "rows_done",
        "summary",
        "error",
        "created_at",
        "checked_at",
        "applied_at",
    )
    inlines = [ImportRowIssueInline]
