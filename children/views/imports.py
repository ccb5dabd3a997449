"""Pages of the e-PPGBM import (upload, dry run, apply), the exports and the register template download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from children import exports
from children.access import can_create_places, can_write_registry, check_registry_write
from children.imports.services import (
    import_job_apply_queue,
    import_job_create,
    import_job_progress,
    issues_not_shown_text,
)
from children.models import ImportJob, ImportRowIssue, RecordAccess
from convergence import selectors as convergence_selectors
from convergence import spreadsheets
from convergence.choices import field_searchable, form_choices_limit
from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict, scope_for_user
from convergence.search import desa_label, posyandu_label
from convergence.services import POSYANDU_LIST_EXAMPLE, REGION_CSV_COLUMNS
from convergence.uploads import UploadLimits, UploadRefused, check_size, refusal_text

# The upload size (settings.IMPORT_MAX_UPLOAD_BYTES) is the one limit checked in the request: Django has
# already spooled the upload to a temporary file by then, so the reverse proxy's body limit
# (client_max_body_size) should be set to the same figure. Every other limit is checked by the dry run.
UPLOAD_EXTENSIONS = (".xlsx", ".xls", ".csv")
ISSUES_PER_PAGE = 50
# While the job is in one of these states the page polls its progress.
ACTIVE_STATUSES = frozenset({ImportJob.Status.QUEUED, ImportJob.Status.CHECKING, ImportJob.Status.APPLYING})

SUMMARY_LABELS = (
    ("create_child", _("Anak baru")),
    ("update_child", _("Anak diperbarui")),
    ("merge", _("Digabung dengan data yang ada")),
    ("create_measurement", _("Pengukuran baru")),
    ("update_measurement", _("Pengukuran diperbarui")),
    ("unchanged", _("Tidak berubah")),
    ("rejected", _("Ditolak")),
    ("warnings", _("Peringatan")),
)


# Selectors of import jobs --------------------------------------------------------------------------


def import_job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    """The import jobs `user` may see (his own; Bappeda and the district roles: the kabupaten's)."""
    return restrict(ImportJob.objects.select_related("uploaded_by"), user).order_by("-created_at", "-pk")


def import_job_get_for_user(*, user: User, pk: int) -> ImportJob:
    """The job `pk`, or 404 when it does not exist or lies outside the user's scope."""
    job = import_job_list_for_user(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def import_issue_list(*, job: ImportJob, action: str = "") -> QuerySet[ImportRowIssue]:
    """The issues of `job` (a job the caller may see), optionally of one action, in row order."""
    issues = job.issues.order_by("row_number", "pk")
    return issues.filter(action=action) if action else issues


def import_job_summary(job: ImportJob) -> list[tuple[str, Any, int]]:
    """(key, label, count) of the dry run/apply counts in a fixed order."""
    summary = job.summary or {}
    return [(key, label, int(summary.get(key, 0))) for key, label in SUMMARY_LABELS]


# Forms ---------------------------------------------------------------------------------------------


def validate_upload(uploaded: Any) -> None:
    """The extension (the browser's content type is not trusted) and the size of an uploaded register.

    Nothing here opens the file: the dry run's reader does, under every limit of convergence.uploads.
    """
    if Path(uploaded.name or "").suffix.lower() not in UPLOAD_EXTENSIONS:
        raise ValidationError(_("Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor"), code="extension")
    try:
        check_size(uploaded.size or 0, UploadLimits.from_settings())
    except UploadRefused as error:
        raise ValidationError(refusal_text(error), code="too_large") from error


def upload_limits_context() -> dict[str, str]:
    """The upload limits as the import page states them (sizes and grouped numbers, localised)."""
    limits = UploadLimits.from_settings()
    return {
        "max_upload": filesizeformat(limits.max_upload_bytes),
        "max_uncompressed": filesizeformat(limits.max_uncompressed_bytes),
        "max_ratio": number_format(limits.max_compression_ratio, force_grouping=True),
        "max_rows": number_format(limits.max_rows, force_grouping=True),
        "max_columns": number_format(limits.max_columns, force_grouping=True),
        "max_cell_chars": number_format(limits.max_cell_chars, force_grouping=True),
        "max_sheet_cells": number_format(limits.max_sheet_cells, force_grouping=True),
        "max_issues": number_format(settings.IMPORT_MAX_ISSUES_STORED, force_grouping=True),
    }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas e-PPGBM atau register posyandu (.xlsx/.xls/.csv)"),
        validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    create_posyandu = forms.BooleanField(
        label=_("Buat puskesmas dan posyandu yang disebut berkas tetapi belum ada"),
        help_text=_(
            "Desa dan kecamatan dicocokkan menurut nama di kabupaten Anda; uji coba mendaftar setiap "
            "puskesmas dan posyandu yang akan dibuat beserta jumlah barisnya."
        ),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_create_places(user):  # the region master data is Bappeda's
            del self.fields["create_posyandu"]


class IssueFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Tindakan"), choices=[("", _("Semua")), *list(ImportRowIssue.Action.choices)], required=False
    )


class ExportForm(forms.Form):
    layout = forms.ChoiceField(
        label=_("Data"),
        choices=[
            (exports.Layout.EPPGBM, _("Pengukuran (format e-PPGBM)")),
            (exports.Layout.CHILDREN, _("Registri anak")),
            (exports.Layout.KELUARGA, _("Registri keluarga")),
        ],
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(exports.Format.XLSX, "Excel (.xlsx)"), (exports.Format.CSV, "CSV (.csv)")],
    )
    posyandu: forms.ModelChoiceField[Posyandu] = forms.ModelChoiceField(
        label=_("Posyandu"), queryset=None, required=False
    )
    desa: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        label=_("Desa/kelurahan"), queryset=None, required=False, to_field_name="code"
    )
    date_from = forms.DateField(
        label=_("Diukur sejak"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Diukur sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices come from the user's scope: nothing outside it can even be named.
        posyandu = convergence_selectors.posyandu_list_for_user(user=user).select_related("desa__parent")
        form_choices_limit(self, "posyandu", posyandu)
        self.fields["posyandu"].label_from_instance = posyandu_label  # type: ignore[attr-defined]
        field_searchable(self.fields["posyandu"], "convergence:search-posyandu", minimum=0)
        # The desa is chosen by its code (the export's link names it so), which the desa search, answering
        # record numbers, cannot fill: it stays a plain select whose options say their kecamatan.
        desa = convergence_selectors.desa_list_for_user(user=user).select_related("parent").order_by("code")
        form_choices_limit(self, "desa", desa)
        self.fields["desa"].label_from_instance = desa_label  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("Tanggal akhir sebelum tanggal awal."))
        return data

    def filters(self) -> exports.ExportFilter:
        data = self.cleaned_data
        return exports.ExportFilter(
            posyandu=data.get("posyandu"),
            desa=data.get("desa"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# Views ---------------------------------------------------------------------------------------------


def _require_scope(user: User) -> None:
    if scope_for_user(user).is_empty:
        raise PermissionDenied


@login_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request.user)
    may_upload = can_write_registry(request.user)
    form = ImportUploadForm(user=request.user)
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = import_job_create(
                    user=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    create_places=form.cleaned_data.get("create_posyandu", False),
                )
            except ValidationError as error:
                form.add_error(None if hasattr(error, "error_dict") else "file", error)
            else:
                _say_where_the_job_is(request, job)
                return redirect("children:import-detail", pk=job.pk)
    context = {
        "jobs": import_job_list_for_user(user=request.user)[:100],
        "form": form,
        "may_upload": may_upload,
        "posyandu_list": convergence_selectors.posyandu_list_for_user(user=request.user)
        if may_upload
        else [],
        "limits": upload_limits_context(),
        "may_create_places": may_upload and can_create_places(request.user),
    }
    return render(request, "children/imports/list.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = import_job_get_for_user(user=request.user, pk=pk)
    filter_form = IssueFilterForm(request.GET or None)
    action = filter_form.cleaned_data["action"] if filter_form.is_valid() else ""
    page = Paginator(import_issue_list(job=job, action=action), ISSUES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "job": job,
        "summary": import_job_summary(job),
        "ignored_columns": (job.summary or {}).get("ignored_columns", []),
        "places": (job.summary or {}).get("places", []) if job.create_places else None,
        "is_active": job.status in ACTIVE_STATUSES,
        "may_apply": job.status == ImportJob.Status.CHECKED and can_write_registry(request.user),
        "filter_form": filter_form,
        "action": action,
        "page": page,
        "issues_not_shown": issues_not_shown_text(job.issues_not_stored) if job.issues_not_stored else "",
    }
    return render(request, "children/imports/detail.html", context)


# What the message after an upload or an apply says, by the job's status once the request queued it.
_STATUS_MESSAGES = {
    ImportJob.Status.QUEUED: _("Berkas diterima dan sedang diperiksa."),
    ImportJob.Status.CHECKING: _("Berkas diterima dan sedang diperiksa."),
    ImportJob.Status.CHECKED: _("Berkas sudah diperiksa; lihat hasil uji coba sebelum menerapkannya."),
    ImportJob.Status.APPLYING: _("Impor sedang diterapkan."),
    ImportJob.Status.APPLIED: _("Impor selesai diterapkan."),
}


def _say_where_the_job_is(request: AuthenticatedHttpRequest, job: ImportJob) -> None:
    """Tell where the job stands now, not where it stood when it was queued.

    The embedded (eager) Celery and a quick worker may have finished it already: "sedang diterapkan"
    above "Selesai diterapkan" would contradict the status line. A failed job says nothing here: the page
    shows its error.
    """
    job.refresh_from_db(fields=["status"])
    status = ImportJob.Status(job.status)
    if status in _STATUS_MESSAGES:
        messages.success(request, _STATUS_MESSAGES[status])


@login_required
@require_POST
def import_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = import_job_get_for_user(user=request.user, pk=pk)
    try:
        import_job_apply_queue(job_id=job.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _say_where_the_job_is(request, job)
    return redirect("children:import-detail", pk=job.pk)


@login_required
@require_GET
def import_progress(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    job = import_job_get_for_user(user=request.user, pk=pk)
    return JsonResponse(import_job_progress(job))


@login_required
@require_GET
def import_issues_csv(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = import_job_get_for_user(user=request.user, pk=pk)
    rows = (
        (row, field, message, ImportRowIssue.Action(action).label)
        for row, field, message, action in import_issue_list(job=job).values_list(
            "row_number", "field", "message", "action"
        )
    )
    target = tempfile.SpooledTemporaryFile(max_size=5 * 2**20)  # noqa: SIM115 (FileResponse closes it)
    spreadsheets.csv_write(target, [_("Baris"), _("Kolom"), _("Alasan"), _("Tindakan")], rows)
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=f"impor-{job.pk}-catatan.csv",
        content_type=exports.CONTENT_TYPES[exports.Format.CSV],
    )


@login_required
@require_GET
def register_template(
    request: AuthenticatedHttpRequest, posyandu_pk: int, fmt: str = exports.Format.XLSX
) -> FileResponse:
    posyandu = exports.posyandu_for_export(user=request.user, pk=posyandu_pk)
    check_registry_write(request.user)
    target = tempfile.SpooledTemporaryFile(max_size=5 * 2**20)  # noqa: SIM115 (FileResponse closes it)
    exports.register_template_export(
        user=request.user, posyandu=posyandu, target=target, fmt=fmt, path=request.path
    )
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=f"register-posyandu-{posyandu.desa.code}-{posyandu.code}.{fmt}",
        content_type=exports.CONTENT_TYPES[fmt],
    )


@login_required
@require_GET
def posyandu_list_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The posyandu list for `load_regions`: its header and one example row under a desa of the user."""
    if not can_create_places(request.user):
        raise PermissionDenied
    desa_code = (
        convergence_selectors.desa_list_for_user(user=request.user)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    body = spreadsheets.csv_bytes(
        REGION_CSV_COLUMNS, [(*POSYANDU_LIST_EXAMPLE, desa_code or "35.10.01.2001")]
    )
    response = HttpResponse(body, content_type=exports.CONTENT_TYPES[exports.Format.CSV])
    response["Content-Disposition"] = 'attachment; filename="daftar-posyandu.csv"'
    return response


@replica_safe
@login_required
@require_GET
def export(request: AuthenticatedHttpRequest) -> HttpResponse | FileResponse:
    _require_scope(request.user)
    form = ExportForm(request.GET if "layout" in request.GET else None, user=request.user)
    if not form.is_valid():
        return render(
            request, "children/exports/form.html", {"form": form}, status=400 if form.errors else 200
        )
    layout, fmt = form.cleaned_data["layout"], form.cleaned_data["format"]
    target = tempfile.SpooledTemporaryFile(max_size=20 * 2**20)  # noqa: SIM115 (FileResponse closes it)
    if layout == exports.Layout.EPPGBM:
        exports.eppgbm_export(
            user=request.user,
            target=target,
            fmt=fmt,
            filters=form.filters(),
            channel=RecordAccess.Channel.EXPORT,
            path=request.path,
        )
    else:
        exports.registry_export(
            user=request.user,
            layout=layout,
            target=target,
            fmt=fmt,
            filters=form.filters(),
            path=request.path,
        )
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=exports.export_filename(layout, fmt, today=timezone.localdate()),
        content_type=exports.CONTENT_TYPES[fmt],
    )


urlpatterns = [
    path("impor/", import_list, name="import-list"),
    path("impor/<int:pk>/", import_detail, name="import-detail"),
    path("impor/<int:pk>/terapkan/", import_apply, name="import-apply"),
    path("impor/<int:pk>/progres.json", import_progress, name="import-progress"),
    path("impor/<int:pk>/catatan.csv", import_issues_csv, name="import-issues-csv"),
    path("impor/templat/<int:posyandu_pk>.xlsx", register_template, name="register-template"),
    path(
        "impor/templat/<int:posyandu_pk>.csv",
        register_template,
        {"fmt": exports.Format.CSV},
        name="register-template-csv",
    ),
    path("impor/templat-posyandu.csv", posyandu_list_template, name="posyandu-list-template"),
    path("ekspor/", export, name="export"),
]
