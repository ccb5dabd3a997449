"""Who may do what with PMT money and episodes (pages and API ask the same functions)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied

from convergence.models import Role, User
from convergence.scoping import scope_for_user
from interventions.models import (
    BudgetLine,
    PMTProgramme,
)


def rupiah(amount: Decimal) -> str:
    """Rp 1.234.567 (Indonesian thousands separator)."""
    return "Rp " + f"{int(amount):,}".replace(",", ".")


def can_manage_line(user: User, line: BudgetLine) -> bool:
    """Bappeda any line of its kabupaten, an OPD officer his OPD's lines, a KPM the lines of his desa."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == line.kabupaten.code
    if scope.role == Role.OPD_OFFICER:
        return line.opd_id is not None and line.opd_id == scope.opd_id
    if scope.role == Role.KPM:
        return line.desa_id is not None and line.desa_id == scope.desa_id
    return False


# Roles that hold or oversee PMT money (pages): the kader's PMT work is the food she hands out.
PMT_MONEY_ROLES = frozenset(
    {Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER, Role.PUSKESMAS_OFFICER, Role.KPM}
)


def can_see_pmt_money(user: User) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in PMT_MONEY_ROLES


def may_create_budget_lines(user: User) -> bool:
    """Whether the role holds lines at all (can_manage_line decides on each line)."""
    scope = scope_for_user(user)
    return (
        scope.is_superuser
        or scope.role == Role.BAPPEDA_ADMIN
        or (scope.role == Role.OPD_OFFICER and scope.opd_id is not None)
        or (scope.role == Role.KPM and scope.desa_id is not None)
    )


def may_enrol(user: User) -> bool:
    """Whether the role enrols recipients in some programme (can_enrol decides per programme)."""
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in (
        Role.BAPPEDA_ADMIN,
        Role.OPD_OFFICER,
        Role.PUSKESMAS_OFFICER,
    )


def _check_line(user: User, line: BudgetLine) -> None:
    if not can_manage_line(user, line):
        raise PermissionDenied


def can_enrol(user: User, programme: PMTProgramme) -> bool:
    """Bappeda, the programme's OPD officers and puskesmas officers (for recipients of their area)."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == programme.kabupaten.code
    if scope.role == Role.OPD_OFFICER:
        return programme.opd_id == scope.opd_id
    return scope.role == Role.PUSKESMAS_OFFICER and scope.kabupaten_prefix == programme.kabupaten.code
