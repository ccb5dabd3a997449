"""The interventions' synced lists in the changes feed (convergence.tombstones): PMT enrolments, budget
lines and disbursements. Registered by InterventionsConfig.ready()."""

from __future__ import annotations

from functools import partial

from django.db.models import Q

from convergence.models import Role
from convergence.scoping import NOTHING, Scope
from convergence.tombstones import Place, area_q, synced_kind_register
from interventions.models import BudgetLine, Disbursement, PMTEnrolment


def _enrolment_place(enrolment: PMTEnrolment) -> Place:
    # A child's episode is seen by her posyandu's kader, a mother's by her desa's; OPD officers see
    # their programmes' episodes (PMTEnrolment.scope_q).
    return Place(
        region_id=enrolment.desa_id,
        posyandu_id=enrolment.child.posyandu_id if enrolment.child is not None else None,
        opd_id=enrolment.programme.opd_id,
    )


def _line_place(line: BudgetLine) -> Place:
    # A line is held by a desa (Dana Desa, ADD) or by an OPD of the kabupaten.
    return Place(region_id=line.desa_id or line.kabupaten_id, opd_id=line.opd_id)


def _line_q(scope: Scope) -> Q:
    """interventions.models._budget_line_q over a tombstone's columns."""
    if scope.is_superuser:
        return Q()
    if scope.is_empty:
        return NOTHING
    if scope.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN):
        code = scope.kabupaten_code
        return Q(region__code=code) | Q(region__code__startswith=f"{code}.")
    if scope.role == Role.OPD_OFFICER:
        return Q(opd_id=scope.opd_id)
    if scope.role == Role.PUSKESMAS_OFFICER:
        return Q(region__puskesmas_id=scope.puskesmas_id)
    if scope.role in (Role.KPM, Role.KADER):
        return Q(region_id=scope.desa_id)
    return NOTHING


def register() -> None:
    synced_kind_register(
        PMTEnrolment, kind="pmt-enrolments", place=_enrolment_place, scope_q=partial(area_q, by_opd=True)
    )
    synced_kind_register(BudgetLine, kind="budget-lines", place=_line_place, scope_q=_line_q)
    synced_kind_register(
        Disbursement, kind="disbursements", place=lambda row: _line_place(row.budget_line), scope_q=_line_q
    )
