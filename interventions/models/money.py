"""Budget lines and their revisions: the money that PMT and other interventions are charged to."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models import Role
from interventions.models.catalogue import NOTHING
from interventions.models.delivery import FundingSource

if TYPE_CHECKING:
    from convergence.scoping import Scope


# --- PMT (Pemberian Makanan Tambahan): budget lines, programmes, episodes and money ---------------
# Every rupiah of supplementary feeding is traced from its budget line to the named recipient
# (domain brief 6). Money is Decimal rupiah without cents; money rows are insert-only: a correction is
# a reversing row, never an edit or a delete (interventions.services_pmt).


class _DecimalSize(TypedDict):
    max_digits: int
    decimal_places: int


RUPIAH: _DecimalSize = {"max_digits": 15, "decimal_places": 0}


def _budget_line_q(scope: Scope, prefix: str = "") -> Q:
    """Lines held by a desa are that desa's (Dana Desa, ADD); lines held by an OPD are the OPD's."""
    p = f"{prefix}__" if prefix else ""
    if scope.is_superuser:
        return Q()
    if scope.is_empty:
        return NOTHING
    if scope.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN):
        return Q(**{f"{p}kabupaten__code": scope.kabupaten_code})
    if scope.role == Role.OPD_OFFICER:
        return Q(**{f"{p}opd_id": scope.opd_id})
    if scope.role == Role.PUSKESMAS_OFFICER:
        return Q(**{f"{p}desa__puskesmas_id": scope.puskesmas_id})
    if scope.role in (Role.KPM, Role.KADER):
        return Q(**{f"{p}desa_id": scope.desa_id})
    return NOTHING


class BudgetLine(models.Model):
    """A budget line of a year (programme/activity/sub-activity), held by one OPD or one desa.

    `allocated` is the current allocation: set at creation, changed only by
    services_pmt.budget_line_revise, which records a BudgetRevision with its reason.
    """

    kabupaten = models.ForeignKey(
        "convergence.Region", verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    source = models.CharField(_("sumber dana"), max_length=10, choices=FundingSource.choices)
    opd = models.ForeignKey(
        "convergence.OPD",
        verbose_name=_("OPD pemegang"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("desa pemegang"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    programme_code = models.CharField(_("kode program"), max_length=40, blank=True)
    activity_code = models.CharField(_("kode kegiatan"), max_length=40, blank=True)
    sub_activity_code = models.CharField(_("kode sub kegiatan"), max_length=40, blank=True)
    name = models.CharField(_("nama"), max_length=255)
    original_allocated = models.DecimalField(_("pagu awal (Rp)"), **RUPIAH, editable=False)
    allocated = models.DecimalField(_("pagu (Rp)"), **RUPIAH, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("baris anggaran")
        verbose_name_plural = _("baris anggaran")
        ordering = ["-year", "programme_code", "activity_code", "sub_activity_code", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opd__isnull=False, desa__isnull=True) | Q(opd__isnull=True, desa__isnull=False),
                name="budget_line_one_holder",
                violation_error_message=_("Baris anggaran dipegang oleh tepat satu OPD atau satu desa."),
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(original_allocated__gte=0),
                name="budget_line_allocated_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.sub_activity_code or self.activity_code} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope)


class BudgetRevision(models.Model):
    """A change of a line's allocation (refocusing), with its reason; insert-only."""

    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("baris anggaran"), on_delete=models.PROTECT, related_name="revisions"
    )
    revised_on = models.DateField(_("tanggal"))
    previous_allocated = models.DecimalField(_("pagu sebelumnya (Rp)"), **RUPIAH)
    new_allocated = models.DecimalField(_("pagu baru (Rp)"), **RUPIAH)
    reason = models.TextField(_("alasan"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("revisi anggaran")
        verbose_name_plural = _("revisi anggaran")
        ordering = ["budget_line_id", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(new_allocated__gte=0), name="budget_revision_not_negative"),
            models.CheckConstraint(condition=~Q(reason=""), name="budget_revision_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.budget_line_id} {self.revised_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope, "budget_line")
