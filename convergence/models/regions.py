"""The district's geography and service points: regions (kode wilayah), puskesmas, posyandu, desa lokus
and OPD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.codes import Level, name_with_level

if TYPE_CHECKING:
    from convergence.scoping import Scope


NOTHING = Q(pk__in=[])


RETIRED_LABEL = _("(tidak berlaku)")


def ancestor_codes(code: str) -> list[str]:
    """'35.10.01.2001' -> ['35', '35.10', '35.10.01']."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


class RegionQuerySet(models.QuerySet["Region"]):
    def active(self) -> RegionQuerySet:
        """The regions the current official list still carries: for pickers, new records and rankings."""
        return self.filter(retired_at__isnull=True)


class Region(models.Model):
    """A Kemendagri region: provinsi, kabupaten/kota, kecamatan, desa/kelurahan (dotted code).

    A region that a newer official list no longer carries is retired, never deleted: the people,
    measurements and summaries recorded there keep their place.
    """

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
    # Set by `load_regions --retire-missing` when the official list drops the code; cleared when a
    # later list carries it again.
    retired_at = models.DateTimeField(_("tidak berlaku sejak"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

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
        if self.retired_at is not None:
            return f"{self.display_name} {RETIRED_LABEL}"
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name with its level word, printed once: 'Kabupaten Banyuwangi' whether stored so or not."""
        return name_with_level(self.name, self.level, str(self.get_level_display()))

    @property
    def name_label(self) -> str:
        """The stored name, marked when retired: for columns whose heading already says the level."""
        return f"{self.name} {RETIRED_LABEL}" if self.retired_at is not None else self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

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
        if scope.is_aggregate_only:
            # Names of places are public; the province's regions (or all, nationally) to navigate. Its
            # area_q holds the province itself (an OR with Q() would drop the national role's "all").
            return scope.area_q()
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
        return name_with_level(self.name, Level.PUSKESMAS)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_aggregate_only:
            # A puskesmas is a place, not a person: the aggregate roles read those of their area.
            return scope.area_q("kecamatan__code")
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
        return name_with_level(self.name, Level.POSYANDU)

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
        """Every role reads the agencies of its own kabupaten (their names are public); the aggregate
        roles, bound to no kabupaten, none."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty or not scope.kabupaten_prefix:
            return NOTHING
        return Q(kabupaten__code=scope.kabupaten_prefix)
