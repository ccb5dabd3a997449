"""An OPD's delivery spreadsheet uploaded for import: the stored file, its dry-run report and its apply.

The file is parsed by a Celery job (interventions.imports_jobs), never in the request, under the limits
of convergence.uploads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from children.models import ImportJob
from children.storage import import_storage
from convergence.models import Role

if TYPE_CHECKING:
    from convergence.scoping import Scope


class DeliveryImportJob(models.Model):
    """One uploaded delivery sheet (.csv/.xlsx) of an OPD and its dry run/apply."""

    # The same steps and words as the registers' import jobs.
    Status = ImportJob.Status

    # Sealed at rest (children.storage); deleted after IMPORT_FILE_RETENTION_DAYS (file_deleted_at).
    file = models.FileField(
        _("berkas"), upload_to="delivery-imports/%Y/%m/", storage=import_storage, blank=True
    )
    file_deleted_at = models.DateTimeField(_("berkas dihapus"), null=True, blank=True, editable=False)
    original_name = models.CharField(_("nama berkas"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diunggah oleh"), on_delete=models.PROTECT, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diterapkan oleh"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who else may see the job: Bappeda and pimpinan of the uploader's kabupaten, and the officers of
    # the uploader's OPD (the report names the OPD's beneficiaries).
    kabupaten_code = models.CharField(_("kabupaten/kota"), max_length=20, blank=True)
    opd = models.ForeignKey(
        "convergence.OPD",
        verbose_name=_("OPD"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Counts per row status (baru, sudah ada, ditolak) of the dry run, then of the apply.
    summary = models.JSONField(_("ringkasan"), default=dict, blank=True)
    # Row results {"row", "status", "code", "name", "messages"}, messages as msgids (or [msgid, params])
    # translated when shown; at most IMPORT_MAX_ISSUES_STORED rows, the rest counted in rows_not_stored.
    rows = models.JSONField(_("hasil per baris"), default=list, blank=True)
    rows_total = models.PositiveIntegerField(_("jumlah baris"), default=0)
    rows_not_stored = models.PositiveIntegerField(_("baris tidak disimpan"), default=0)
    # Why the job failed: {"message": msgid, "params": {...}} (convergence.uploads.refusal_text).
    error = models.JSONField(_("kesalahan"), default=dict, blank=True)
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    checked_at = models.DateTimeField(_("diperiksa"), null=True, blank=True)
    applied_at = models.DateTimeField(_("diterapkan"), null=True, blank=True)

    class Meta:
        verbose_name = _("impor penyaluran")
        verbose_name_plural = _("impor penyaluran")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["uploaded_by", "-created_at"])]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.CHECKING, self.Status.APPLYING)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty or scope.is_aggregate_only:
            # A sheet names the people served: never the aggregate roles' (they upload none).
            return Q(pk__in=[])
        own = Q(uploaded_by_id=scope.user_id)
        if scope.role == Role.OPD_OFFICER and scope.opd_id:
            return own | Q(opd_id=scope.opd_id)
        if scope.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN) and scope.kabupaten_code:
            return own | Q(kabupaten_code=scope.kabupaten_code)
        return own
