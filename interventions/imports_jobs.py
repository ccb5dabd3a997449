"""Delivery import jobs: the request stores the OPD's sheet; Celery jobs check it (dry run) and apply it.

The request checks the name and the size only and never opens the file: the job reads the sealed copy
(children.storage) through interventions.imports.read_rows, which applies the limits of
convergence.uploads before parsing, then runs interventions.imports.delivery_import. On the embedded
default the same job runs in-process after the commit, with the same limits.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.jobs import job_dispatch
from convergence.models import User
from convergence.scoping import restrict, scope_for_user
from convergence.uploads import UploadLimits, UploadRefused, check_size, refusal_text
from interventions import access, imports
from interventions.models import DeliveryImportJob

logger = logging.getLogger(__name__)

Status = DeliveryImportJob.Status
EXTENSIONS = (".csv", ".xlsx")
RECENT_JOBS = 20
BUSY = (Status.QUEUED, Status.CHECKING, Status.APPLYING)


def gettext_noop(message: str) -> str:
    return message


# The same words as the registers' import jobs (children.imports.services): one translation.
SYSTEM_FAILURE = gettext_noop("Impor gagal karena kesalahan sistem (%(kind)s); hubungi admin.")
FILE_DELETED = gettext_noop("Berkas impor ini sudah dihapus setelah masa simpannya; unggah ulang berkasnya.")
NOT_CHECKED = gettext_noop("Hanya impor yang sudah diperiksa yang dapat diterapkan.")
NOT_ALLOWED = gettext_noop("Pengguna ini tidak berhak mencatat penyaluran.")


def delivery_import_job_list_for_user(*, user: User, limit: int = RECENT_JOBS) -> list[DeliveryImportJob]:
    """The latest delivery import jobs `user` may see (his own, his OPD's, or his kabupaten's)."""
    jobs = restrict(DeliveryImportJob.objects.select_related("uploaded_by"), user)
    return list(jobs.order_by("-created_at", "-pk")[:limit])


def delivery_import_job_get_for_user(*, user: User, pk: int) -> DeliveryImportJob:
    """The job `pk` if `user` may see it; Http404 otherwise."""
    jobs: QuerySet[DeliveryImportJob] = restrict(DeliveryImportJob.objects.all(), user)
    job = jobs.select_related("uploaded_by", "applied_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def delivery_import_job_create(*, user: User, uploaded_file: UploadedFile) -> DeliveryImportJob:
    """Store an uploaded .csv/.xlsx delivery sheet as a job and queue its dry run after commit.

    Only the name and the size are checked here: the request never opens the file. PermissionDenied
    for roles that may not record deliveries, ValidationError({"file": ...}) for a refused upload.
    """
    from interventions.tasks import delivery_import_check

    if not access.can_record_delivery(user):
        raise PermissionDenied
    name = os.path.basename(uploaded_file.name or "")
    if not name.lower().endswith(EXTENSIONS):
        raise ValidationError({"file": [_("Hanya berkas .csv atau .xlsx yang dapat diimpor")]})
    try:
        check_size(uploaded_file.size or 0, UploadLimits.from_settings())
    except UploadRefused as error:
        raise ValidationError({"file": [refusal_text(error)]}) from error
    scope = scope_for_user(user)
    with transaction.atomic():
        job = DeliveryImportJob(
            original_name=name[:200],
            uploaded_by=user,
            kabupaten_code=scope.kabupaten_prefix or "",
            opd_id=scope.opd_id,
        )
        job.file.save(name, uploaded_file, save=False)
        job.save()
        job_id = job.pk
        job_dispatch(delivery_import_check, job_id=job_id)
    return job


def _report(job: DeliveryImportJob, *, commit: bool) -> imports.ImportReport:
    """Read the stored sheet (limits first) and check it, or apply it with `commit`, with the rights of
    its uploader: the apply does what the dry run showed, whoever confirms it."""
    if not access.can_record_delivery(job.uploaded_by):
        raise imports.UnreadableFile(NOT_ALLOWED)
    if job.file_deleted_at is not None or not job.file:
        raise imports.UnreadableFile(FILE_DELETED)
    with job.file.open("rb") as handle:
        rows = imports.read_rows(handle, job.original_name)
    return imports.delivery_import(user=job.uploaded_by, rows=rows, commit=commit)


def _store(job: DeliveryImportJob, report: imports.ImportReport) -> None:
    """The report on the job, at most IMPORT_MAX_ISSUES_STORED rows (a huge sheet must not bloat it)."""
    rows = report.rows
    limit = settings.IMPORT_MAX_ISSUES_STORED
    if len(rows) > limit:
        # Rejected rows are kept first: they are what the uploader has to fix.
        rows = sorted(rows, key=lambda row: row.status != imports.REJECTED)[:limit]
        rows.sort(key=lambda row: row.row_number)
    job.rows = [
        {
            "row": row.row_number,
            "status": row.status,
            "code": row.code,
            "name": row.name,
            "messages": row.messages,
        }
        for row in rows
    ]
    job.summary = report.summary
    job.rows_total = len(report.rows)
    job.rows_not_stored = len(report.rows) - len(rows)
    job.error = {}


def _fail(job: DeliveryImportJob, message: str, params: dict[str, Any] | None = None) -> None:
    job.status = Status.FAILED
    job.error = {"message": message, "params": params or {}}
    job.save(update_fields=["status", "error"])


def _fail_on(job: DeliveryImportJob, error: Exception, step: str) -> None:
    if isinstance(error, UploadRefused):  # refused: unreadable or over a limit, not a fault
        logger.warning("delivery import %s: %s refused: %s", job.pk, step, error.message)
        _fail(job, error.message, error.params)
    else:
        # Database errors may quote row values: the job keeps the kind only (the log has the traceback).
        logger.exception("delivery import %s: %s failed", job.pk, step)
        _fail(job, SYSTEM_FAILURE, {"kind": type(error).__name__})


def delivery_import_job_check(*, job_id: int) -> None:
    """The dry run: CHECKING -> CHECKED (or FAILED) with the report; nothing else is written.

    Running it again replaces the report; a job being applied or applied is left alone.
    """
    job = DeliveryImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status in (Status.APPLYING, Status.APPLIED):
        return
    job.status = Status.CHECKING
    job.save(update_fields=["status"])
    try:
        report = _report(job, commit=False)
    except Exception as error:
        _fail_on(job, error, "check")
        return
    _store(job, report)
    job.status = Status.CHECKED
    job.checked_at = timezone.now()
    job.save(
        update_fields=["status", "rows", "summary", "rows_total", "rows_not_stored", "error", "checked_at"]
    )
    logger.info("delivery import %s checked: %s rows", job_id, job.rows_total)


def delivery_import_job_apply_queue(*, user: User, job: DeliveryImportJob) -> None:
    """Mark a checked job APPLYING and queue its apply after commit (twice: the second is refused).

    PermissionDenied for roles that may not record deliveries; ValidationError when the job is not
    checked or its file is gone.
    """
    from interventions.tasks import delivery_import_apply

    if not access.can_record_delivery(user):
        raise PermissionDenied
    if job.file_deleted_at is not None:
        raise ValidationError(_(FILE_DELETED))
    with transaction.atomic():
        moved = DeliveryImportJob.objects.filter(pk=job.pk, status=Status.CHECKED).update(
            status=Status.APPLYING, applied_by=user
        )
        if not moved:
            raise ValidationError(_(NOT_CHECKED))
        job_id, user_id = job.pk, user.pk
        job_dispatch(delivery_import_apply, job_id=job_id, user_id=user_id)


def delivery_import_job_apply(*, job_id: int, user: User) -> None:
    """Apply a job in ONE transaction, confirmed by `user`: the stored sheet is read again (limits
    first) and checked again with its uploader's rights (who records the deliveries), the new
    deliveries created, the final report stored; APPLYING -> APPLIED.

    Idempotent: an applied job is left alone, and the job row is locked for the whole apply, so two
    workers delivering the same task run one after the other and the second finds it APPLIED.
    """
    job = DeliveryImportJob.objects.get(pk=job_id)
    if job.status not in (Status.CHECKED, Status.APPLYING):
        logger.info("delivery import %s: apply skipped (%s)", job_id, job.status)
        return
    try:
        with transaction.atomic():
            job = DeliveryImportJob.objects.select_for_update().get(pk=job_id)
            if job.status == Status.APPLIED:
                return
            if not access.can_record_delivery(user):
                raise imports.UnreadableFile(NOT_ALLOWED)
            report = _report(job, commit=True)
            _store(job, report)
            job.status = Status.APPLIED
            job.applied_at = timezone.now()
            job.applied_by = user
            job.save()
    except Exception as error:
        job.refresh_from_db()
        _fail_on(job, error, "apply")
        return
    logger.info("delivery import %s applied: %s rows", job_id, job.rows_total)


def delivery_import_files_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored sheets of jobs uploaded more than IMPORT_FILE_RETENTION_DAYS ago; returns the count.

    The sheet holds NIKs and names: it goes, with the names copied into the report; the counts, row
    numbers and reasons stay. A job still queued, checked or applied keeps its file.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    expired = DeliveryImportJob.objects.filter(created_at__lt=cutoff, file_deleted_at__isnull=True).exclude(
        status__in=BUSY
    )
    count = 0
    for job in expired.iterator():
        if job.file:
            job.file.delete(save=False)
        job.file_deleted_at = now
        job.rows = [{**row, "name": ""} for row in job.rows]
        job.save(update_fields=["file", "file_deleted_at", "rows"])
        count += 1
    return count
