"""TPPS teams, their members, and the field workers (KPM, kader) of the district."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models.regions import NOTHING, OPD, Region
from convergence.models.users import User

if TYPE_CHECKING:
    from convergence.scoping import Scope


def _in_kabupaten(scope: Scope, path: str) -> Q:
    """Rows hanging off a Region at `path` inside the user's kabupaten (the region itself or below it).

    Convergence governance (TPPS, the eight actions, meetings, assessment) is public inside the district:
    every role of the kabupaten reads it; who may change a row is decided by the services.
    """
    if scope.is_superuser:
        return Q()
    if scope.is_empty or not scope.kabupaten_prefix:
        return NOTHING
    code = scope.kabupaten_prefix
    return Q(**{f"{path}__code": code}) | Q(**{f"{path}__code__startswith": f"{code}."})


def _in_kabupaten_or_area(scope: Scope, path: str) -> Q:
    """As `_in_kabupaten`, and for the province and national roles every kabupaten of their area: the
    eight actions, their outputs and evidence and the assessment grades are what the province grades."""
    if scope.is_aggregate_only:
        return scope.area_q(f"{path}__code")
    return _in_kabupaten(scope, path)


class Team(models.Model):
    """A TPPS (Tim Percepatan Penurunan Stunting) of a kabupaten, kecamatan or desa, set by decree."""

    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="tpps_set"
    )
    name = models.CharField(_("nama tim"), max_length=160)
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    decree_date = models.DateField(_("tanggal SK"), null=True, blank=True)
    period_start = models.DateField(_("masa kerja mulai"), null=True, blank=True)
    period_end = models.DateField(_("masa kerja selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("TPPS")
        verbose_name_plural = _("TPPS")
        ordering = ["region__code", "-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="team_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "region")


class TeamMember(models.Model):
    class Position(models.TextChoices):
        KETUA = "ketua", _("Ketua")
        WAKIL_KETUA = "wakil_ketua", _("Wakil ketua")
        SEKRETARIS = "sekretaris", _("Sekretaris")
        KOORDINATOR = "koordinator_bidang", _("Koordinator bidang")
        ANGGOTA = "anggota", _("Anggota")

    team = models.ForeignKey(Team, verbose_name=_("tim"), on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("nama"), max_length=120)
    position_in_team = models.CharField(_("kedudukan dalam tim"), max_length=20, choices=Position.choices)
    jabatan = models.CharField(_("jabatan"), max_length=160, blank=True)
    opd = models.ForeignKey(
        OPD, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("telepon"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("anggota TPPS")
        verbose_name_plural = _("anggota TPPS")
        ordering = ["team", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_in_team_display()})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "team__region")


class FieldWorker(models.Model):
    """A KPM (Kader Pembangunan Manusia) or TPK (Tim Pendamping Keluarga) member working in a desa."""

    class Kind(models.TextChoices):
        KPM = "kpm", _("KPM")
        TPK = "tpk", _("TPK")

    kind = models.CharField(_("jenis"), max_length=3, choices=Kind.choices)
    name = models.CharField(_("nama"), max_length=120)
    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="field_workers"
    )
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    period_start = models.DateField(_("masa kerja mulai"), null=True, blank=True)
    period_end = models.DateField(_("masa kerja selesai"), null=True, blank=True)
    user = models.ForeignKey(
        User, verbose_name=_("akun"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(_("telepon"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("KPM/TPK")
        verbose_name_plural = _("KPM/TPK")
        ordering = ["desa__code", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # Names and phone numbers of village workers: seen in their desa's scope, not district-public.
        return scope.q(desa="desa")
