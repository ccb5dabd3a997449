"""Models of e-PPGBM file imports: the jobs and the issues of their rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from children.storage import import_storage

if TYPE_CHECKING:
    from convergence.scoping import Scope


class ImportJob(models.Model):
    """One uploaded file of the e-PPGBM layout (or the posyandu register template) and its dry run/apply."""

    class Status(models.TextChoices):
        QUEUED = "antre", _("Dalam antrean")
        CHECKING = "diperiksa", _("Sedang diperiksa")
        CHECKED = "siap", _("Siap diterapkan")
        APPLYING = "diterapkan", _("Sedang diterapkan")
        APPLIED = "selesai", _("Selesai diterapkan")
        FAILED = "gagal", _("Gagal")

    # Sealed at rest (children.storage); deleted after IMPORT_FILE_RETENTION_DAYS (file_deleted_at).
    file = models.FileField(_("berkas"), upload_to="imports/%Y/%m/", storage=import_storage, blank=True)
    file_deleted_at = models.DateTimeField(_("berkas dihapus"), null=True, blank=True, editable=False)
    original_name = models.CharField(_("nama berkas"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diunggah oleh"), on_delete=models.PROTECT, related_name="+"
    )
    # Code prefix of the uploader's unit (e.g. "35.60." or a desa code): who else may see the job.
    scope_code = models.CharField(_("wilayah"), max_length=20, blank=True)
    # Bappeda's choice: create the puskesmas and posyandu the file names and the district lacks; the
    # summary then lists them under "places" (children.imports.places).
    create_places = models.BooleanField(_("buat puskesmas dan posyandu yang belum ada"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("jumlah baris"), default=0)
    rows_done = models.PositiveIntegerField(_("baris diproses"), default=0)
    # Counts per action of the dry run, then of the apply: create/update/unchanged/merge/reject.
    summary = models.JSONField(_("ringkasan"), default=dict, blank=True)
    error = models.TextField(_("kesalahan"), blank=True)
    # Row issues beyond settings.IMPORT_MAX_ISSUES_STORED: counted, not stored (a broken file must not
    # write millions of issue rows).
    issues_not_stored = models.PositiveIntegerField(_("catatan tidak disimpan"), default=0)
    task_id = models.CharField(max_length=50, blank=True, editable=False)
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    checked_at = models.DateTimeField(_("diperiksa"), null=True, blank=True)
    applied_at = models.DateTimeField(_("diterapkan"), null=True, blank=True)

    class Meta:
        verbose_name = _("impor data")
        verbose_name_plural = _("impor data")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        return 100 if not self.rows_total else min(100, round(100 * self.rows_done / self.rows_total))

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if scope.is_superuser:
            return models.Q()
        if scope.is_empty or scope.is_aggregate_only:
            # A file names the people in it: never the aggregate roles' (they upload none).
            return models.Q(pk__in=[])
        if scope.is_district_wide and scope.kabupaten_code:
            return models.Q(scope_code__startswith=f"{scope.kabupaten_code}.")
        return models.Q(uploaded_by_id=scope.user_id)


class ImportRowIssue(models.Model):
    """A rejected row, a row sent to the duplicate queue, or a warning of an import, with its reasons."""

    class Action(models.TextChoices):
        REJECTED = "ditolak", _("Ditolak")
        DUPLICATE = "duplikat", _("Calon duplikat")
        WARNING = "peringatan", _("Peringatan")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("baris"))
    action = models.CharField(_("tindakan"), max_length=10, choices=Action.choices)
    field = models.CharField(_("kolom"), max_length=60, blank=True)
    message = models.TextField(_("pesan"))

    class Meta:
        verbose_name = _("catatan baris impor")
        verbose_name_plural = _("catatan baris impor")
        ordering = ["job_id", "row_number"]
        indexes = [models.Index(fields=["job", "action", "row_number"])]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.message}"
