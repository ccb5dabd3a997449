"""The intervention catalogue: indicators, yearly targets, interventions with their eligibility rule,
and Bappeda's weights of the desa lokus scoring.

Targets, rules' parameters and validity dates are data edited by Bappeda; only the rule functions
(interventions.eligibility) are code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from convergence.scoping import Scope


NOTHING = Q(pk__in=[])


class Kind(models.TextChoices):
    SPESIFIK = "spesifik", _("Spesifik")
    SENSITIF = "sensitif", _("Sensitif")
    ESENSIAL = "esensial", _("Cakupan layanan esensial")


class TargetGroup(models.TextChoices):
    REMAJA_PUTRI = "remaja_putri", _("Remaja putri")
    CATIN = "catin", _("Calon pengantin")
    IBU_HAMIL = "ibu_hamil", _("Ibu hamil")
    BADUTA = "baduta", _("Baduta (0-23 bulan)")
    BALITA = "balita", _("Balita (0-59 bulan)")
    KELUARGA = "keluarga", _("Keluarga")


class SubjectKind(models.TextChoices):
    CHILD = "anak", _("Anak")
    PERSON = "penduduk", _("Penduduk")
    KELUARGA = "keluarga", _("Keluarga")


# Who receives an intervention of each target group: a child, a person (woman, girl) or a family card.
SUBJECT_KIND_OF_GROUP: dict[str, str] = {
    TargetGroup.REMAJA_PUTRI: SubjectKind.PERSON,
    TargetGroup.CATIN: SubjectKind.PERSON,
    TargetGroup.IBU_HAMIL: SubjectKind.PERSON,
    TargetGroup.BADUTA: SubjectKind.CHILD,
    TargetGroup.BALITA: SubjectKind.CHILD,
    TargetGroup.KELUARGA: SubjectKind.KELUARGA,
}


def _kabupaten_q(scope: Scope, field: str) -> Q:
    """A kabupaten's own rows; none for the aggregate roles, bound to no kabupaten."""
    if scope.is_superuser:
        return Q()
    if scope.is_empty or not scope.kabupaten_prefix:
        return NOTHING
    return Q(**{f"{field}__code": scope.kabupaten_prefix})


class Indicator(models.Model):
    """A national indicator (Perpres 72/2021 annex, the 29 coverage indicators of SE 400.5/8476/SJ)."""

    code = models.CharField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=255)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    target_group = models.CharField(_("kelompok sasaran"), max_length=16, choices=TargetGroup.choices)
    numerator = models.TextField(_("pembilang"), blank=True)
    denominator = models.TextField(_("penyebut"), blank=True)
    unit = models.CharField(_("satuan"), max_length=20, default="%")
    source = models.TextField(_("sumber"), blank=True)

    class Meta:
        verbose_name = _("indikator")
        verbose_name_plural = _("indikator")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """National reference data: every user with a role reads it."""
        return NOTHING if scope.is_empty else Q()


