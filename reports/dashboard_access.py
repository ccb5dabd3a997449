"""Who opens the dashboards: the district head's page, Bappeda's drill-down, the map upload."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from children.access import can_write_registry
from convergence.models import Region, Role, User
from convergence.scoping import scope_for_user
from convergence.selectors_actions import kabupaten_for_user

# Who opens which page. The district head's page is for the bupati (pimpinan) and Bappeda; the
# drill-down also for a puskesmas officer, inside his working area.
DASHBOARD_ROLES = frozenset({Role.PIMPINAN, Role.BAPPEDA_ADMIN})
DRILLDOWN_ROLES = frozenset({Role.PIMPINAN, Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER})
MAP_ROLES = frozenset({Role.BAPPEDA_ADMIN})


def _role_in(user: User, roles: frozenset[str]) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in roles


def check_dashboard_access(user: User) -> None:
    if not _role_in(user, DASHBOARD_ROLES):
        raise PermissionDenied


def check_drilldown_access(user: User) -> None:
    if not _role_in(user, DRILLDOWN_ROLES):
        raise PermissionDenied


def check_map_upload(user: User) -> None:
    if not _role_in(user, MAP_ROLES):
        raise PermissionDenied


def can_see_names(user: User) -> bool:
    """Links to named lists only for roles that keep the by-name registries; the bupati sees counts."""
    return can_write_registry(user)


def dashboard_kabupaten(*, user: User) -> Region:
    kabupaten = kabupaten_for_user(user=user)
    if kabupaten is None:
        raise Http404
    return kabupaten
