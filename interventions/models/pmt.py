"""Supplementary feeding (PMT): rates, programmes and their funding, enrolments with their reservations,
outcomes and delivery logs, the money rows (disbursements) charged to budget lines, and the once-only
submissions of PMT operations.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from children.models import Child, Person, kader_sees
from interventions.models.catalogue import NOTHING, _kabupaten_q
from interventions.models.money import RUPIAH, BudgetLine, _budget_line_q

if TYPE_CHECKING:
    from convergence.scoping import Scope


class PMTCategory(models.TextChoices):
    GIZI_KURANG = "gizi_kurang", _("Balita gizi kurang")
    BB_KURANG = "bb_kurang", _("Balita BB kurang")
    DUA_T = "dua_t", _("Balita 2T")
    BUMIL_KEK = "bumil_kek", _("Ibu hamil KEK")
    IBU_MENYUSUI = "ibu_menyusui", _("Ibu menyusui")
    BADUTA_STUNTING = "baduta_stunting", _("Baduta stunting")


# Categories whose recipient is a woman of the registry (a Person); the others are children.
PMT_PERSON_CATEGORIES = frozenset({PMTCategory.BUMIL_KEK, PMTCategory.IBU_MENYUSUI})


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
        if not scope.kabupaten_prefix:
            return Q(kabupaten__isnull=True)  # the aggregate roles: the national rates only
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
