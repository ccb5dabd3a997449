"""Reads of the convergence backbone, always through the access scope."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS, Level
from convergence.models import OPD, Posyandu, Puskesmas, Region, RegionQuerySet, Role, User
from convergence.scoping import restrict, scope_for_user


def region_list_for_user(*, user: User) -> RegionQuerySet:
    return restrict(Region.objects.all(), user)


def region_get_for_user(*, user: User, code: str) -> Region:
    """The region with `code`, or 404 when it does not exist or lies outside the user's scope."""
    region = region_list_for_user(user=user).select_related("parent", "puskesmas").filter(code=code).first()
    if region is None:
        raise Http404
    return region


def region_children_for_user(*, user: User, region: Region) -> list[Region]:
    """The visible regions directly under `region`, each with the visible regions and posyandu under it.

    Counts go through the same scope as the rows: a kader sees one posyandu, so she counts one.
    Three queries whatever the number of regions.
    """
    visible = region_list_for_user(user=user)
    children = list(visible.filter(parent=region).order_by("code"))
    below = dict(
        visible.filter(parent__in=children)
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    posyandu_per_desa = (
        restrict(Posyandu.objects.all(), user)
        .filter(desa__code__startswith=f"{region.code}.")
        .values("desa__code")
        .annotate(n=Count("id"))
        .values_list("desa__code", "n")
    )
    posyandu_count: dict[str, int] = {}
    for desa_code, count in posyandu_per_desa:
        # Desa codes extend their ancestors' codes: credit each posyandu to the child region above it.
        for child in children:
            if desa_code == child.code or desa_code.startswith(f"{child.code}."):
                posyandu_count[child.code] = posyandu_count.get(child.code, 0) + count
    for child in children:
        child.subregion_count = below.get(child.pk, 0)  # type: ignore[attr-defined]
        child.posyandu_count = posyandu_count.get(child.code, 0)  # type: ignore[attr-defined]
    return children


def region_home_for_user(*, user: User) -> Region | None:
    """The region a user's work starts from: his kabupaten, kecamatan or desa."""
    scope = scope_for_user(user)
    regions = region_list_for_user(user=user)
    if scope.is_superuser:
        return regions.filter(level__in=[level.value for level in KABUPATEN_LEVELS]).first()
    if scope.role == Role.PUSKESMAS_OFFICER:
        return regions.filter(code=scope.kecamatan_code).first()
    if scope.role in (Role.KPM, Role.KADER):
        return regions.filter(code=scope.desa_code).first()
    return regions.filter(code=scope.kabupaten_prefix).first()


def region_breadcrumbs(*, region: Region) -> list[Region]:
    """The ancestors of `region`, top first (one query)."""
    codes = [".".join(region.code.split(".")[:i]) for i in range(1, region.code.count(".") + 1)]
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def posyandu_list_for_user(*, user: User, desa: Region | None = None) -> QuerySet[Posyandu]:
    posyandu = restrict(Posyandu.objects.select_related("desa", "desa__puskesmas"), user)
    if desa is not None:
        posyandu = posyandu.filter(desa=desa)
    return posyandu.order_by("desa__code", "code")


def posyandu_get_for_user(*, user: User, pk: int) -> Posyandu:
    posyandu = posyandu_list_for_user(user=user).filter(pk=pk).first()
    if posyandu is None:
        raise Http404
    return posyandu


def puskesmas_list_for_user(*, user: User, kecamatan: Region | None = None) -> QuerySet[Puskesmas]:
    puskesmas = restrict(Puskesmas.objects.select_related("kecamatan"), user).distinct()
    if kecamatan is not None:
        puskesmas = puskesmas.filter(kecamatan=kecamatan)
    return puskesmas.order_by("kecamatan__code", "code")


def opd_list_for_user(*, user: User) -> QuerySet[OPD]:
    return restrict(OPD.objects.select_related("kabupaten"), user)


def desa_list_for_user(*, user: User) -> RegionQuerySet:
    return region_list_for_user(user=user).filter(level__in=[level.value for level in DESA_LEVELS])


def is_desa_level(level: str) -> bool:
    return level in (Level.DESA, Level.KELURAHAN)
