"""The menu each role sees. Later apps add their entries here, gated by role."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from convergence.models import Role, User
from convergence.scoping import scope_for_user

# Roles that enter registry data (children.access.REGISTRY_WRITERS; kept here to avoid an upward import).
_REGISTRY_WRITERS = {Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER, Role.KADER, Role.KPM}
_MERGERS = {Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER}


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url: str


def menu_for_user(user: User) -> list[MenuItem]:
    scope = scope_for_user(user)
    items = [MenuItem(_("Beranda"), reverse("home"))]
    if scope.is_empty:
        return items
    if scope.role == Role.KADER and scope.posyandu_id:
        items.append(
            MenuItem(_("Hari posyandu"), reverse("children:posyandu-day-current", args=[scope.posyandu_id]))
        )
    items.append(MenuItem(_("Wilayah"), reverse("convergence:region-home")))
    items.append(MenuItem(_("Anak"), reverse("children:child-list")))
    items.append(MenuItem(_("Keluarga"), reverse("children:keluarga-list")))
    items.append(MenuItem(_("Ibu hamil"), reverse("children:pregnancy-list")))
    items.append(MenuItem(_("Remaja putri"), reverse("children:adolescent-list")))
    writer = scope.is_superuser or scope.role in _REGISTRY_WRITERS
    if writer:
        items.append(MenuItem(_("Cari NIK"), reverse("children:nik-search")))
    if scope.is_superuser or scope.role in _MERGERS:
        items.append(MenuItem(_("Calon duplikat"), reverse("children:duplicate-list")))
    if writer:
        items.append(MenuItem(_("Impor"), reverse("children:import-list")))
    items.append(MenuItem(_("Ekspor"), reverse("children:export")))
    items.append(MenuItem(_("Cara hitung z-score"), reverse("children:zscore-method")))
    if scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN:
        items.append(MenuItem(_("Administrasi"), reverse("admin:index")))
    items.append(MenuItem(_("API"), reverse("api-docs")))
    return items
