"""The intervention catalogue (indicators, yearly targets, interventions with their eligibility rule),
by-name delivery records and referrals created from gap lists.

Targets, rules' parameters and validity dates are data edited by Bappeda; only the rule functions
(interventions.eligibility) are code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children.models import Child, Keluarga, Person, kader_sees
from convergence.models import Role

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
    if scope.is_superuser:
        return Q()
    if scope.is_empty:
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


class SubjectMixin:
    """Properties of a row holding exactly one of a child, a person or a family (the subject)."""

    child_id: int | None
    person_id: int | None
    keluarga_id: int | None

    @property
    def subject_kind(self) -> str:
        if self.child_id:
            return SubjectKind.CHILD
        if self.person_id:
            return SubjectKind.PERSON
        return SubjectKind.KELUARGA

    @property
    def subject(self) -> models.Model | None:
        return self.child or self.person or self.keluarga  # type: ignore[attr-defined]

    @property
    def subject_id(self) -> int | None:
        return self.child_id or self.person_id or self.keluarga_id

    @property
    def subject_name(self) -> str:
        subject = self.subject
        return str(subject) if subject is not None else ""


def _subject_q(scope: Scope) -> Q:
    """A kader's rows about a subject: those whose child, person or family she sees (children.models)."""
    return (
        kader_sees(scope, "child", Child)
        | kader_sees(scope, "person", Person)
        | kader_sees(scope, "keluarga", Keluarga)
    )


def _one_subject(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(child__isnull=False, person__isnull=True, keluarga__isnull=True)
        | Q(child__isnull=True, person__isnull=False, keluarga__isnull=True)
        | Q(child__isnull=True, person__isnull=True, keluarga__isnull=False),
        name=f"{prefix}_exactly_one_subject",
    )


class FundingSource(models.TextChoices):
    APBD = "apbd", _("APBD")
    DAK = "dak", _("DAK non-fisik/BOK")
    DANA_DESA = "dana_desa", _("Dana Desa")
    ADD = "add", _("Alokasi Dana Desa (ADD)")
    APBN = "apbn", _("APBN")
    CSR = "csr", _("CSR")
    OTHER = "lainnya", _("Lainnya")


