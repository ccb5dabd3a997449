"""By-name delivery records and referrals created from gap lists, each about one subject (a child, a
person or a family).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children.models import Child, Keluarga, Person, kader_sees
from interventions.models.catalogue import Intervention, SubjectKind

if TYPE_CHECKING:
    from convergence.scoping import Scope


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
