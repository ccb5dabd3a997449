"""Models of growth monitoring: measurements and the minimum weight gain table (KBM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children import rules
from children.models.registry import Child

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

    # Served by the unique (child, measured_on) index.
    child = models.ForeignKey(
        Child, verbose_name=_("anak"), on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    # Served by a composite index below that starts with this column.
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.PROTECT,
        related_name="measurements",
        db_index=False,
    )
    measured_on = models.DateField(_("tanggal pengukuran"))
    age_days = models.PositiveIntegerField(_("umur (hari)"))
    weight_kg = models.DecimalField(_("berat (kg)"), max_digits=5, decimal_places=2, null=True, blank=True)
    height_cm = models.DecimalField(
        _("panjang/tinggi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    position = models.CharField(_("cara ukur"), max_length=1, choices=Position.choices, blank=True)
    oedema = models.BooleanField(_("edema"), default=False)
    lila_cm = models.DecimalField(_("LiLA (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    head_circumference_cm = models.DecimalField(
        _("lingkar kepala (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    vitamin_a = models.BooleanField(_("vitamin A"), default=False)
    pmt_received = models.BooleanField(_("PMT diterima"), default=False)
    pmt_kg = models.DecimalField(
        _("PMT diterima (kg)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Length after the WHO position adjustment (+/-0.7 cm), as the engine used it.
    adjusted_height_cm = models.DecimalField(
        _("panjang/tinggi terkoreksi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    waz = models.FloatField(_("z BB/U"), null=True, blank=True)
    haz = models.FloatField(_("z TB/U"), null=True, blank=True)
    whz = models.FloatField(_("z BB/TB"), null=True, blank=True)
    baz = models.FloatField(_("z IMT/U"), null=True, blank=True)
    hcz = models.FloatField(_("z LK/U"), null=True, blank=True)
    acz = models.FloatField(_("z LiLA/U"), null=True, blank=True)
    # Permenkes 2/2020 category codes of children.growth.classify (-1 not computed, -2 WHO flag).
    waz_category = models.SmallIntegerField(_("kategori BB/U"), default=-1)
    haz_category = models.SmallIntegerField(_("kategori TB/U"), default=-1)
    whz_category = models.SmallIntegerField(_("kategori BB/TB"), default=-1)
    baz_category = models.SmallIntegerField(_("kategori IMT/U"), default=-1)
    # children.growth.weight_gain codes: N, T, 2T, O, B (-1 not assessed).
    weight_gain = models.SmallIntegerField(_("naik berat badan"), default=-1)
    # children.growth.codes ERROR_* bits the engine raised (WHO flags, missing inputs); 0 = clean.
    error_flags = models.IntegerField(_("tanda kesalahan"), default=0)
    # The kader confirmed an implausible value by measuring again (WHO flag, shrinking height).
    remeasure_confirmed = models.BooleanField(_("sudah diukur ulang"), default=False)
    source = models.CharField(_("sumber"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    # Made by the phone or page that entered the measurement, so that a resent entry (a lost answer, an
    # offline batch synced twice) finds the row it made instead of adding a second one.
    client_id = models.UUIDField(_("ID entri perangkat"), null=True, blank=True, unique=True, editable=False)
    # The row as the imported file wrote it ({header: cell}), kept for the rows a reviewer reads again:
    # those with a warning and those that changed stored data. Every imported row is found in its
    # file through import_job (an upload keeps the file) and import_row.
    raw = models.JSONField(_("nilai asli impor"), null=True, blank=True, editable=False)
    import_row = models.PositiveIntegerField(_("baris berkas impor"), null=True, blank=True, editable=False)
    # import_job and measured_by are audit pointers without a database constraint: the bulk import
    # writes them on every row with ids it holds (the job it runs, the uploader), and PostgreSQL's
    # check of each one (a look-up per inserted row) took a tenth of the import's database time.
    # on_delete=SET_NULL is carried out by Django's deletion collector either way.
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("impor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_constraint=False,
    )
    # Never filtered on; an index would only slow the bulk import.
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

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
            # The plausibility bounds of children.rules, the table every entry point applies.
            *rules.check_constraints("measurement"),
        ]
        indexes = [models.Index(fields=["posyandu", "measured_on"]), models.Index(fields=["measured_on"])]

    def __str__(self) -> str:
        return f"{self.child} {self.measured_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="child__desa", posyandu="posyandu")
