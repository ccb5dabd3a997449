from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.codes import Level

if TYPE_CHECKING:
    from convergence.scoping import Scope

NOTHING = Q(pk__in=[])


def ancestor_codes(code: str) -> list[str]:
    """'35.10.01.2001' -> ['35', '35.10', '35.10.01']."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


class Region(models.Model):
    """A Kemendagri region: provinsi, kabupaten/kota, kecamatan, desa/kelurahan (dotted code)."""

    class LevelChoices(models.TextChoices):
        PROVINSI = Level.PROVINSI.value, _("Provinsi")
        KABUPATEN = Level.KABUPATEN.value, _("Kabupaten")
        KOTA = Level.KOTA.value, _("Kota")
        KECAMATAN = Level.KECAMATAN.value, _("Kecamatan")
        DESA = Level.DESA.value, _("Desa")
        KELURAHAN = Level.KELURAHAN.value, _("Kelurahan")

    code = models.CharField(_("kode wilayah"), max_length=13, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.CharField(_("tingkat"), max_length=10, choices=LevelChoices.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subregions",
    )
    # The puskesmas whose working area (wilayah kerja) holds this desa/kelurahan.
    puskesmas = models.ForeignKey(
        "Puskesmas",
        verbose_name=_("puskesmas"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desa_set",
    )
    valid_from = models.DateField(_("berlaku sejak"), null=True, blank=True)

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="provinsi", parent__isnull=True)
                | (~Q(level="provinsi") & Q(parent__isnull=False)),
                name="region_parent_unless_provinsi",
            ),
            models.CheckConstraint(
                condition=Q(puskesmas__isnull=True) | Q(level__in=["desa", "kelurahan"]),
                name="region_puskesmas_only_on_desa",
            ),
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.name}"

    @property
    def is_desa_level(self) -> bool:
        return self.level in (Level.DESA, Level.KELURAHAN)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """A user sees the regions of his unit, everything below it and its ancestors (to navigate)."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_district_wide:
            code = scope.kabupaten_code or ""
            return Q(code__startswith=f"{code}.") | Q(code__in=[*ancestor_codes(code), code])
        if scope.puskesmas_id is not None:
            code = scope.kecamatan_code or ""
            return Q(puskesmas_id=scope.puskesmas_id) | Q(code__in=[*ancestor_codes(code), code])
        code = scope.desa_code or ""
        return Q(code__in=[*ancestor_codes(code), code])


class Puskesmas(models.Model):
    """A puskesmas, registered under a kecamatan with a local code; covers a set of desa."""

    kecamatan = models.ForeignKey(
        Region, verbose_name=_("kecamatan"), on_delete=models.PROTECT, related_name="puskesmas_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=120)

    class Meta:
        verbose_name = _("puskesmas")
        verbose_name_plural = _("puskesmas")
        ordering = ["kecamatan__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kecamatan", "code"], name="puskesmas_code_unique_in_kecamatan")
        ]

    def __str__(self) -> str:
        return f"Puskesmas {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_district_wide:
            return Q(kecamatan__code__startswith=f"{scope.kabupaten_code}.")
        if scope.puskesmas_id is not None:
            return Q(pk=scope.puskesmas_id)
        return Q(desa_set__id=scope.desa_id)


class Posyandu(models.Model):
    """A posyandu in a desa/kelurahan, with a local code unique in that desa."""

    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="posyandu_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=120)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    # S of SKDN until the by-name registry holds every balita: children 0-59 months in the area.
    target_balita = models.PositiveIntegerField(_("sasaran balita"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("posyandu")
        verbose_name_plural = _("posyandu")
        ordering = ["desa__code", "code"]
        constraints = [models.UniqueConstraint(fields=["desa", "code"], name="posyandu_code_unique_in_desa")]

    def __str__(self) -> str:
        return f"Posyandu {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.q(desa="desa", posyandu="")


class DesaLokus(models.Model):
    """A desa/kelurahan chosen as priority location (lokus) for a year, by regent decree."""

    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.CASCADE, related_name="lokus"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("desa lokus")
        verbose_name_plural = _("desa lokus")
        ordering = ["-year", "desa__code"]
        constraints = [models.UniqueConstraint(fields=["desa", "year"], name="desa_lokus_once_per_year")]

    def __str__(self) -> str:
        return f"{self.desa} ({self.year})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.q(desa="desa")


class OPD(models.Model):
    """A regional government agency (Organisasi Perangkat Daerah) taking part in convergence."""

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="opd_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=160)
    short_name = models.CharField(_("singkatan"), max_length=40)
    is_leading_sector = models.BooleanField(_("leading sector"), default=False)
    tupoksi = models.TextField(_("tugas pokok dan fungsi"), blank=True)

    class Meta:
        verbose_name = _("OPD")
        verbose_name_plural = _("OPD")
        ordering = ["kabupaten__code", "short_name"]
        constraints = [
            models.UniqueConstraint(fields=["kabupaten", "code"], name="opd_code_unique_in_kabupaten")
        ]

    def __str__(self) -> str:
        return self.short_name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Every role reads the agencies of its own kabupaten (their names are public)."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        return Q(kabupaten__code=scope.kabupaten_prefix)


class Role(models.TextChoices):
    BAPPEDA_ADMIN = "bappeda_admin", _("Admin Bappeda")
    PIMPINAN = "pimpinan", _("Bupati / pimpinan TPPS")
    OPD_OFFICER = "opd_officer", _("Petugas OPD")
    PUSKESMAS_OFFICER = "puskesmas_officer", _("Petugas puskesmas")
    KADER = "kader", _("Kader posyandu")
    KPM = "kpm", _("Kader Pembangunan Manusia (KPM)")


class User(AbstractUser):
    """A person using the application, bound to the organisation unit their role works in."""

    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    kabupaten = models.ForeignKey(
        Region,
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opd = models.ForeignKey(
        OPD, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    puskesmas = models.ForeignKey(
        Puskesmas,
        verbose_name=_("puskesmas"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    desa = models.ForeignKey(
        Region,
        verbose_name=_("desa/kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    posyandu = models.ForeignKey(
        Posyandu,
        verbose_name=_("posyandu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            # Each role is bound to exactly the organisation unit it works in.
            models.CheckConstraint(
                condition=Q(role="")
                | Q(role__in=["bappeda_admin", "pimpinan"], kabupaten__isnull=False)
                | Q(role="opd_officer", opd__isnull=False)
                | Q(role="puskesmas_officer", puskesmas__isnull=False)
                | Q(role="kader", posyandu__isnull=False)
                | Q(role="kpm", desa__isnull=False),
                name="user_role_has_org_unit",
            ),
        ]

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Bappeda admins manage the accounts of their kabupaten; everyone else sees only himself."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return Q(pk=scope.user_id) if scope.user_id else NOTHING
        if scope.role == Role.BAPPEDA_ADMIN:
            inside = f"{scope.kabupaten_code}."
            return (
                Q(kabupaten__code=scope.kabupaten_code)
                | Q(opd__kabupaten__code=scope.kabupaten_code)
                | Q(puskesmas__kecamatan__code__startswith=inside)
                | Q(desa__code__startswith=inside)
                | Q(posyandu__desa__code__startswith=inside)
            )
        return Q(pk=scope.user_id)
