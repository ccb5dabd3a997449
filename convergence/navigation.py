"""The menu each role sees. Later apps add their entries here, gated by role."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from convergence.models import Role, User
from convergence.scoping import scope_for_user


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url: str


def menu_for_user(user: User) -> list[MenuItem]:
    scope = scope_for_user(user)
    items = [MenuItem(_("Beranda"), reverse("home"))]
    if scope.is_empty:
        return items
    items.append(MenuItem(_("Wilayah"), reverse("convergence:region-home")))
    items.append(MenuItem(_("Cara hitung z-score"), reverse("children:zscore-method")))
    if scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN:
        items.append(MenuItem(_("Administrasi"), reverse("admin:index")))
    items.append(MenuItem(_("API"), reverse("api-docs")))
    return items
