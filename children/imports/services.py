"""Import jobs of e-PPGBM registers: upload, dry run (check), apply in one transaction, progress.

The web pages, the REST API, the Celery tasks and the `import_eppgbm` command all go through these
functions; the work itself is children.imports.pipeline.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from children.access import can_create_places, can_write_registry
from children.changes import measurements_changed
from children.imports.pipeline import ACTIONS, ImportReport, import_rows
from children.imports.readers import EXTENSIONS, UnreadableFile, extension
from children.models import ImportJob
from convergence.jobs import job_dispatch
from convergence.models import User
from convergence.scoping import scope_for_user
from convergence.uploads import UploadLimits, UploadRefused, check_size, refusal_text

logger = logging.getLogger(__name__)

# Progress lives in the cache: the apply runs in one open transaction, so a rows_done column would
# stay invisible to the page polling it until the very end.
PROGRESS_TIMEOUT_S = 6 * 3600

__all__ = [
    "ImportReport",
    "import_file",
    "import_job_apply",
    "import_job_apply_queue",
    "import_job_check",
    "import_job_create",
    "import_job_progress",
    "import_progress_key",
    "issues_not_shown_text",
]


def import_progress_key(job_id: int) -> str:
    return f"children:import:{job_id}:progress"


def _check_can_import(user: User, *, create_places: bool = False) -> None:
    if not can_write_registry(user) or (create_places and not can_create_places(user)):
        raise PermissionDenied


def _scope_code(user: User) -> str:
    scope = scope_for_user(user)
    if scope.is_superuser:
        return ""
    if scope.is_district_wide:
        return f"{scope.kabupaten_code}." if scope.kabupaten_code else ""
    return scope.desa_code or scope.kecamatan_code or ""


def import_file(
    *,
    source: str | os.PathLike[str] | IO[Any],
    file_name: str,
    user: User,
    commit: bool,
    job: ImportJob | None = None,
    progress: Any = None,
    create_places: bool = False,
    overlap: bool = False,
    pipelined: bool = True,
) -> ImportReport:
    """Check (commit=False) or apply (commit=True) one register file for `user`; returns the report.

    The caller owns the transaction of an apply. `create_places` (Bappeda only) plans, or creates on
    apply, the puskesmas and posyandu the file names and the district lacks (report.places). Raises
    PermissionDenied for roles that may not write the registry (or create places) and
    ValidationError({"file": ...}) when the file cannot be read at all or exceeds a limit of
    convergence.uploads (checked by the reader, wherever this runs, before the file is parsed).
    """
    _check_can_import(user, create_places=create_places)
    try:
        report = import_rows(
            source=source,
            file_name=file_name,
            user=user,
            commit=commit,
            job=job,
            progress=progress,
            create_places=create_places,
            overlap=overlap,
            pipelined=pipelined,
        )
    except UnreadableFile as error:
        raise ValidationError({"file": [refusal_text(error)]}) from error
    if commit and report.changed:
        measurements_changed(
            desa_ids={desa for desa, _, _ in report.changed},
            posyandu_ids={posyandu for _, posyandu, _ in report.changed},
            days={month for _, _, month in report.changed},
        )
    return report


def import_job_create(*, user: User, uploaded_file: UploadedFile, create_places: bool = False) -> ImportJob:
    """Store an uploaded .csv/.xls/.xlsx register as an ImportJob and queue its dry run after commit.

    Only the name and the size are checked here: the request never opens the file (the dry run's
    reader inspects it under every limit). `create_places`: see import_file (PermissionDenied unless
    Bappeda).
    """
    from children.tasks import import_check

    _check_can_import(user, create_places=create_places)
    name = os.path.basename(uploaded_file.name or "")
    if extension(name) not in EXTENSIONS:
        raise ValidationError({"file": [_("Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor")]})
    try:
        check_size(uploaded_file.size or 0, UploadLimits.from_settings())
    except UploadRefused as error:
        raise ValidationError({"file": [refusal_text(error)]}) from error
    with transaction.atomic():
        job = ImportJob(
            original_name=name[:200],
            uploaded_by=user,
            scope_code=_scope_code(user),
            create_places=create_places,
        )
        job.file.save(name, uploaded_file, save=False)
        job.save()
        job_id = job.pk
        job_dispatch(import_check, job_id=job_id)
    return job


def issues_not_shown_text(count: int) -> str:
    """ "… dan N masalah lain tidak ditampilkan": the row issues over IMPORT_MAX_ISSUES_STORED."""
    return _("… dan %(count)s masalah lain tidak ditampilkan") % {
        "count": number_format(count, force_grouping=True)
    }


def job_summary(report: ImportReport, *, create_places: bool = False) -> dict[str, Any]:
    """ImportJob.summary: the counts per action, the file's ignored columns when it has any, and the new
    places when they were asked for."""
    summary: dict[str, Any] = dict(report.summary)
    if report.ignored_columns:
        summary["ignored_columns"] = report.ignored_columns
    if create_places:
        summary["places"] = report.places
    return summary


def _progress_callback(job_id: int, status: str) -> Any:
    def report(rows_done: int, rows_total: int) -> None:
        cache.set(
            import_progress_key(job_id),
            {"status": status, "rows_done": rows_done, "rows_total": rows_total},
            PROGRESS_TIMEOUT_S,
        )

    return report


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.issues_not_stored = 0
    job.save(update_fields=["status", "error", "issues_not_stored"])
    cache.delete(import_progress_key(job.pk))


def _failure_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    # Database errors may quote row values: report the kind only (the log has the traceback).
    return _("Impor gagal karena kesalahan sistem (%(kind)s); hubungi admin.") % {
        "kind": type(error).__name__
    }


def import_job_check(*, job_id: int) -> None:
    """The dry run: CHECKING -> CHECKED (or FAILED); counts, rows_total and ImportRowIssue rows.

    Nothing is written to the registry. Running it again replaces the previous report.
    """
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status in (ImportJob.Status.APPLYING, ImportJob.Status.APPLIED):
        return
    job.status = ImportJob.Status.CHECKING
    job.error = ""
    job.issues_not_stored = 0
    job.save(update_fields=["status", "error", "issues_not_stored"])
    job.issues.all().delete()
    try:
        with job.file.open("rb") as handle:
            report = import_file(
                source=handle,
                file_name=job.original_name,
                user=job.uploaded_by,
                commit=False,
                job=job,
                progress=_progress_callback(job.pk, ImportJob.Status.CHECKING),
                create_places=job.create_places,
            )
    except Exception as error:
        if isinstance(error, ValidationError):  # refused: unreadable or over a limit, not a fault
            logger.warning("import %s: refused: %s", job_id, " ".join(error.messages))
        else:
            logger.exception("import %s: check failed", job_id)
        job.issues.all().delete()
        _fail(job, _failure_text(error))
        return
    job.status = ImportJob.Status.CHECKED
    job.summary = job_summary(report, create_places=job.create_places)
    job.rows_total = job.rows_done = report.rows_total
    job.issues_not_stored = report.issues_not_stored
    job.checked_at = timezone.now()
    job.save(
        update_fields=["status", "summary", "rows_total", "rows_done", "issues_not_stored", "checked_at"]
    )
    cache.delete(import_progress_key(job.pk))
    logger.info("import %s checked: %s rows", job_id, report.rows_total)


def import_job_apply_queue(*, job_id: int, user: User) -> None:
    """Mark a checked job APPLYING and queue its apply (after the current transaction commits)."""
    from children.tasks import import_apply

    job = ImportJob.objects.get(pk=job_id)
    _check_can_import(user, create_places=job.create_places)
    if job.status != ImportJob.Status.CHECKED:
        raise ValidationError(_("Hanya impor yang sudah diperiksa yang dapat diterapkan."))
    if job.file_deleted_at is not None:
        raise ValidationError(
            _("Berkas impor ini sudah dihapus setelah masa simpannya; unggah ulang berkasnya.")
        )
    # Marked at once, so the page says "Sedang diterapkan" and follows the progress while the task waits
    # for a worker; the status condition lets only one of two quick clicks queue it.
    # rows_done restarts at 0: until the job reports, the page shows the apply's progress, not the check's.
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKED).update(
        status=ImportJob.Status.APPLYING, rows_done=0
    ):
        raise ValidationError(_("Hanya impor yang sudah diperiksa yang dapat diterapkan."))
    user_id = user.pk
    job_dispatch(import_apply, job_id=job_id, user_id=user_id)


def import_job_apply(*, job_id: int, user: User) -> None:
    """Apply a checked job in ONE transaction: APPLYING -> APPLIED; rejected rows stay reported.

    Idempotent: an APPLIED job is left alone; the job row is locked for the whole apply, so two
    workers delivering the same task run one after the other and the second finds it APPLIED.
    """
    job = ImportJob.objects.get(pk=job_id)
    _check_can_import(user, create_places=job.create_places)
    if job.status == ImportJob.Status.APPLIED:
        return
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.APPLYING):
        raise ValidationError(_("Hanya impor yang sudah diperiksa yang dapat diterapkan."))
    # Visible to the pages at once (committed before the long transaction starts).
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.APPLYING)
    progress = _progress_callback(job_id, ImportJob.Status.APPLYING)
    progress(0, job.rows_total)
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status == ImportJob.Status.APPLIED:
                return
            job.issues.all().delete()  # the apply writes the final report
            with job.file.open("rb") as handle:
                report = import_file(
                    source=handle,
                    file_name=job.original_name,
                    user=user,
                    commit=True,
                    job=job,
                    progress=progress,
                    create_places=job.create_places,
                )
            job.status = ImportJob.Status.APPLIED
            job.summary = job_summary(report, create_places=job.create_places)
            job.rows_total = job.rows_done = report.rows_total
            job.issues_not_stored = report.issues_not_stored
            job.applied_at = timezone.now()
            job.error = ""
            job.save(
                update_fields=[
                    "status",
                    "summary",
                    "rows_total",
                    "rows_done",
                    "issues_not_stored",
                    "applied_at",
                    "error",
                ]
            )
    except Exception as error:
        logger.exception("import %s: apply failed", job_id)
        job.refresh_from_db()
        _fail(job, _failure_text(error))
        return
    cache.delete(import_progress_key(job_id))
    logger.info("import %s applied: %s rows", job_id, report.rows_total)


def import_job_progress(job: ImportJob) -> dict[str, Any]:
    """status, rows_done, rows_total, percent and summary, live while a check or an apply runs."""
    live = (
        cache.get(import_progress_key(job.pk))
        if job.status
        in (
            ImportJob.Status.CHECKING,
            ImportJob.Status.APPLYING,
        )
        else None
    )
    if live:
        rows_done, rows_total = live["rows_done"], live["rows_total"] or job.rows_total
    else:
        rows_done, rows_total = job.rows_done, job.rows_total
    if job.status in (ImportJob.Status.CHECKED, ImportJob.Status.APPLIED):
        percent = 100
    else:
        percent = 0 if not rows_total else min(100, round(100 * rows_done / rows_total))
    return {
        "status": job.status,
        "rows_done": rows_done,
        "rows_total": rows_total,
        "percent": percent,
        "summary": {key: job.summary.get(key, 0) for key in ACTIONS} if job.summary else {},
    }


def import_files_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored files of jobs uploaded more than IMPORT_FILE_RETENTION_DAYS ago; returns the count.

    Jobs keep their summary and issues; only the uploaded register (personal data) goes. A job still
    being checked or applied keeps its file.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    busy = (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING, ImportJob.Status.APPLYING)
    expired = ImportJob.objects.filter(created_at__lt=cutoff, file_deleted_at__isnull=True).exclude(
        status__in=busy
    )
    count = 0
    for job in expired.iterator():
        if job.file:
            job.file.delete(save=False)
        job.file_deleted_at = now
        job.save(update_fields=["file", "file_deleted_at"])
        count += 1
    return count
