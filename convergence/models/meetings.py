"""Convergence meetings (rembuk stunting and others), their attendance and follow-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models.actions import ConvergenceAction
from convergence.models.regions import OPD, Region
from convergence.models.teams import _in_kabupaten
from convergence.models.users import User

if TYPE_CHECKING:
    from convergence.scoping import Scope


class Meeting(models.Model):
    """A rembuk stunting, mini lokakarya or coordination meeting at kabupaten, kecamatan or desa level."""

    class Kind(models.TextChoices):
        REMBUK = "rembuk_stunting", _("Rembuk stunting")
        MINI_LOKAKARYA = "mini_lokakarya", _("Mini lokakarya")
        PRA_AKSI = "koordinasi_pra_aksi", _("Koordinasi sebelum aksi")
        PASCA_AKSI = "koordinasi_pasca_aksi", _("Koordinasi sesudah aksi")
        LAINNYA = "lainnya", _("Lainnya")

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    # The region of the meeting's level: the kabupaten itself, a kecamatan or a desa.
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("jenis rapat"), max_length=24, choices=Kind.choices)
    action = models.ForeignKey(
        ConvergenceAction,
        verbose_name=_("aksi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    held_on = models.DateField(_("tanggal"))
    title = models.CharField(_("judul"), max_length=200)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("notulen"), blank=True)
    invited = models.ManyToManyField(OPD, verbose_name=_("OPD yang diundang"), blank=True, related_name="+")
    created_by = models.ForeignKey(
        User, verbose_name=_("dibuat oleh"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("rapat")
        verbose_name_plural = _("rapat")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["kabupaten", "held_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d-%m-%Y})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "kabupaten")


class Attendance(models.Model):
    """Whether an OPD came to a meeting and who it sent."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="attendances"
    )
    opd = models.ForeignKey(OPD, verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("hadir"))
    attendee_name = models.CharField(_("nama yang hadir"), max_length=120, blank=True)
    attendee_jabatan = models.CharField(_("jabatan yang hadir"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("kehadiran")
        verbose_name_plural = _("kehadiran")
        ordering = ["meeting", "opd__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "opd"], name="attendance_once_per_opd"),
            models.CheckConstraint(
                condition=Q(present=False) | ~Q(attendee_name=""), name="attendance_present_has_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opd}: {self.attendee_name or '-'}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "meeting__kabupaten")


class FollowUp(models.Model):
    """A follow-up item (rencana tindak lanjut) of a meeting, owned by an OPD with a due date."""

    class Status(models.TextChoices):
        TERBUKA = "terbuka", _("Terbuka")
        SELESAI = "selesai", _("Selesai")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    description = models.TextField(_("uraian"))
    owner_opd = models.ForeignKey(
        OPD, verbose_name=_("OPD pelaksana"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("batas waktu"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.TERBUKA)
    done_on = models.DateField(_("tanggal selesai"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("tindak lanjut")
        verbose_name_plural = _("tindak lanjut")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="selesai", done_on__isnull=False)
                | Q(status="terbuka", done_on__isnull=True),
                name="follow_up_done_on_iff_selesai",
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "meeting__kabupaten")
