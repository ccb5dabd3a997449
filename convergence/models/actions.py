"""The eight convergence actions of a kabupaten's year: their outputs, evidence documents and assessment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models.regions import OPD, Region
from convergence.models.teams import _in_kabupaten_or_area
from convergence.models.users import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from convergence.scoping import Scope


class ConvergenceAction(models.Model):
    """One of the eight convergence actions of a kabupaten in a year; lateness is computed, not stored."""

    class Status(models.TextChoices):
        BELUM_MULAI = "belum_mulai", _("Belum mulai")
        BERJALAN = "berjalan", _("Berjalan")
        SELESAI = "selesai", _("Selesai")

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="convergence_actions"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    number = models.PositiveSmallIntegerField(_("aksi"))
    pic_opd = models.ForeignKey(
        OPD,
        verbose_name=_("OPD penanggung jawab"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_in_charge = models.CharField(_("penanggung jawab"), max_length=120, blank=True)
    planned_start = models.DateField(_("rencana mulai"), null=True, blank=True)
    planned_end = models.DateField(_("rencana selesai"), null=True, blank=True)
    actual_start = models.DateField(_("realisasi mulai"), null=True, blank=True)
    actual_end = models.DateField(_("realisasi selesai"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BELUM_MULAI)

    class Meta:
        verbose_name = _("aksi konvergensi")
        verbose_name_plural = _("aksi konvergensi")
        ordering = ["kabupaten__code", "-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["kabupaten", "year", "number"], name="action_once_per_year"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=8), name="action_number_1_to_8"),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="action_planned_ordered",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=models.F("actual_start")),
                name="action_actual_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Aksi {self.number} ({self.year})"

    @property
    def label_2018(self) -> StrOrPromise:
        from convergence.actions import action_definition

        return _(action_definition(self.number).label_2018)

    @property
    def label_kemendagri(self) -> StrOrPromise:
        from convergence.actions import action_definition

        return _(action_definition(self.number).label_kemendagri)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten_or_area(scope, "kabupaten")


class ActionOutput(models.Model):
    """An output of an action (e.g. Aksi 4: the Perbup), done or not, with its evidence documents."""

    action = models.ForeignKey(
        ConvergenceAction, verbose_name=_("aksi"), on_delete=models.CASCADE, related_name="outputs"
    )
    code = models.CharField(_("kode"), max_length=30)
    title = models.CharField(_("judul"), max_length=200)
    required = models.BooleanField(_("wajib"), default=True)
    done = models.BooleanField(_("selesai"), default=False)
    done_on = models.DateField(_("tanggal selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("keluaran aksi")
        verbose_name_plural = _("keluaran aksi")
        ordering = ["action", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "code"], name="action_output_code_unique"),
            models.CheckConstraint(
                condition=Q(done=True) | Q(done_on__isnull=True), name="output_done_on_if_done"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten_or_area(scope, "action__kabupaten")


def evidence_upload_to(instance: EvidenceDocument, filename: str) -> str:
    """`evidence/<year>/<random hex><ext>`: the user's file name never reaches the disk.

    `filename` is already the random name chosen by the service (convergence.evidence.stored_name).
    """
    return f"evidence/{instance.output.action.year}/{filename}"


class EvidenceDocument(models.Model):
    """A document proving an output (berita acara, SK, Perbup...), stored under a random name.

    Served only by the permission-checked download view, never from MEDIA_URL.
    """

    class DocType(models.TextChoices):
        BERITA_ACARA = "berita_acara", _("Berita acara")
        SK = "sk", _("Surat keputusan (SK)")
        PERBUP = "perbup", _("Perbup/Perwali")
        NOTULEN = "notulen", _("Notulen")
        LAPORAN = "laporan", _("Laporan")
        FOTO = "foto", _("Foto")
        LAINNYA = "lainnya", _("Lainnya")

    output = models.ForeignKey(
        ActionOutput, verbose_name=_("keluaran"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("berkas"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("nama berkas asli"), max_length=200)
    doc_type = models.CharField(_("jenis dokumen"), max_length=20, choices=DocType.choices)
    size_bytes = models.PositiveIntegerField(_("ukuran (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("diunggah oleh"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("diunggah pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("dokumen bukti")
        verbose_name_plural = _("dokumen bukti")
        ordering = ["output", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten_or_area(scope, "output__action__kabupaten")


class AssessmentGrade(models.Model):
    """The provincial assessment (penilaian kinerja) grade of one indicator for a kabupaten and year."""

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="assessment_grades"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    indicator_code = models.CharField(_("kode indikator"), max_length=10)
    indicator_text = models.TextField(_("indikator"))
    grade = models.CharField(_("nilai"), max_length=1, choices=Grade.choices)
    notes = models.TextField(_("catatan"), blank=True)
    assessed_on = models.DateField(_("tanggal penilaian"), null=True, blank=True)

    class Meta:
        verbose_name = _("nilai penilaian kinerja")
        verbose_name_plural = _("nilai penilaian kinerja")
        ordering = ["kabupaten__code", "-year", "indicator_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kabupaten", "year", "indicator_code"], name="assessment_grade_once_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.year}: {self.grade}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten_or_area(scope, "kabupaten")
