"""The one access-scoping mechanism: every page, API endpoint, export, admin view and job uses it.

`scope_for_user(user)` says which organisation unit a user works in; `restrict(queryset, user)`
filters any scoped model (one that defines `scope_q(scope) -> Q`) to what the user may read;
`check_can_edit(user, obj)` refuses writes outside the user's unit or for read-only roles.

Kemendagri codes are hierarchical strings, so "inside a kabupaten" is a prefix test on the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from convergence.models import Posyandu, Puskesmas, Region, Role, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

M = TypeVar("M", bound=models.Model)
# A queryset keeps its own class (RegionQuerySet.active() and the like) through restrict().
QS = TypeVar("QS", bound=models.QuerySet[Any])

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    """What a user may see: the role and the ids/codes of the unit it is bound to."""

    role: str
    user_id: int | None = None
    is_superuser: bool = False
    kabupaten_code: str | None = None
    opd_id: int | None = None
    puskesmas_id: int | None = None
    kecamatan_code: str | None = None
    desa_id: int | None = None
    desa_code: str | None = None
    posyandu_id: int | None = None
    # The province of a Bappeda provinsi user; None for the national role (every province).
    provinsi_code: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.is_superuser and not self.role

    @property
    def kabupaten_prefix(self) -> str | None:
        """Code of the kabupaten/kota the user works in (pp.kk)."""
        code = self.kabupaten_code or self.kecamatan_code or self.desa_code
        return code[:5] if code else None

    @property
    def is_read_only(self) -> bool:
        """Roles that change nothing through the generic checks. The provincial role writes only its
        grades and target paths, through services that check it by name (convergence.province)."""
        return self.role in (Role.PIMPINAN, Role.BAPPEDA_PROVINSI, Role.NASIONAL)

    @property
    def is_aggregate_only(self) -> bool:
        """Province and national roles: aggregates of many kabupaten, never a named record."""
        return not self.is_superuser and self.role in (Role.BAPPEDA_PROVINSI, Role.NASIONAL)

    @property
    def is_national(self) -> bool:
        return not self.is_superuser and self.role == Role.NASIONAL

    def covers_code(self, code: str) -> bool:
        """Whether a region code (provinsi, kabupaten or below) lies inside an aggregate role's area."""
        if self.is_superuser or self.is_national:
            return True
        if self.role == Role.BAPPEDA_PROVINSI and self.provinsi_code:
            return code == self.provinsi_code or code.startswith(f"{self.provinsi_code}.")
        return False

    def area_q(self, field: str = "code") -> Q:
        """Q on a region code field for an aggregate role's area: its province, or every province."""
        if self.is_superuser or self.is_national:
            return Q()
        if self.role == Role.BAPPEDA_PROVINSI and self.provinsi_code:
            code = self.provinsi_code
            return Q(**{field: code}) | Q(**{f"{field}__startswith": f"{code}."})
        return NOTHING

    @property
    def is_kader(self) -> bool:
        """A kader's scope: her posyandu, narrower than her desa for the registries (docs/privacy.md)."""
        return not self.is_superuser and self.role == Role.KADER and self.posyandu_id is not None

    @property
    def is_district_wide(self) -> bool:
        return self.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER)

    def path(self, prefix: str, field: str) -> str:
        return f"{prefix}__{field}" if prefix else field

    def q(self, *, desa: str, posyandu: str | None = None, opd: str | None = None) -> Q:
        """Q for a model reaching its desa (Region) through `desa`, optionally its posyandu and OPD.

        `opd` marks OPD-owned rows: an OPD officer then sees only his agency's rows.
        """
        if self.is_superuser:
            return Q()
        if self.is_empty:
            return NOTHING
        if self.role == Role.OPD_OFFICER and opd is not None:
            return Q(**{f"{opd}_id" if opd else "id": self.opd_id})
        if self.is_district_wide:
            return Q(**{self.path(desa, "code__startswith"): f"{self.kabupaten_code}."})
        if self.role == Role.PUSKESMAS_OFFICER:
            return Q(**{self.path(desa, "puskesmas_id"): self.puskesmas_id})
        if self.role == Role.KPM:
            return Q(**{self.path(desa, "id"): self.desa_id})
        if self.role == Role.KADER:
            if posyandu is not None:
                return Q(**{self.path(posyandu, "id"): self.posyandu_id})
            return Q(**{self.path(desa, "id"): self.desa_id})
        return NOTHING


class ScopedModel(Protocol):
    @classmethod
    def scope_q(cls, scope: Scope) -> Q: ...


def scope_for_user(user: User | AnonymousUser) -> Scope:
    """The scope of `user`, cached on the user object for the request."""
    cached = getattr(user, "_scope", None)
    if cached is not None:
        return cached
    scope = _build_scope(user)
    if user.is_authenticated:
        user._scope = scope
    return scope


def _build_scope(user: User | AnonymousUser) -> Scope:
    if not isinstance(user, User) or not user.is_active:
        return Scope(role="")
    if user.is_superuser:
        return Scope(role=user.role, user_id=user.pk, is_superuser=True)
    role, user_id = user.role, user.pk
    if role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN) and user.kabupaten_id:
        return Scope(
            role=role,
            user_id=user_id,
            kabupaten_code=Region.objects.values_list("code", flat=True).get(pk=user.kabupaten_id),
        )
    if role == Role.OPD_OFFICER and user.opd_id:
        code = Region.objects.values_list("code", flat=True).get(opd_set__id=user.opd_id)
        return Scope(role=role, user_id=user_id, opd_id=user.opd_id, kabupaten_code=code)
    if role == Role.PUSKESMAS_OFFICER and user.puskesmas_id:
        kecamatan_code = Puskesmas.objects.values_list("kecamatan__code", flat=True).get(pk=user.puskesmas_id)
        return Scope(
            role=role, user_id=user_id, puskesmas_id=user.puskesmas_id, kecamatan_code=kecamatan_code
        )
    if role == Role.KPM and user.desa_id:
        code = Region.objects.values_list("code", flat=True).get(pk=user.desa_id)
        return Scope(role=role, user_id=user_id, desa_id=user.desa_id, desa_code=code)
    if role == Role.BAPPEDA_PROVINSI and user.provinsi_id:
        code = Region.objects.values_list("code", flat=True).get(pk=user.provinsi_id)
        return Scope(role=role, user_id=user_id, provinsi_code=code)
    if role == Role.NASIONAL:
        return Scope(role=role, user_id=user_id)
    if role == Role.KADER and user.posyandu_id:
        desa_id, desa_code = Posyandu.objects.values_list("desa_id", "desa__code").get(pk=user.posyandu_id)
        return Scope(
            role=role, user_id=user_id, posyandu_id=user.posyandu_id, desa_id=desa_id, desa_code=desa_code
        )
    return Scope(role="", user_id=user_id)


def restrict(queryset: QS, user: User | AnonymousUser) -> QS:
    """`queryset` limited to the rows `user` may read."""
    scope_q = getattr(queryset.model, "scope_q", None)
    if scope_q is None:
        raise TypeError(f"{queryset.model.__name__} defines no scope_q: it cannot be shown to users")
    return queryset.filter(scope_q(scope_for_user(user)))


def can_read(user: User | AnonymousUser, obj: models.Model) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def check_can_edit(user: User | AnonymousUser, obj: models.Model | None = None, *, model: Any = None) -> None:
    """Raise PermissionDenied unless `user` may write `obj` (or create rows of `model`)."""
    scope = scope_for_user(user)
    if scope.is_empty or scope.is_read_only:
        raise PermissionDenied
    if obj is not None and not can_read(user, obj):
        raise PermissionDenied
