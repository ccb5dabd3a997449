"""Models of mothers and adolescent girls: pregnancies with their ANC visits, iron tablets (TTD)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children.models.registry import Child, Person

if TYPE_CHECKING:
    from convergence.scoping import Scope


class Pregnancy(models.Model):
    """A pregnancy episode of a woman in the registry, from HPHT to delivery and nifas.

    The KEK/anaemia/risk fields and the TTD and ANC totals are derived from the visits by
    children.services.pregnancy_refresh (children.compute.pregnancy) and stored for lists and gap queries.
    """

    class Outcome(models.TextChoices):
        ONGOING = "berlangsung", _("Masih hamil")
        LIVE_BIRTH = "lahir_hidup", _("Lahir hidup")
        STILLBIRTH = "lahir_mati", _("Lahir mati")
        MISCARRIAGE = "keguguran", _("Keguguran")

    # Depkes 2010 risk history items recorded by the midwife; the "4 terlalu" are computed.
    class RiskFactor(models.TextChoices):
        HEIGHT_UNDER_145 = "tb_kurang_145", _("Tinggi badan < 145 cm")
        HYPERTENSION_HISTORY = "riwayat_hipertensi", _("Riwayat hipertensi")
        CHRONIC_DISEASE = "penyakit_kronis", _("Penyakit kronis (TB, jantung, ginjal, hati, DM, dll.)")
        BAD_OBSTETRIC_HISTORY = "riwayat_obstetri_buruk", _("Riwayat obstetri buruk")
        COMPLICATED_DELIVERY = "persalinan_lalu_dengan_tindakan", _("Persalinan lalu dengan tindakan")
        MULTIPLE = "kehamilan_ganda", _("Kehamilan ganda")
        MALPOSITION = "kelainan_letak", _("Kelainan letak janin")
        OTHER = "lainnya", _("Lainnya")

    mother = models.ForeignKey(
        Person, verbose_name=_("ibu"), on_delete=models.PROTECT, related_name="pregnancies"
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pregnancies",
    )
    lmp_date = models.DateField(_("HPHT"), null=True, blank=True)
    expected_delivery_date = models.DateField(_("HPL"), null=True, blank=True)
    gravida = models.PositiveSmallIntegerField(_("kehamilan ke (G)"), default=1)
    parity = models.PositiveSmallIntegerField(_("persalinan (P)"), default=0)
    abortus = models.PositiveSmallIntegerField(_("keguguran (A)"), default=0)
    last_delivery_date = models.DateField(_("tanggal persalinan sebelumnya"), null=True, blank=True)
    height_cm = models.DecimalField(
        _("tinggi badan ibu (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    pre_pregnancy_weight_kg = models.DecimalField(
        _("berat sebelum hamil (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    risk_history = models.JSONField(_("riwayat faktor risiko"), default=list, blank=True)
    outcome = models.CharField(_("hasil"), max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    delivery_date = models.DateField(_("tanggal persalinan"), null=True, blank=True)
    newborn = models.ForeignKey(
        Child,
        verbose_name=_("bayi"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="birth_pregnancies",
    )
    postnatal_visits = models.PositiveSmallIntegerField(_("kunjungan nifas"), default=0)
    # Derived from the visits and the risk rules (children.compute.pregnancy); never entered.
    ttd_total = models.PositiveIntegerField(_("TTD diterima (tablet)"), default=0, editable=False)
    anc_visits = models.PositiveSmallIntegerField(_("kunjungan ANC"), default=0, editable=False)
    is_kek = models.BooleanField(_("KEK"), default=False, editable=False)
    is_anaemic = models.BooleanField(_("anemia"), default=False, editable=False)
    is_high_risk = models.BooleanField(_("risiko tinggi"), default=False, editable=False)
    risk_flags = models.JSONField(_("tanda risiko"), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kehamilan")
        verbose_name_plural = _("kehamilan")
        ordering = ["-lmp_date"]
        indexes = [models.Index(fields=["desa", "outcome"]), models.Index(fields=["mother", "lmp_date"])]

    def __str__(self) -> str:
        return f"{self.mother} G{self.gravida}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        # A desa's pregnant women attend any of its posyandu: a kader follows those of her desa.
        return scope.q(desa="desa")


class PregnancyVisit(models.Model):
    """One antenatal (or other) contact: weight, LiLA, Hb, blood pressure and TTD given."""

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("kehamilan"), on_delete=models.CASCADE, related_name="visits"
    )
    visit_date = models.DateField(_("tanggal kunjungan"))
    is_anc = models.BooleanField(_("pemeriksaan ANC"), default=True)
    weight_kg = models.DecimalField(_("berat (kg)"), max_digits=4, decimal_places=1, null=True, blank=True)
    lila_cm = models.DecimalField(_("LiLA (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    hb_g_dl = models.DecimalField(_("Hb (g/dL)"), max_digits=3, decimal_places=1, null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(_("tekanan darah sistolik"), null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(_("tekanan darah diastolik"), null=True, blank=True)
    ttd_tablets = models.PositiveSmallIntegerField(_("TTD diberikan (tablet)"), default=0)
    place = models.CharField(_("tempat"), max_length=80, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kunjungan kehamilan")
        verbose_name_plural = _("kunjungan kehamilan")
        ordering = ["pregnancy_id", "visit_date"]
        constraints = [
            models.UniqueConstraint(fields=["pregnancy", "visit_date"], name="pregnancy_visit_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.pregnancy} {self.visit_date}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="pregnancy__desa")


class AdolescentGirl(models.Model):
    """An adolescent girl (remaja putri, 12-18) followed for weekly TTD, usually at school."""

    person = models.OneToOneField(
        Person, verbose_name=_("penduduk"), on_delete=models.CASCADE, related_name="adolescent"
    )
    school_name = models.CharField(_("sekolah"), max_length=120, blank=True)
    school_class = models.CharField(_("kelas"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("remaja putri")
        verbose_name_plural = _("remaja putri")
        ordering = ["person__name"]

    def __str__(self) -> str:
        return str(self.person)

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="person__desa")


class AdolescentTTD(models.Model):
    """TTD taken by an adolescent girl in one week (the guideline: one tablet a week, 52 weeks a year)."""

    girl = models.ForeignKey(
        AdolescentGirl, verbose_name=_("remaja putri"), on_delete=models.CASCADE, related_name="ttd"
    )
    week_start = models.DateField(_("minggu (Senin)"))
    tablets = models.PositiveSmallIntegerField(_("tablet"), default=1)
    given_at = models.CharField(_("tempat pemberian"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("TTD remaja putri")
        verbose_name_plural = _("TTD remaja putri")
        ordering = ["girl_id", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["girl", "week_start"], name="adolescent_ttd_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.girl} {self.week_start}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="girl__person__desa")
