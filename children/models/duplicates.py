"""Models of duplicate records: the candidate pairs found and the merges done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from children.models.registry import Child, Keluarga, Person, kader_sees

if TYPE_CHECKING:
    from convergence.scoping import Scope


class DuplicateCandidate(models.Model):
    """A pair of records that are probably one person, waiting for puskesmas/Bappeda review.

    Exact NIK/KK matches never get here (they are refused at entry); this queue holds the likely ones.
    The pair is stored with the lower id first so a pair is queued once.
    """

    class Kind(models.TextChoices):
        CHILD = "anak", _("Anak")
        PERSON = "penduduk", _("Penduduk")
        KELUARGA = "keluarga", _("Keluarga")

    class Reason(models.TextChoices):
        SAME_MOTHER_BIRTH_DATE_SEX = "ibu_tgl_lahir_jk", _("Ibu, tanggal lahir dan jenis kelamin sama")
        SIMILAR_NAME_BIRTH_DATE = (
            "nama_mirip_tgl_lahir",
            _("Nama mirip dan tanggal lahir sama di desa yang sama"),
        )
        # Someone whose scope does not hold the record tried to register its NIK or KK number: the
        # registration was refused and only the record (side A) is queued, with who tried.
        NIK_OUTSIDE_SCOPE = "nik_luar_wilayah", _("NIK yang sama didaftarkan dari luar wilayah")
        KK_OUTSIDE_SCOPE = "kk_luar_wilayah", _("Nomor KK yang sama didaftarkan dari luar wilayah")
        # An imported row matched the child (side A) only by name, birth date and sex while naming
        # another posyandu: the row was not imported, someone must say whether it is the same child.
        IMPORT_OTHER_POSYANDU = "impor_posyandu_lain", _("Baris impor cocok dengan anak di posyandu lain")

    class Status(models.TextChoices):
        OPEN = "terbuka", _("Menunggu tinjauan")
        MERGED = "digabung", _("Digabung")
        DISMISSED = "bukan_duplikat", _("Bukan duplikat")

    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    child_a = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak A")
    )
    child_b = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak B")
    )
    person_a = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("penduduk A"),
    )
    person_b = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("penduduk B"),
    )
    keluarga_a = models.ForeignKey(
        Keluarga,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("keluarga"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("didaftarkan ulang oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("alasan"), max_length=24, choices=Reason.choices)
    similarity = models.FloatField(_("kemiripan nama"), default=0.0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("ditemukan"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ditinjau oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("ditinjau"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("calon duplikat")
        verbose_name_plural = _("calon duplikat")
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["child_a", "child_b"], name="duplicate_child_pair_once"),
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_person_pair_once"),
        ]
        indexes = [models.Index(fields=["desa", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if not scope.is_kader:
            return scope.q(desa="desa")
        # Both records of the pair in her sight (a kader reads the queue, puskesmas officers merge).
        return (
            kader_sees(scope, "child_a", Child)
            & (models.Q(child_b__isnull=True) | kader_sees(scope, "child_b", Child))
        ) | (
            kader_sees(scope, "person_a", Person)
            & (models.Q(person_b__isnull=True) | kader_sees(scope, "person_b", Person))
        )


class MergeLog(models.Model):
    """The audit of one merge: who merged which record into which, and everything the removed one held.

    `removed` is the removed record's fields (NIK only as ciphertext) and `moved` the counts of rows
    moved to the survivor; same-day measurements the survivor already had are kept in `removed`.
    """

    kind = models.CharField(_("jenis"), max_length=10, choices=DuplicateCandidate.Kind.choices)
    survivor_child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak")
    )
    survivor_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("penduduk")
    )
    removed_id = models.PositiveBigIntegerField(_("id yang digabung"))
    removed = models.JSONField(_("data yang digabung"))
    moved = models.JSONField(_("data yang dipindah"), default=dict)
    candidate = models.ForeignKey(
        DuplicateCandidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="merges"
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("digabung oleh"), on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("digabung"), auto_now_add=True)

    class Meta:
        verbose_name = _("riwayat penggabungan")
        verbose_name_plural = _("riwayat penggabungan")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.removed_id} -> {self.survivor_child_id or self.survivor_person_id}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if not scope.is_kader:
            return scope.q(desa="desa")
        return kader_sees(scope, "survivor_child", Child) | kader_sees(scope, "survivor_person", Person)
