"""The province's stunting target path (its RPJMD figure per year), beside the national path.

Who may do what: the provincial Bappeda (Role.BAPPEDA_PROVINSI) of a province is the only role that
writes its path (a superuser too); the province's kabupaten, the provincial and the national role read
it through ProvincialTarget.scope_q. A save makes the province dashboard and the national one assemble
again at once (reports.locks.province_figures_changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from convergence.codes import Level
from convergence.models import Region, Role, User
from convergence.scoping import restrict, scope_for_user

from .locks import province_figures_changed
from .models import NationalTarget, ProvincialTarget
from .province import check_province_access

AnyUser = User | AnonymousUser

# A target year outside this range is a typing error (RPJMD paths run to 2029, the RPJPN to 2045).
TARGET_YEARS = (2000, 2100)


def can_edit_targets(user: AnyUser, provinsi: Region) -> bool:
    """Only the provincial Bappeda of `provinsi` (or a superuser) enters its target path."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    return scope.role == Role.BAPPEDA_PROVINSI and scope.provinsi_code == provinsi.code


def target_year_errors(*, year: int) -> list[str]:
    """The message of a target year outside TARGET_YEARS (none when inside); the admin form shares it."""
    first, last = TARGET_YEARS
    if first <= year <= last:
        return []
    return [_("Tahun target harus antara %(first)d dan %(last)d.") % {"first": first, "last": last}]


@transaction.atomic
def provincial_target_save(
    *, user: AnyUser, provinsi: Region, year: int, stunting_pct: Decimal, source: str = ""
) -> ProvincialTarget:
    """Set the stunting target (%) of `provinsi` for `year` (one figure per year: a second save changes
    it). Only the provincial Bappeda of that province. ValidationError naming the field on a year outside
    TARGET_YEARS or a percentage outside 0-100 or with more than two decimals."""
    if provinsi.level != Level.PROVINSI or not can_edit_targets(user, provinsi):
        raise PermissionDenied
    if not isinstance(stunting_pct, Decimal):
        raise TypeError("stunting_pct must be a Decimal")
    errors: dict[str, list[str]] = {}
    if year_errors := target_year_errors(year=year):
        errors["year"] = year_errors
    if not stunting_pct.is_finite() or not Decimal(0) <= stunting_pct <= Decimal(100):
        errors["stunting_pct"] = [_("Target stunting harus antara 0 dan 100 persen.")]
    elif stunting_pct != stunting_pct.quantize(Decimal("0.01")):
        errors["stunting_pct"] = [_("Target stunting paling banyak dua angka di belakang koma.")]
    if errors:
        raise ValidationError(errors)
    row = ProvincialTarget.objects.select_for_update().filter(provinsi=provinsi, year=year).first()
    row = row or ProvincialTarget(provinsi=provinsi, year=year)
    row.stunting_pct, row.source = stunting_pct, source.strip()
    row.updated_by = user if isinstance(user, User) else None
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save()
    # The dashboards cache their assembly for minutes: the path must show on the next reading.
    province_figures_changed(provinsi.code)
    return row


@dataclass(frozen=True)
class TargetYear:
    year: int
    provincial: ProvincialTarget | None
    national_pct: Decimal | None


def provincial_target_list_for_user(*, user: AnyUser) -> QuerySet[ProvincialTarget]:
    """The provincial targets the user may read (its province's, or every province's nationally)."""
    return restrict(ProvincialTarget.objects.select_related("provinsi"), user).order_by(
        "provinsi__code", "year"
    )


def target_path(*, user: User, provinsi: Region) -> list[TargetYear]:
    """Every year with a provincial or a national figure, the national one beside the province's.
    PermissionDenied for roles without provinces (the page's caller has checked the province itself)."""
    check_province_access(user)
    provincial = {
        row.year: row for row in provincial_target_list_for_user(user=user).filter(provinsi=provinsi)
    }
    national = dict(NationalTarget.objects.values_list("year", "stunting_pct"))
    return [
        TargetYear(year=year, provincial=provincial.get(year), national_pct=national.get(year))
        for year in sorted(set(provincial) | set(national))
    ]
