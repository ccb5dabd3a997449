"""Records that left a synced list, kept for the changes feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from convergence.models.regions import OPD, Posyandu, Region

if TYPE_CHECKING:
    from convergence.scoping import Scope


class Tombstone(models.Model):
    """A record of a synced list that left it (deleted, or merged into another record), for the changes
    feed (GET /api/v1/changes/). Written by convergence.tombstones with the deletion, in its transaction.

    The record is gone: where it was (its region, posyandu, OPD, and for a summary row its level) is kept
    so the feed can be scoped like the record was. No foreign-key constraint: the posyandu or OPD may go
    too, the tombstone stays.
    """

    kind = models.CharField(_("jenis"), max_length=30)
    record_id = models.BigIntegerField(_("id data"))
    removed_at = models.DateTimeField(_("waktu"), default=timezone.now, db_index=True)
    merged_into = models.BigIntegerField(_("digabung ke"), null=True, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    posyandu = models.ForeignKey(
        Posyandu, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    opd = models.ForeignKey(
        OPD, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    level = models.CharField(_("tingkat"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("data terhapus")
        verbose_name_plural = _("data terhapus")
        ordering = ["removed_at", "kind", "record_id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        from convergence.tombstones import tombstone_scope_q

        return tombstone_scope_q(scope)