class Delivery(SubjectMixin, models.Model):
    """One by-name delivery: which child, person or family received which intervention, when and how much."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entri formulir")
        API = "api", _("API")
        IMPORT = "import", _("Impor berkas OPD")
        DEMO = "demo", _("Data demo")

    intervention = models.ForeignKey(
        Intervention, verbose_name=_("intervensi"), on_delete=models.PROTECT, related_name="deliveries"
    )
    # The intervention's OPD, copied so that scoping an OPD officer's rows needs no join.
    opd = models.ForeignKey(
        "convergence.OPD", verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("anak"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        "children.Person",
        verbose_name=_("penduduk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    keluarga = models.ForeignKey(
        "children.Keluarga",
        verbose_name=_("keluarga"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    delivered_on = models.DateField(_("tanggal"))
    quantity = models.DecimalField(_("jumlah"), max_digits=12, decimal_places=2, default=1)
    unit = models.CharField(_("satuan"), max_length=20)
    funding_source = models.CharField(
        _("sumber dana"), max_length=10, choices=FundingSource.choices, default=FundingSource.APBD
    )
    provider_unit = models.CharField(_("unit pelaksana"), max_length=120, blank=True)
    source = models.CharField(_("asal data"), max_length=10, choices=Source.choices, default=Source.MANUAL)
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
        verbose_name = _("penyaluran intervensi")
        verbose_name_plural = _("penyaluran intervensi")
        ordering = ["-delivered_on", "-pk"]
        constraints = [
            _one_subject("delivery"),
            # One delivery of an intervention to a subject a day: imports and API retries are idempotent.
            models.UniqueConstraint(
                fields=["intervention", "child", "delivered_on"],
                condition=Q(child__isnull=False),
                name="delivery_once_per_child_day",
            ),
            models.UniqueConstraint(
                fields=["intervention", "person", "delivered_on"],
                condition=Q(person__isnull=False),
                name="delivery_once_per_person_day",
            ),
            models.UniqueConstraint(
                fields=["intervention", "keluarga", "delivered_on"],
                condition=Q(keluarga__isnull=False),
                name="delivery_once_per_keluarga_day",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["opd", "delivered_on"]),
            models.Index(fields=["desa", "delivered_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.intervention_id} {self.delivered_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # An OPD officer sees his agency's deliveries only; area roles see their area's.
        return _subject_q(scope) if scope.is_kader else scope.q(desa="desa", opd="opd")


class Referral(SubjectMixin, models.Model):
    """A named target referred to the OPD whose intervention it lacks; closed by the delivery."""

    class Status(models.TextChoices):
        OPEN = "terbuka", _("Terbuka")
        IN_PROGRESS = "diproses", _("Diproses")
        DONE = "selesai", _("Selesai")
        CANCELLED = "dibatalkan", _("Dibatalkan")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    intervention = models.ForeignKey(
        Intervention, verbose_name=_("intervensi"), on_delete=models.PROTECT, related_name="referrals"
    )
    opd = models.ForeignKey(
        "convergence.OPD",
        verbose_name=_("OPD tujuan"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("anak"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        "children.Person",
        verbose_name=_("penduduk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    keluarga = models.ForeignKey(
        "children.Keluarga",
        verbose_name=_("keluarga"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("alasan"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField(_("batas waktu"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dibuat oleh"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("petugas"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("penyaluran"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        editable=False,
    )
    note = models.TextField(_("catatan"), blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rujukan")
        verbose_name_plural = _("rujukan")
        ordering = ["due_date", "pk"]
        constraints = [
            _one_subject("referral"),
            models.CheckConstraint(
                condition=~Q(status="selesai") | Q(delivery__isnull=False), name="referral_done_has_delivery"
            ),
        ]
        indexes = [models.Index(fields=["opd", "status"]), models.Index(fields=["desa", "status"])]

    def __str__(self) -> str:
        return f"{self.intervention_id} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # The owner OPD's officers see its referrals; area roles the referrals of their area.
        return _subject_q(scope) if scope.is_kader else scope.q(desa="desa", opd="opd")


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


# --- PMT (Pemberian Makanan Tambahan): budget lines, programmes, episodes and money ---------------
# Every rupiah of supplementary feeding is traced from its budget line to the named recipient
# (domain brief 6). Money is Decimal rupiah without cents; money rows are insert-only: a correction is
# a reversing row, never an edit or a delete (interventions.services_pmt).


class _DecimalSize(TypedDict):
    max_digits: int
    decimal_places: int


RUPIAH: _DecimalSize = {"max_digits": 15, "decimal_places": 0}


class PMTCategory(models.TextChoices):
    GIZI_KURANG = "gizi_kurang", _("Balita gizi kurang")
    BB_KURANG = "bb_kurang", _("Balita BB kurang")
    DUA_T = "dua_t", _("Balita 2T")
    BUMIL_KEK = "bumil_kek", _("Ibu hamil KEK")
    IBU_MENYUSUI = "ibu_menyusui", _("Ibu menyusui")
    BADUTA_STUNTING = "baduta_stunting", _("Baduta stunting")


# Categories whose recipient is a woman of the registry (a Person); the others are children.
PMT_PERSON_CATEGORIES = frozenset({PMTCategory.BUMIL_KEK, PMTCategory.IBU_MENYUSUI})


def _budget_line_q(scope: Scope, prefix: str = "") -> Q:
    """Lines held by a desa are that desa's (Dana Desa, ADD); lines held by an OPD are the OPD's."""
    p = f"{prefix}__" if prefix else ""
    if scope.is_superuser:
        return Q()
    if scope.is_empty:
        return NOTHING
    if scope.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN):
        return Q(**{f"{p}kabupaten__code": scope.kabupaten_code})
    if scope.role == Role.OPD_OFFICER:
        return Q(**{f"{p}opd_id": scope.opd_id})
    if scope.role == Role.PUSKESMAS_OFFICER:
        return Q(**{f"{p}desa__puskesmas_id": scope.puskesmas_id})
    if scope.role in (Role.KPM, Role.KADER):
        return Q(**{f"{p}desa_id": scope.desa_id})
    return NOTHING


class BudgetLine(models.Model):
    """A budget line of a year (programme/activity/sub-activity), held by one OPD or one desa.

    `allocated` is the current allocation: set at creation, changed only by
    services_pmt.budget_line_revise, which records a BudgetRevision with its reason.
    """

    kabupaten = models.ForeignKey(
        "convergence.Region", verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    source = models.CharField(_("sumber dana"), max_length=10, choices=FundingSource.choices)
    opd = models.ForeignKey(
        "convergence.OPD",
        verbose_name=_("OPD pemegang"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("desa pemegang"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    programme_code = models.CharField(_("kode program"), max_length=40, blank=True)
    activity_code = models.CharField(_("kode kegiatan"), max_length=40, blank=True)
    sub_activity_code = models.CharField(_("kode sub kegiatan"), max_length=40, blank=True)
    name = models.CharField(_("nama"), max_length=255)
    original_allocated = models.DecimalField(_("pagu awal (Rp)"), **RUPIAH, editable=False)
    allocated = models.DecimalField(_("pagu (Rp)"), **RUPIAH, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("baris anggaran")
        verbose_name_plural = _("baris anggaran")
        ordering = ["-year", "programme_code", "activity_code", "sub_activity_code", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opd__isnull=False, desa__isnull=True) | Q(opd__isnull=True, desa__isnull=False),
                name="budget_line_one_holder",
                violation_error_message=_("Baris anggaran dipegang oleh tepat satu OPD atau satu desa."),
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(original_allocated__gte=0),
                name="budget_line_allocated_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.sub_activity_code or self.activity_code} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope)


class BudgetRevision(models.Model):
    """A change of a line's allocation (refocusing), with its reason; insert-only."""

    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("baris anggaran"), on_delete=models.PROTECT, related_name="revisions"
    )
    revised_on = models.DateField(_("tanggal"))
    previous_allocated = models.DecimalField(_("pagu sebelumnya (Rp)"), **RUPIAH)
    new_allocated = models.DecimalField(_("pagu baru (Rp)"), **RUPIAH)
    reason = models.TextField(_("alasan"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("revisi anggaran")
        verbose_name_plural = _("revisi anggaran")
        ordering = ["budget_line_id", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(new_allocated__gte=0), name="budget_revision_not_negative"),
            models.CheckConstraint(condition=~Q(reason=""), name="budget_revision_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.budget_line_id} {self.revised_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope, "budget_line")


class PMTRate(models.Model):
    """Dated reference data: the daily rate per recipient and the duration of a PMT category.

    Kabupaten empty: the default for every kabupaten; a kabupaten's own row takes precedence.
    """

    kabupaten = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("kabupaten/kota"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Kosong: nilai bawaan."),
    )
    category = models.CharField(_("kategori sasaran"), max_length=16, choices=PMTCategory.choices)
    valid_from = models.DateField(_("berlaku mulai"))
    daily_rate = models.DecimalField(_("biaya per hari per sasaran (Rp)"), **RUPIAH)
    duration_days = models.PositiveSmallIntegerField(_("lama (hari)"))
    source = models.TextField(_("sumber"), blank=True)

    class Meta:
        verbose_name = _("tarif PMT")
        verbose_name_plural = _("tarif PMT")
        ordering = ["category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kabupaten", "category", "valid_from"], name="pmt_rate_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(daily_rate__gt=0) & Q(duration_days__gt=0), name="pmt_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        return Q(kabupaten__isnull=True) | Q(kabupaten__code=scope.kabupaten_prefix)


class PMTProgramme(models.Model):
    """A PMT programme of a year for one target category, run by an OPD, funded by budget lines."""

    kabupaten = models.ForeignKey(
        "convergence.Region", verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    name = models.CharField(_("nama"), max_length=200)
    category = models.CharField(_("kategori sasaran"), max_length=16, choices=PMTCategory.choices)
    starts_on = models.DateField(_("mulai"))
    ends_on = models.DateField(_("selesai"))
    opd = models.ForeignKey(
        "convergence.OPD", verbose_name=_("OPD pelaksana"), on_delete=models.PROTECT, related_name="+"
    )
    budget_lines: models.ManyToManyField[BudgetLine, PMTFunding] = models.ManyToManyField(
        BudgetLine, through="PMTFunding", verbose_name=_("baris anggaran"), related_name="pmt_programmes"
    )
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("program PMT")
        verbose_name_plural = _("program PMT")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="pmt_programme_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Every role of the kabupaten reads its programmes (names of people are in the episodes)."""
        return _kabupaten_q(scope, "kabupaten")


class PMTFunding(models.Model):
    """A budget line funding a programme, for a share of each episode's cost.

    The shares of a programme add up to 100 % (checked by services_pmt, which writes fundings); each
    episode's cost is split by them (interventions.pmt.split_cost), the remainder to the last line.
    """

    programme = models.ForeignKey(PMTProgramme, on_delete=models.CASCADE, related_name="fundings")
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="fundings")
    share_percent = models.DecimalField(_("porsi (%)"), max_digits=5, decimal_places=2, default=Decimal(100))

    class Meta:
        verbose_name = _("pendanaan PMT")
        verbose_name_plural = _("pendanaan PMT")
        ordering = ["programme_id", "budget_line_id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "budget_line"], name="pmt_funding_once"),
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100), name="pmt_funding_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.budget_line_id}"


class PMTEnrolment(models.Model):
    """One PMT episode of a named recipient; its cost (days x daily rate) is reserved on the lines funding
    its programme (PMTReservation, one per line). Finishing it records the days delivered and gives
    the unspent part of the reservations back (services_pmt.pmt_enrolment_finish).
    """

    class Status(models.TextChoices):
        ACTIVE = "aktif", _("Aktif")
        FINISHED = "selesai", _("Selesai")
        CANCELLED = "dibatalkan", _("Dibatalkan")

    programme = models.ForeignKey(
        PMTProgramme, verbose_name=_("program"), on_delete=models.PROTECT, related_name="enrolments"
    )
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("anak"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        "children.Person",
        verbose_name=_("ibu"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("mulai"))
    days = models.PositiveSmallIntegerField(_("lama (hari)"))
    daily_rate = models.DecimalField(_("biaya per hari (Rp)"), **RUPIAH)
    cost = models.DecimalField(_("biaya episode (Rp)"), **RUPIAH)
    rate = models.ForeignKey(
        PMTRate,
        verbose_name=_("tarif"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    budget_lines: models.ManyToManyField[BudgetLine, PMTReservation] = models.ManyToManyField(
        BudgetLine, through="PMTReservation", verbose_name=_("baris anggaran"), related_name="enrolments"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    finished_on = models.DateField(_("tanggal selesai"), null=True, blank=True)
    days_delivered = models.PositiveSmallIntegerField(_("hari tersalurkan"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diselesaikan oleh"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Kosong: diselesaikan otomatis setelah tanggal akhir."),
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("didaftarkan oleh"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("episode PMT")
        verbose_name_plural = _("episode PMT")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=False, person__isnull=True)
                | Q(child__isnull=True, person__isnull=False),
                name="pmt_enrolment_one_recipient",
            ),
            # Once per programme period: the database refuses a second episode even under a race.
            models.UniqueConstraint(
                fields=["programme", "child"],
                condition=Q(child__isnull=False),
                name="pmt_enrolment_once_child",
            ),
            models.UniqueConstraint(
                fields=["programme", "person"],
                condition=Q(person__isnull=False),
                name="pmt_enrolment_once_person",
            ),
            models.CheckConstraint(
                condition=Q(days__gt=0)
                & Q(daily_rate__gt=0)
                & Q(cost=models.F("days") * models.F("daily_rate")),
                name="pmt_enrolment_cost_is_days_times_rate",
            ),
            models.CheckConstraint(
                condition=~Q(status="selesai") | Q(finished_on__isnull=False, days_delivered__isnull=False),
                name="pmt_enrolment_finished_has_end",
            ),
            models.CheckConstraint(
                condition=Q(days_delivered__isnull=True) | Q(days_delivered__lte=models.F("days")),
                name="pmt_enrolment_delivered_within_days",
            ),
        ]
        indexes = [
            models.Index(fields=["desa", "start_date"]),
            models.Index(fields=["status", "start_date"], name="pmt_enrolment_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.start_date}"

    @property
    def end_date(self) -> datetime.date:
        """The last day of the episode (inclusive)."""
        return self.start_date + datetime.timedelta(days=self.days - 1)

    @property
    def recipient(self) -> models.Model:
        recipient = self.child or self.person
        if recipient is None:  # a check constraint keeps exactly one of the two
            raise ValueError(f"enrolment {self.pk} has no recipient")
        return recipient

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if not scope.is_kader:
            return scope.q(desa="desa", opd="programme__opd")
        # A kader sees the episodes of the children and the women in her sight (children.models).
        return kader_sees(scope, "child", Child) | kader_sees(scope, "person", Person)


class PMTReservation(models.Model):
    """The part of an episode's cost reserved on one budget line; `released` is given back at its end.

    Still reserved: amount - released (nothing once the episode is cancelled). Amounts are set at
    enrolment and never edited; `released` is set once, when the episode is finished.
    """

    enrolment = models.ForeignKey(
        PMTEnrolment, verbose_name=_("episode"), on_delete=models.CASCADE, related_name="reservations"
    )
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("baris anggaran"), on_delete=models.PROTECT, related_name="reservations"
    )
    amount = models.DecimalField(_("dicadangkan (Rp)"), **RUPIAH)
    released = models.DecimalField(_("dikembalikan (Rp)"), **RUPIAH, default=Decimal(0))

    class Meta:
        verbose_name = _("pencadangan PMT")
        verbose_name_plural = _("pencadangan PMT")
        ordering = ["enrolment_id", "budget_line_id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "budget_line"], name="pmt_reservation_once"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(released__gte=0) & Q(released__lte=models.F("amount")),
                name="pmt_reservation_released_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.budget_line_id} {self.amount}"

    @property
    def held(self) -> Decimal:
        return self.amount - self.released

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope, "budget_line")


class PMTOutcome(models.Model):
    """The outcome of a finished episode (interventions.pmt.episode_outcome), stored when it is finished.

    Children: weight and the z-score of the category (WHZ, WAZ or HAZ); mothers: weight and LiLA.
    Recomputed by the nightly task while late measurements may still come in.
    """

    enrolment = models.OneToOneField(
        PMTEnrolment,
        verbose_name=_("episode"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="outcome",
    )
    measured_before_on = models.DateField(_("diukur sebelum"), null=True, blank=True)
    measured_after_on = models.DateField(_("diukur sesudah"), null=True, blank=True)
    weight_before_kg = models.DecimalField(_("berat sebelum (kg)"), max_digits=5, decimal_places=2, null=True)
    weight_after_kg = models.DecimalField(_("berat sesudah (kg)"), max_digits=5, decimal_places=2, null=True)
    weight_gain_kg = models.DecimalField(_("kenaikan berat (kg)"), max_digits=5, decimal_places=2, null=True)
    z_change = models.FloatField(_("perubahan z-score"), null=True)
    lila_before_cm = models.DecimalField(_("LiLA sebelum (cm)"), max_digits=4, decimal_places=1, null=True)
    lila_after_cm = models.DecimalField(_("LiLA sesudah (cm)"), max_digits=4, decimal_places=1, null=True)
    lila_change_cm = models.DecimalField(_("perubahan LiLA (cm)"), max_digits=4, decimal_places=1, null=True)
    recovered = models.BooleanField(_("pulih"), null=True)
    computed_on = models.DateField(_("dihitung"))

    class Meta:
        verbose_name = _("hasil episode PMT")
        verbose_name_plural = _("hasil episode PMT")

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.recovered}"


class PMTDeliveryLog(models.Model):
    """Food delivered to a recipient on a day: how many days' worth, in which form, by whom."""

    class FoodForm(models.TextChoices):
        COOKED = "matang", _("Makanan matang")
        FACTORY = "pabrikan", _("Pabrikan")
        LOCAL_INGREDIENTS = "bahan_lokal", _("Bahan pangan lokal")

    enrolment = models.ForeignKey(
        PMTEnrolment, verbose_name=_("episode"), on_delete=models.PROTECT, related_name="delivery_logs"
    )
    delivered_on = models.DateField(_("tanggal"))
    days_delivered = models.PositiveSmallIntegerField(_("jumlah hari"))
    food_form = models.CharField(_("bentuk makanan"), max_length=12, choices=FoodForm.choices)
    delivered_by = models.CharField(_("disalurkan oleh"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dicatat oleh"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("log penyaluran PMT")
        verbose_name_plural = _("log penyaluran PMT")
        ordering = ["enrolment_id", "delivered_on"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "delivered_on"], name="pmt_delivery_once_a_day"),
            models.CheckConstraint(condition=Q(days_delivered__gt=0), name="pmt_delivery_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.delivered_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_kader:
            return Q(enrolment__in=PMTEnrolment.objects.filter(PMTEnrolment.scope_q(scope)).values("pk"))
        return scope.q(desa="enrolment__desa", opd="enrolment__programme__opd")


class Disbursement(models.Model):
    """A money row charged to a budget line: a payment (> 0) or the reversal (< 0) of one payment.

    Insert-only: amounts are never edited; only the approval decision (status, approved_by,
    decided_at) is set once, by a user other than the one who recorded it.
    """

    class Kind(models.TextChoices):
        PAYMENT = "pembayaran", _("Pembayaran")
        REVERSAL = "pembalikan", _("Pembalikan")

    class Status(models.TextChoices):
        PENDING = "menunggu", _("Menunggu persetujuan")
        APPROVED = "disetujui", _("Disetujui")
        REJECTED = "ditolak", _("Ditolak")

    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("baris anggaran"), on_delete=models.PROTECT, related_name="disbursements"
    )
    enrolment = models.ForeignKey(
        PMTEnrolment,
        verbose_name=_("episode"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disbursements",
    )
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("membalik"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
    )
    paid_on = models.DateField(_("tanggal"))
    payee = models.CharField(_("penerima pembayaran"), max_length=200)
    amount = models.DecimalField(_("jumlah (Rp)"), **RUPIAH)
    note = models.TextField(_("keterangan"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dicatat oleh"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diputuskan oleh"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("pencairan")
        verbose_name_plural = _("pencairan")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="pembayaran", amount__gt=0, reverses__isnull=True)
                | Q(kind="pembalikan", amount__lt=0, reverses__isnull=False),
                name="disbursement_sign_matches_kind",
            ),
            # A payment is reversed at most once (a rejected reversal does not count).
            models.UniqueConstraint(
                fields=["reverses"], condition=~Q(status="ditolak"), name="disbursement_reversed_once"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("recorded_by")),
                name="disbursement_maker_is_not_checker",
            ),
        ]
        indexes = [models.Index(fields=["budget_line", "status"])]

    def __str__(self) -> str:
        return f"{self.budget_line_id} {self.paid_on} {self.amount}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _budget_line_q(scope, "budget_line")


class PMTSubmission(models.Model):
    """One PMT operation per submitted form token (pages) or Idempotency-Key (API), per user.

    Claimed inside the operation's own transaction (interventions.submissions): a second submit of the
    same key waits on the unique index for the first to commit, then replays its result; a failed
    operation rolls its claim back, so the corrected form may be sent again with the same token.
    """

    class Channel(models.TextChoices):
        PAGE = "halaman", _("Halaman")
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("saluran"), max_length=8, choices=Channel.choices)
    key = models.CharField(_("kunci"), max_length=64)
    # A hash of what was sent: the same API key reused for another body is refused, not replayed.
    fingerprint = models.CharField(_("sidik permintaan"), max_length=64, blank=True)
    operation = models.CharField(_("operasi"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("id hasil"), null=True, blank=True)
    result_url = models.CharField(_("alamat hasil"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("dikirim"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pengiriman PMT")
        verbose_name_plural = _("pengiriman PMT")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel", "key"], name="pmt_submission_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.operation} {self.object_id}"


from interventions.models_imports import DeliveryImportJob  # noqa: E402,F401
