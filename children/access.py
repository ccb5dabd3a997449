"""Who may write the registries and who may read NIK: role rules on top of convergence.scoping."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from children import pii
from convergence.models import Role, User
from convergence.ratelimit import Verdict, rate_limit_hit
from convergence.scoping import check_can_edit, scope_for_user

# Registry data is entered at the posyandu, the desa (KPM), the puskesmas and by Bappeda's data team;
# OPD officers and the district head read it.
REGISTRY_WRITERS = frozenset({Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER, Role.KADER, Role.KPM})
# Roles that need the full NIK: to find a person in Dukcapil/BPJS data or resolve a duplicate.
NIK_READERS = frozenset({Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER, Role.KADER})
# Roles that review the duplicate queue and merge records.
MERGERS = frozenset({Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER})


def can_write_registry(user: User | AnonymousUser) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in REGISTRY_WRITERS


def can_create_places(user: User | AnonymousUser) -> bool:
    """Creating puskesmas and posyandu from an imported file: the region master data is Bappeda's."""
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN


def check_registry_write(user: User | AnonymousUser, obj: models.Model | None = None) -> None:
    """PermissionDenied unless `user` may write registry rows (and `obj`, when given, is in scope)."""
    if not can_write_registry(user):
        raise PermissionDenied
    check_can_edit(user, obj)


def can_see_nik(user: User | AnonymousUser) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in NIK_READERS


def can_merge(user: User | AnonymousUser) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in MERGERS


def identifier_for_display(user: User | AnonymousUser, encrypted: str) -> str:
    """A NIK or KK number (as stored, encrypted) as `user` may see it: in full, masked, or "" when none.

    Every page, serializer, export and admin view shows NIK and KK through here (pii.mask_identifier).
    """
    if not encrypted:
        return ""
    number = pii.decrypt(encrypted)
    return number if can_see_nik(user) else pii.mask_identifier(number)


# The KK number identifies a household as a NIK a person: the same need-to-know rule.
nik_for_display = kk_for_display = identifier_for_display


def lookup_allow(*, user: User) -> Verdict:
    """Count one NIK/KK look-up of `user` against NIK_LOOKUP_RATE: every page and API look-up calls
    this, so one count covers them all (a list or an import is not a look-up)."""
    return rate_limit_hit(scope="nik-lookup", ident=str(user.pk), rate=settings.NIK_LOOKUP_RATE)


def lookup_refused_message(verdict: Verdict) -> str:
    minutes = max(1, math.ceil(verdict.retry_after / 60))
    return _("Terlalu banyak pencarian NIK/KK. Coba lagi dalam %(minutes)d menit.") % {"minutes": minutes}
