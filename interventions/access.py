"""Who records deliveries and handles referrals: role rules on top of convergence.scoping.

Deliveries are the OPD's own records: an OPD officer records (and sees) only his agency's, Bappeda
any of the kabupaten's. Referrals come from the field or the planners (Bappeda, the owner OPD,
puskesmas officers, KPM) and are moved along by the owner OPD or Bappeda. Pimpinan read. A kader
creates one kind only: the referral of a measurement result of a child of her posyandu to the
puskesmas (can_refer_measurement); otherwise she reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from children.models import Child, Measurement
from convergence.models import Role, User
from convergence.scoping import restrict, scope_for_user
from interventions.models import Intervention, Referral

REFERRAL_CREATORS = frozenset({Role.BAPPEDA_ADMIN, Role.OPD_OFFICER, Role.PUSKESMAS_OFFICER, Role.KPM})


def _in_kabupaten(user: User | AnonymousUser, intervention: Intervention) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.kabupaten_prefix == intervention.kabupaten.code


def can_record_delivery(user: User | AnonymousUser, intervention: Intervention | None = None) -> bool:
    """Whether `user` may record deliveries (of `intervention`, when given)."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return intervention is None or _in_kabupaten(user, intervention)
    if scope.role == Role.OPD_OFFICER:
        return intervention is None or intervention.opd_id == scope.opd_id
    return False


def check_delivery_write(user: User | AnonymousUser, intervention: Intervention) -> None:
    if not can_record_delivery(user, intervention):
        raise PermissionDenied


def can_create_referral(user: User | AnonymousUser, intervention: Intervention | None = None) -> bool:
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role not in REFERRAL_CREATORS:
        return False
    if intervention is None:
        return True
    if scope.role == Role.OPD_OFFICER:
        return intervention.opd_id == scope.opd_id
    return _in_kabupaten(user, intervention)


def check_referral_create(user: User | AnonymousUser, intervention: Intervention) -> None:
    if not can_create_referral(user, intervention):
        raise PermissionDenied


def can_manage_referral(user: User | AnonymousUser, referral: Referral) -> bool:
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == referral.opd.kabupaten.code
    return scope.role == Role.OPD_OFFICER and referral.opd_id == scope.opd_id


def check_referral_manage(user: User | AnonymousUser, referral: Referral) -> None:
    if not can_manage_referral(user, referral):
        raise PermissionDenied


def referable_children(
    user: User | AnonymousUser, children: Iterable[Child], interventions: Mapping[int, Intervention]
) -> set[int]:
    """The ids of `children` that `user` may refer to the puskesmas through `interventions[child id]`.

    A kader: only the children of her own posyandu. Other roles: as for any referral of that
    intervention, with the child in their scope (one query for all the children).
    """
    scope = scope_for_user(user)
    children = [child for child in children if child.pk in interventions]
    if scope.is_kader:
        return {
            child.pk
            for child in children
            if child.posyandu_id == scope.posyandu_id and _in_kabupaten(user, interventions[child.pk])
        }
    allowed = [child.pk for child in children if can_create_referral(user, interventions[child.pk])]
    if not allowed:
        return set()
    return set(restrict(Child.objects.filter(pk__in=allowed), user).values_list("pk", flat=True))


def can_refer_measurement(
    user: User | AnonymousUser, measurement: Measurement, intervention: Intervention
) -> bool:
    """Whether `user` may refer the child of `measurement` to the puskesmas (referable_children)."""
    child = measurement.child
    return child.pk in referable_children(user, [child], {child.pk: intervention})


def check_refer_measurement(
    user: User | AnonymousUser, measurement: Measurement, intervention: Intervention
) -> None:
    if not can_refer_measurement(user, measurement, intervention):
        raise PermissionDenied
