"""Users and their roles; a user's org unit (region, puskesmas, posyandu or OPD) scopes what she sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models.regions import NOTHING, OPD, Posyandu, Puskesmas, Region

if TYPE_CHECKING:
    from convergence.scoping import Scope


class Role(models.TextChoices):
    BAPPEDA_ADMIN = "bappeda_admin", _("Admin Bappeda")
    PIMPINAN = "pimpinan", _("Bupati / pimpinan TPPS")
    OPD_OFFICER = "opd_officer", _("Petugas OPD")
    PUSKESMAS_OFFICER = "puskesmas_officer", _("Petugas puskesmas")
    KADER = "kader", _("Kader posyandu")
    KPM = "kpm", _("Kader Pembangunan Manusia (KPM)")
    # Above the kabupaten: aggregates only, never a named record (convergence.scoping.Scope).
    BAPPEDA_PROVINSI = "bappeda_provinsi", _("Bappeda provinsi")
    NASIONAL = "nasional", _("Pemantau nasional (baca saja)")


class User(AbstractUser):
    """A person using the application, bound to the organisation unit their role works in."""

    # The request's scope, cached on the instance by convergence.scoping.scope_for_user (not a column).
    _scope: Scope

    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    provinsi = models.ForeignKey(
        Region,
        verbose_name=_("provinsi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kabupaten = models.ForeignKey(
        Region,
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opd = models.ForeignKey(
        OPD, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    puskesmas = models.ForeignKey(
        Puskesmas,
        verbose_name=_("puskesmas"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    desa = models.ForeignKey(
        Region,
        verbose_name=_("desa/kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    posyandu = models.ForeignKey(
        Posyandu,
        verbose_name=_("posyandu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            # Each role is bound to exactly the organisation unit it works in.
            models.CheckConstraint(
                condition=Q(role="")
                | Q(role__in=["bappeda_admin", "pimpinan"], kabupaten__isnull=False)
                | Q(role="opd_officer", opd__isnull=False)
                | Q(role="puskesmas_officer", puskesmas__isnull=False)
                | Q(role="kader", posyandu__isnull=False)
                | Q(role="kpm", desa__isnull=False)
                | Q(role="bappeda_provinsi", provinsi__isnull=False)
                | Q(role="nasional"),
                name="user_role_has_org_unit",
            ),
        ]

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Bappeda admins manage the accounts of their kabupaten; everyone else sees only himself."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return Q(pk=scope.user_id) if scope.user_id else NOTHING
        if scope.role == Role.BAPPEDA_ADMIN:
            inside = f"{scope.kabupaten_code}."
            return (
                Q(kabupaten__code=scope.kabupaten_code)
                | Q(opd__kabupaten__code=scope.kabupaten_code)
                | Q(puskesmas__kecamatan__code__startswith=inside)
                | Q(desa__code__startswith=inside)
                | Q(posyandu__desa__code__startswith=inside)
            )
        return Q(pk=scope.user_id)
