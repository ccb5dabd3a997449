"""Data-quality sums per posyandu and month, and per recording user, posyandu and month.

Rows hold counts and sums only (never an SD or a score), so a range of months, a desa or a
kecamatan is a plain sum of rows; the indicators are computed when read (reports/quality.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models import Posyandu, Region

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from convergence.scoping import Scope


def _count(label: StrOrPromise) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0)


class DataQualitySummary(models.Model):
    """One posyandu's measurements of a month (kind posyandu), or those a user recorded there
    (kind measurer). `registered`/`measured` (children, copied from the posyandu's prevalence row)
    are set on posyandu rows only."""

    class Kind(models.TextChoices):
        POSYANDU = "posyandu", _("Posyandu")
        MEASURER = "measurer", _("Pencatat")

    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    posyandu = models.ForeignKey(
        Posyandu, verbose_name=_("posyandu"), on_delete=models.CASCADE, related_name="+"
    )
    measurer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pencatat"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The chunk a recompute rewrites at once: the posyandu's kecamatan. Indexed by the (kecamatan,
    # period) index alone: a recompute writes every index of every row.
    kecamatan = models.ForeignKey(
        Region, verbose_name=_("kecamatan"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    period = models.DateField(_("bulan"))  # first day of the month

    measurements = _count(_("pengukuran"))
    haz_assessed = _count(_("nilai TB/U"))
    haz_flagged = _count(_("TB/U di luar batas WHO"))
    waz_assessed = _count(_("nilai BB/U"))
    waz_flagged = _count(_("BB/U di luar batas WHO"))
    whz_assessed = _count(_("nilai BB/TB"))
    whz_flagged = _count(_("BB/TB di luar batas WHO"))
    # Terminal digit (0.1 cm) of the length/height as recorded.
    height_d0 = _count(_("tinggi berakhiran 0"))
    height_d1 = _count(_("tinggi berakhiran 1"))
    height_d2 = _count(_("tinggi berakhiran 2"))
    height_d3 = _count(_("tinggi berakhiran 3"))
    height_d4 = _count(_("tinggi berakhiran 4"))
    height_d5 = _count(_("tinggi berakhiran 5"))
    height_d6 = _count(_("tinggi berakhiran 6"))
    height_d7 = _count(_("tinggi berakhiran 7"))
    height_d8 = _count(_("tinggi berakhiran 8"))
    height_d9 = _count(_("tinggi berakhiran 9"))
    # Terminal digit (0.1 kg) of the weight.
    weight_d0 = _count(_("berat berakhiran 0"))
    weight_d1 = _count(_("berat berakhiran 1"))
    weight_d2 = _count(_("berat berakhiran 2"))
    weight_d3 = _count(_("berat berakhiran 3"))
    weight_d4 = _count(_("berat berakhiran 4"))
    weight_d5 = _count(_("berat berakhiran 5"))
    weight_d6 = _count(_("berat berakhiran 6"))
    weight_d7 = _count(_("berat berakhiran 7"))
    weight_d8 = _count(_("berat berakhiran 8"))
    weight_d9 = _count(_("berat berakhiran 9"))
    # Valid (not WHO-flagged) z-scores: count, sum and sum of squares.
    haz_n = _count(_("z TB/U sah"))
    whz_n = _count(_("z BB/TB sah"))
    haz_sum = models.FloatField(_("jumlah z TB/U"), default=0.0)
    haz_sumsq = models.FloatField(_("jumlah kuadrat z TB/U"), default=0.0)
    whz_sum = models.FloatField(_("jumlah z BB/TB"), default=0.0)
    whz_sumsq = models.FloatField(_("jumlah kuadrat z BB/TB"), default=0.0)
    shrink_checked = _count(_("tinggi dibandingkan dengan sebelumnya"))
    shrink_count = _count(_("tinggi turun lebih dari 1,5 cm"))
    registered = models.PositiveIntegerField(_("balita terdaftar"), null=True, blank=True)
    measured = models.PositiveIntegerField(_("balita diukur"), null=True, blank=True)

    computed_at = models.DateTimeField(_("dihitung"), auto_now=True)

    class Meta:
        verbose_name = _("ringkasan kualitas data")
        verbose_name_plural = _("ringkasan kualitas data")
        ordering = ["period", "kind", "posyandu_id", "measurer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["posyandu", "period"],
                condition=Q(kind="posyandu"),
                name="quality_once_per_posyandu_and_month",
            ),
            models.UniqueConstraint(
                fields=["measurer", "posyandu", "period"],
                condition=Q(kind="measurer"),
                name="quality_once_per_measurer_posyandu_and_month",
            ),
            models.CheckConstraint(
                condition=Q(kind="posyandu", measurer__isnull=True)
                | Q(kind="measurer", measurer__isnull=False),
                name="quality_measurer_only_on_measurer_rows",
            ),
        ]
        indexes = [models.Index(fields=["kecamatan", "period"])]

    def __str__(self) -> str:
        who = f" {self.measurer}" if self.measurer_id else ""
        return f"{self.posyandu}{who} {self.period:%Y-%m}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """The rows of the posyandu the user's unit covers."""
        return scope.q(desa="posyandu__desa", posyandu="posyandu")
