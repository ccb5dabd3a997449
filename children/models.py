from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from convergence.scoping import Scope


class MinimumWeightGain(models.Model):
    """One row of the KBM table (kenaikan berat badan minimal, Buku KIA / Permenkes 2/2020).

    A version of the table is the set of rows sharing `valid_from`; the version in force on a day is
    the one with the latest `valid_from` on or before it (children.selectors.kbm_table_on).
    """

    valid_from = models.DateField(_("berlaku mulai"))
    age_month_from = models.PositiveSmallIntegerField(_("umur dari (bulan)"))
    age_month_to = models.PositiveSmallIntegerField(_("umur sampai (bulan, termasuk)"))
    min_gain_g = models.PositiveIntegerField(_("kenaikan minimal (gram)"))
    source = models.TextField(_("sumber"))

    class Meta:
        verbose_name = _("kenaikan berat badan minimal (KBM)")
        verbose_name_plural = _("kenaikan berat badan minimal (KBM)")
        ordering = ["-valid_from", "age_month_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["valid_from", "age_month_from"], name="kbm_unique_valid_from_age"
            ),
            models.CheckConstraint(
                condition=models.Q(age_month_to__gte=models.F("age_month_from")), name="kbm_age_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.age_month_from}-{self.age_month_to} bln ≥ {self.min_gain_g} g"


class Child(models.Model):
    """A child 0-59 months in the by-name-by-address registry, registered at a posyandu.

    Identity (NIK, family, mother) and the duplicate queue come with the registry; the growth
    fields below are what prevalence and the posyandu day need.
    """

    class Sex(models.TextChoices):
        LAKI_LAKI = "L", _("Laki-laki")
        PEREMPUAN = "P", _("Perempuan")

    name = models.CharField(_("nama"), max_length=120)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("tanggal lahir"))
    birth_weight_kg = models.DecimalField(
        _("berat lahir (kg)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    birth_length_cm = models.DecimalField(
        _("panjang lahir (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    posyandu = models.ForeignKey(
        "convergence.Posyandu", verbose_name=_("posyandu"), on_delete=models.PROTECT, related_name="children"
    )
    # The desa of the child's address: the unit puskesmas officers and KPM are scoped by.
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("anak")
        verbose_name_plural = _("anak")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=["L", "P"]), name="child_sex_l_or_p")
        ]
        indexes = [
            models.Index(fields=["posyandu", "birth_date"]),
            models.Index(fields=["desa", "birth_date"]),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="desa", posyandu="posyandu")


class Measurement(models.Model):
    """One anthropometric measurement of a child, with the WHO z-scores computed when it was recorded."""

    class Position(models.TextChoices):
        LYING = "L", _("Telentang (panjang badan)")
        STANDING = "H", _("Berdiri (tinggi badan)")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entri posyandu")
        IMPORT = "import", _("Impor e-PPGBM")
        API = "api", _("API")
        DEMO = "demo", _("Data demo")

    child = models.ForeignKey(
        Child, verbose_name=_("anak"), on_delete=models.CASCADE, related_name="measurements"
    )
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    measured_on = models.DateField(_("tanggal pengukuran"))
    age_days = models.PositiveIntegerField(_("umur (hari)"))
    weight_kg = models.DecimalField(_("berat (kg)"), max_digits=5, decimal_places=2, null=True, blank=True)
    height_cm = models.DecimalField(
        _("panjang/tinggi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    position = models.CharField(_("cara ukur"), max_length=1, choices=Position.choices, blank=True)
    oedema = models.BooleanField(_("edema"), default=False)
    # Length after the WHO position adjustment (+/-0.7 cm), as the engine used it.
    adjusted_height_cm = models.DecimalField(
        _("panjang/tinggi terkoreksi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    waz = models.FloatField(_("z BB/U"), null=True, blank=True)
    haz = models.FloatField(_("z TB/U"), null=True, blank=True)
    whz = models.FloatField(_("z BB/TB"), null=True, blank=True)
    baz = models.FloatField(_("z IMT/U"), null=True, blank=True)
    # Permenkes 2/2020 category codes of children.growth.classify (-1 not computed, -2 WHO flag).
    waz_category = models.SmallIntegerField(_("kategori BB/U"), default=-1)
    haz_category = models.SmallIntegerField(_("kategori TB/U"), default=-1)
    whz_category = models.SmallIntegerField(_("kategori BB/TB"), default=-1)
    baz_category = models.SmallIntegerField(_("kategori IMT/U"), default=-1)
    # children.growth.weight_gain codes: N, T, 2T, O, B (-1 not assessed).
    weight_gain = models.SmallIntegerField(_("naik berat badan"), default=-1)
    source = models.CharField(_("sumber"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("pengukuran")
        verbose_name_plural = _("pengukuran")
        ordering = ["child_id", "measured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "measured_on"], name="measurement_once_per_child_and_day"
            ),
            models.CheckConstraint(
                condition=models.Q(position__in=["", "L", "H"]), name="measurement_position"
            ),
        ]
        indexes = [models.Index(fields=["posyandu", "measured_on"]), models.Index(fields=["measured_on"])]

    def __str__(self) -> str:
        return f"{self.child} {self.measured_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="child__desa", posyandu="posyandu")
