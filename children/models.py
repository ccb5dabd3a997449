from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
