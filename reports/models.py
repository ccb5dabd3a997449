"""Summary tables the dashboards, publications and API read: prevalence per unit and period, the
district's target rule, the national path and survey figures.

The summaries hold counts only (never percentages), so every level is a plain sum of the level below
and a percentage, its confidence interval and the target status are computed when read
(reports/compute.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models import NOTHING, Posyandu, Region

if TYPE_CHECKING:
    from convergence.scoping import Scope

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class PrevalenceSummary(models.Model):
    """Children counted once per period and unit: the latest valid measurement of each index.

    A posyandu row counts the children whose counted measurement was taken there; desa, kecamatan
    and kabupaten rows count children by the desa they live in (by name, by address). WHO-flagged
    values are left out of an index and counted in its `*_flagged` column.
    """

    class Level(models.TextChoices):
        POSYANDU = "posyandu", _("Posyandu")
        DESA = "desa", _("Desa/kelurahan")
        KECAMATAN = "kecamatan", _("Kecamatan")
        KABUPATEN = "kabupaten", _("Kabupaten/kota")

    class PeriodKind(models.TextChoices):
        MONTH = "M", _("Bulan")
        YEAR = "Y", _("Tahun")

    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    # The region itself; for a posyandu row, the posyandu's desa.
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.CASCADE, related_name="prevalence_rows"
    )
    # No single-column indexes on posyandu and kecamatan: the unique (posyandu, period) constraint and
    # the (kecamatan, period) index lead with them, and a full recompute writes every index of every
    # row (ten years of a district are hundreds of thousands of rows).
    posyandu = models.ForeignKey(
        Posyandu, verbose_name=_("posyandu"), null=True, blank=True, on_delete=models.CASCADE, db_index=False
    )
    # The chunk a recompute rewrites at once; empty for the kabupaten rows (a sum of the chunks).
    kecamatan = models.ForeignKey(
        Region,
        verbose_name=_("kecamatan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    period_kind = models.CharField(_("jenis periode"), max_length=1, choices=PeriodKind.choices)
    period = models.DateField(_("periode"))  # first day of the month or of the year

    registered = models.PositiveIntegerField(_("balita terdaftar"), default=0)
    measured = models.PositiveIntegerField(_("balita diukur"), default=0)

    haz_flagged = models.PositiveIntegerField(_("TB/U di luar batas WHO"), default=0)
    haz_sangat_pendek = models.PositiveIntegerField(_("sangat pendek"), default=0)
    haz_pendek = models.PositiveIntegerField(_("pendek"), default=0)
    haz_normal = models.PositiveIntegerField(_("normal (TB/U)"), default=0)
    haz_tinggi = models.PositiveIntegerField(_("tinggi"), default=0)

    waz_flagged = models.PositiveIntegerField(_("BB/U di luar batas WHO"), default=0)
    waz_sangat_kurang = models.PositiveIntegerField(_("berat badan sangat kurang"), default=0)
    waz_kurang = models.PositiveIntegerField(_("berat badan kurang"), default=0)
    waz_normal = models.PositiveIntegerField(_("berat badan normal"), default=0)
    waz_risiko_lebih = models.PositiveIntegerField(_("risiko berat badan lebih"), default=0)

    whz_flagged = models.PositiveIntegerField(_("BB/TB di luar batas WHO"), default=0)
    whz_gizi_buruk = models.PositiveIntegerField(_("gizi buruk"), default=0)
    whz_gizi_kurang = models.PositiveIntegerField(_("gizi kurang"), default=0)
    whz_gizi_baik = models.PositiveIntegerField(_("gizi baik"), default=0)
    whz_berisiko_gizi_lebih = models.PositiveIntegerField(_("berisiko gizi lebih"), default=0)
    whz_gizi_lebih = models.PositiveIntegerField(_("gizi lebih"), default=0)
    whz_obesitas = models.PositiveIntegerField(_("obesitas"), default=0)

    computed_at = models.DateTimeField(_("dihitung"), auto_now=True)

    class Meta:
        verbose_name = _("ringkasan prevalensi")
        verbose_name_plural = _("ringkasan prevalensi")
        ordering = ["period_kind", "period", "level", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period_kind", "period"],
                condition=Q(posyandu__isnull=True),
                name="prevalence_once_per_region_and_period",
            ),
            models.UniqueConstraint(
                fields=["posyandu", "period_kind", "period"],
                condition=Q(posyandu__isnull=False),
                name="prevalence_once_per_posyandu_and_period",
            ),
            models.CheckConstraint(
                condition=Q(level="posyandu", posyandu__isnull=False)
                | (~Q(level="posyandu") & Q(posyandu__isnull=True)),
                name="prevalence_posyandu_only_on_posyandu_rows",
            ),
        ]
        indexes = [
            models.Index(fields=["kecamatan", "period_kind", "period"]),
            models.Index(fields=["level", "period_kind", "period"]),
        ]

    def __str__(self) -> str:
        unit = self.posyandu or self.region
        return f"{unit} {self.period:%Y-%m}"

    @property
    def haz_counted(self) -> int:
        return self.haz_sangat_pendek + self.haz_pendek + self.haz_normal + self.haz_tinggi

    @property
    def stunted(self) -> int:
        return self.haz_sangat_pendek + self.haz_pendek

    @property
    def waz_counted(self) -> int:
        return self.waz_sangat_kurang + self.waz_kurang + self.waz_normal + self.waz_risiko_lebih

    @property
    def whz_counted(self) -> int:
        return (
            self.whz_gizi_buruk
            + self.whz_gizi_kurang
            + self.whz_gizi_baik
            + self.whz_berisiko_gizi_lebih
            + self.whz_gizi_lebih
            + self.whz_obesitas
        )

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """A role reads the rows of its own unit and below, and the aggregate rows above it.

        Kecamatan and kabupaten figures are published anyway (Aksi 7); a kader does not see another
        posyandu's or desa's figures.
        """
        from convergence.models import Role

        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_aggregate_only:
            # The province sees kabupaten and kecamatan figures of its area, not a desa's small cells.
            return scope.area_q("region__code") & Q(level__in=[cls.Level.KABUPATEN, cls.Level.KECAMATAN])
        kab = scope.kabupaten_prefix
        if scope.is_district_wide:
            return Q(region__code=kab) | Q(region__code__startswith=f"{kab}.")
        above = Q(level=cls.Level.KABUPATEN, region__code=kab)
        if scope.role == Role.PUSKESMAS_OFFICER:
            own = Q(level__in=[cls.Level.POSYANDU, cls.Level.DESA], region__puskesmas_id=scope.puskesmas_id)
            kecamatan = Q(level=cls.Level.KECAMATAN, region__puskesmas_set__id=scope.puskesmas_id)
            return own | kecamatan | above
        desa_code = scope.desa_code or ""
        kecamatan = Q(level=cls.Level.KECAMATAN, region__code=desa_code.rsplit(".", 1)[0])
        if scope.role == Role.KPM:
            return (
                Q(level__in=[cls.Level.POSYANDU, cls.Level.DESA], region_id=scope.desa_id) | kecamatan | above
            )
        if scope.role == Role.KADER:
            return Q(level=cls.Level.POSYANDU, posyandu_id=scope.posyandu_id) | kecamatan | above
        return NOTHING


class RecomputeRun(models.Model):
    """One scheduled full recompute: the unique day stops a second beat from starting another."""

    kabupaten = models.ForeignKey(Region, verbose_name=_("kabupaten/kota"), on_delete=models.CASCADE)
    scheduled_for = models.DateField(_("jadwal"))
    started_at = models.DateTimeField(_("mulai"), auto_now_add=True)

    class Meta:
        verbose_name = _("hitung ulang terjadwal")
        verbose_name_plural = _("hitung ulang terjadwal")
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["kabupaten", "scheduled_for"], name="recompute_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.kabupaten} {self.scheduled_for}"


class RecomputeChunk(models.Model):
    """One kecamatan of a scheduled recompute; `done_at` is set once its rows are written."""

    run = models.ForeignKey(
        RecomputeRun, verbose_name=_("hitung ulang"), on_delete=models.CASCADE, related_name="chunks"
    )
    kecamatan = models.ForeignKey(
        Region, verbose_name=_("kecamatan"), on_delete=models.CASCADE, related_name="+"
    )
    done_at = models.DateTimeField(_("selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("bagian hitung ulang")
        verbose_name_plural = _("bagian hitung ulang")
        constraints = [models.UniqueConstraint(fields=["run", "kecamatan"], name="recompute_chunk_once")]

    def __str__(self) -> str:
        return f"{self.run} {self.kecamatan}"


class TargetRule(models.Model):
    """The district's reduction rule: Perbup Banyuwangi 68/2020 asks at least 1 point a year."""

    kabupaten = models.OneToOneField(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.CASCADE, related_name="target_rule"
    )
    regulation = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("tahun dasar"), null=True, blank=True)
    min_reduction_points = models.DecimalField(
        _("penurunan minimal per tahun (poin persen)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    target_year = models.PositiveSmallIntegerField(_("tahun target"), null=True, blank=True)
    target_pct = models.DecimalField(
        _("target prevalensi (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )

    class Meta:
        verbose_name = _("aturan target daerah")
        verbose_name_plural = _("aturan target daerah")

    def __str__(self) -> str:
        return f"{self.kabupaten}: {self.regulation}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_aggregate_only:
            return scope.area_q("kabupaten__code")
        return Q(kabupaten__code=scope.kabupaten_prefix)


class DashboardRule(models.Model):
    """The district's rules for honest defaults: which month counts as complete, which unit is ranked.

    A month is complete when its coverage (children measured / registered) reaches
    `complete_share_of_best_pct` of the best coverage of the 12 months up to the latest one, and
    `complete_min_coverage_pct` when set. A district without a row uses the field defaults.
    """

    kabupaten = models.OneToOneField(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.CASCADE, related_name="dashboard_rule"
    )
    complete_share_of_best_pct = models.DecimalField(
        _("bulan lengkap: cakupan minimal (% dari cakupan terbaik 12 bulan terakhir)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60.00"),
        validators=PERCENT,
    )
    complete_min_coverage_pct = models.DecimalField(
        _("bulan lengkap: cakupan minimal mutlak (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    min_measured_to_rank = models.PositiveSmallIntegerField(
        _("balita diukur minimal agar wilayah diperingkat"), default=10
    )

    class Meta:
        verbose_name = _("aturan dasbor daerah")
        verbose_name_plural = _("aturan dasbor daerah")

    def __str__(self) -> str:
        return str(self.kabupaten)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty or not scope.kabupaten_prefix:
            return NOTHING  # a kabupaten's own dashboard rules; the aggregate roles have none
        return Q(kabupaten__code=scope.kabupaten_prefix)


class NationalTarget(models.Model):
    """The national stunting path (RPJMN): 14% by 2024, 14.2% by 2029."""

    year = models.PositiveSmallIntegerField(_("tahun"), unique=True)
    stunting_pct = models.DecimalField(
        _("target stunting (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    source = models.CharField(_("sumber"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("target nasional")
        verbose_name_plural = _("target nasional")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.stunting_pct}%"


class ProvincialTarget(models.Model):
    """A province's own stunting path (its RPJMD figure per year), entered by the provincial Bappeda."""

    provinsi = models.ForeignKey(
        Region, verbose_name=_("provinsi"), on_delete=models.PROTECT, related_name="provincial_targets"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    stunting_pct = models.DecimalField(
        _("target stunting (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    source = models.CharField(_("sumber"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diubah oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("diubah pada"), auto_now=True)

    class Meta:
        verbose_name = _("target provinsi")
        verbose_name_plural = _("target provinsi")
        ordering = ["provinsi__code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["provinsi", "year"], name="provincial_target_once_per_year"),
            models.CheckConstraint(
                condition=Q(stunting_pct__gte=0, stunting_pct__lte=100), name="provincial_target_pct_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provinsi} {self.year}: {self.stunting_pct}%"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Public inside the province: its kabupaten read the path they are held to."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_aggregate_only:
            return scope.area_q("provinsi__code")
        kab = scope.kabupaten_prefix
        return Q(provinsi__code=kab[:2]) if kab else NOTHING


class SurveyFigure(models.Model):
    """A survey's prevalence for a region and year, shown beside the routine figures, labelled."""

    class Source(models.TextChoices):
        SSGI = "SSGI", _("SSGI (Studi Status Gizi Indonesia)")
        SKI = "SKI", _("SKI (Survei Kesehatan Indonesia)")
        RISKESDAS = "Riskesdas", _("Riskesdas")
        SSGBI = "SSGBI", _("SSGBI")
        OTHER = "lain", _("Survei lain")

    region = models.ForeignKey(Region, verbose_name=_("wilayah"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    source = models.CharField(_("sumber"), max_length=10, choices=Source.choices)
    stunting_pct = models.DecimalField(_("stunting (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    wasting_pct = models.DecimalField(
        _("wasting (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    underweight_pct = models.DecimalField(
        _("underweight (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("angka survei")
        verbose_name_plural = _("angka survei")
        ordering = ["region__code", "year", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "source"], name="survey_once_per_region_year_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.year} {self.region}: {self.stunting_pct}%"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_aggregate_only:
            return scope.area_q("region__code")
        kab = scope.kabupaten_prefix
        return Q(region__code=kab) | Q(region__code__startswith=f"{kab}.")


from reports.models_maps import RegionMap  # noqa: E402,F401
from reports.models_quality import DataQualitySummary  # noqa: E402,F401