class IndicatorTarget(models.Model):
    """The target of an indicator for a year: national (kabupaten empty) or the kabupaten's own."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indikator"), on_delete=models.CASCADE, related_name="targets"
    )
    kabupaten = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("kabupaten/kota"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Kosong: target nasional."),
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    target_percent = models.DecimalField(
        _("target (%)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    source = models.TextField(_("sumber"), blank=True)

    class Meta:
        verbose_name = _("target indikator")
        verbose_name_plural = _("target indikator")
        ordering = ["indicator__code", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "kabupaten", "year"],
                condition=Q(kabupaten__isnull=False),
                name="indicator_target_once_per_kabupaten_year",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=Q(kabupaten__isnull=True),
                name="indicator_target_national_once_per_year",
            ),
            models.CheckConstraint(
                condition=Q(target_percent__gte=0) & Q(target_percent__lte=100),
                name="indicator_target_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.target_percent}%"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if not scope.kabupaten_prefix:
            return Q(kabupaten__isnull=True)  # the aggregate roles: the national targets only
        return Q(kabupaten__isnull=True) | Q(kabupaten__code=scope.kabupaten_prefix)


class Intervention(models.Model):
    """An intervention a kabupaten delivers: who is responsible, to whom, by which rule, feeding which indicator."""

    kabupaten = models.ForeignKey(
        "convergence.Region", verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("kode"), max_length=40)
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    target_group = models.CharField(_("kelompok sasaran"), max_length=16, choices=TargetGroup.choices)
    opd = models.ForeignKey(
        "convergence.OPD", verbose_name=_("OPD penanggung jawab"), on_delete=models.PROTECT, related_name="+"
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indikator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
    )
    unit = models.CharField(_("satuan"), max_length=20)
    # A name of interventions.eligibility.RULES; its parameters below.
    eligibility_rule = models.CharField(_("aturan kelayakan"), max_length=60, default="semua")
    rule_params = models.JSONField(_("parameter aturan"), default=dict, blank=True)
    valid_from = models.DateField(_("berlaku mulai"))
    valid_to = models.DateField(_("berlaku sampai"), null=True, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    description = models.TextField(_("keterangan"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intervensi")
        verbose_name_plural = _("intervensi")
        ordering = ["kabupaten__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kabupaten", "code"], name="intervention_code_unique_in_kabupaten"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="intervention_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def subject_kind(self) -> str:
        return SUBJECT_KIND_OF_GROUP[self.target_group]

    def is_valid_between(self, start: datetime.date, end: datetime.date) -> bool:
        return self.is_active and self.valid_from <= end and (self.valid_to is None or self.valid_to >= start)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Every role reads its kabupaten's catalogue."""
        return _kabupaten_q(scope, "kabupaten")


class LokusWeights(models.Model):
    """Bappeda's weights of the desa lokus scoring for a year (Aksi 1); the formula is code, the weights data.

    The score of a desa is the sum over the criteria of weight x the criterion normalised 0-1 across the
    kabupaten's desa (interventions.compute.lokus_scores). No source fixes the weights (domain brief 8.5).
    """

    kabupaten = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("kabupaten/kota"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": ["kabupaten", "kota"]},
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    weight_prevalence = models.DecimalField(
        _("bobot prevalensi stunting"), max_digits=5, decimal_places=2, default=Decimal("0.40")
    )
    weight_cases = models.DecimalField(
        _("bobot jumlah kasus stunting"), max_digits=5, decimal_places=2, default=Decimal("0.30")
    )
    weight_coverage_gap = models.DecimalField(
        _("bobot kesenjangan cakupan layanan"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.20"),
        help_text=_("100 dikurangi rata-rata cakupan indikator layanan esensial yang datanya ada."),
    )
    weight_families_at_risk = models.DecimalField(
        _("bobot proporsi keluarga berisiko stunting"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.10"),
    )
    weight_measurement_gap = models.DecimalField(
        _("bobot balita belum diukur"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("100 dikurangi cakupan pengukuran balita terdaftar."),
    )
    lokus_count = models.PositiveSmallIntegerField(_("jumlah desa lokus yang direkomendasikan"), default=10)
    note = models.TextField(_("catatan/dasar penetapan"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bobot penentuan lokus")
        verbose_name_plural = _("bobot penentuan lokus")
        ordering = ["kabupaten__code", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["kabupaten", "year"], name="lokus_weights_once_per_kabupaten_year"
            ),
            models.CheckConstraint(
                condition=Q(weight_prevalence__gte=0)
                & Q(weight_cases__gte=0)
                & Q(weight_coverage_gap__gte=0)
                & Q(weight_families_at_risk__gte=0)
                & Q(weight_measurement_gap__gte=0),
                name="lokus_weights_not_negative",
                violation_error_message=_("Bobot tidak boleh negatif."),
            ),
            models.CheckConstraint(
                condition=Q(weight_prevalence__gt=0)
                | Q(weight_cases__gt=0)
                | Q(weight_coverage_gap__gt=0)
                | Q(weight_families_at_risk__gt=0)
                | Q(weight_measurement_gap__gt=0),
                name="lokus_weights_one_positive",
                violation_error_message=_("Paling sedikit satu bobot harus lebih dari 0."),
            ),
            models.CheckConstraint(
                condition=Q(lokus_count__gte=1),
                name="lokus_weights_count_positive",
                violation_error_message=_("Jumlah desa lokus paling sedikit 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} (kabupaten {self.kabupaten_id})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Every role of the kabupaten reads its weights; Bappeda edits them."""
        return _kabupaten_q(scope, "kabupaten")
