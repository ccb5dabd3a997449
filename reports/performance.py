"""The Aksi 8 annual performance review (Reviu Kinerja Tahunan): per OPD, what it planned and achieved.

Per OPD of the kabupaten: its interventions of the year with the target of their indicator and the
indicator's realisation (the situation analysis' coverage: services received / services due of the
interventions feeding it), the deliveries recorded, the absorption of its budget lines (approved
disbursements / allocation), and its part of the convergence ledger (services due to the priority
targets from its interventions, and received). Above the sections: the kabupaten's stunting
prevalence of the year against its target path and the overall convergence rate.

Only assembly: every figure comes from an existing selector read through the user's scope. Bappeda,
pimpinan and a superuser read every OPD's section; an OPD officer only his own agency's; other roles
get a 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from convergence.models import OPD, Region, Role, User
from convergence.scoping import restrict, scope_for_user
from interventions import compute as intervention_compute
from interventions.models import Delivery, Intervention
from interventions.pmt_reports import LineRow, pmt_absorption
from interventions.selectors import Period, intervention_list_for_user, ledger_for_user, targets_for_year
from interventions.selectors_pmt import ZERO
from interventions.situation import Coverage, situation_analysis_for_user, situation_kabupaten_for_user

from .selectors import YearTableRow, year_table

READERS = (Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else (part * 100 / whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class InterventionRow:
    intervention: Intervention
    target_percent: Decimal | None
    realised: Coverage | None  # None: no intervention feeds the indicator, or it has none
    deliveries: int

    @property
    def achieved(self) -> bool | None:
        """Realisation at or above the target; None without both."""
        if self.target_percent is None or self.realised is None or self.realised.percent is None:
            return None
        return Decimal(str(self.realised.percent)) >= self.target_percent


@dataclass(frozen=True)
class ConvergenceShare:
    """Services due to the ledger's priority targets from an OPD's interventions, and received."""

    due: int = 0
    received: int = 0

    @property
    def rate(self) -> float | None:
        return None if not self.due else round(100.0 * self.received / self.due, 1)


@dataclass(frozen=True)
class OPDSection:
    opd: OPD
    interventions: list[InterventionRow]
    budget_lines: list[LineRow]
    convergence: ConvergenceShare

    @property
    def allocated(self) -> Decimal:
        return sum((row.totals.allocated for row in self.budget_lines), ZERO)

    @property
    def disbursed(self) -> Decimal:
        return sum((row.totals.disbursed for row in self.budget_lines), ZERO)

    @property
    def absorption_percent(self) -> Decimal | None:
        return _percent(self.disbursed, self.allocated)

    @property
    def targets_achieved(self) -> int:
        return sum(1 for row in self.interventions if row.achieved)

    @property
    def targets_assessed(self) -> int:
        return sum(1 for row in self.interventions if row.achieved is not None)


@dataclass(frozen=True)
class PerformanceReview:
    kabupaten: Region
    year: int
    on: datetime.date
    prevalence: YearTableRow | None
    convergence: intervention_compute.Counts
    sections: list[OPDSection]
    all_sections: bool  # False for an OPD officer: his section only


def convergence_by_opd(
    intervention_id: np.ndarray, received: np.ndarray, opd_of: Mapping[int, int]
) -> dict[int, ConvergenceShare]:
    """Due and received services per OPD id, from the ledger's service rows (pure)."""
    result: dict[int, ConvergenceShare] = {}
    opd_ids = np.array([opd_of.get(int(i), 0) for i in intervention_id.tolist()], dtype=np.int64)
    got = np.asarray(received, dtype=bool)
    for opd_id in sorted(set(opd_ids.tolist()) - {0}):
        mine = opd_ids == opd_id
        result[opd_id] = ConvergenceShare(due=int(mine.sum()), received=int(got[mine].sum()))
    return result


def check_can_read_review(user: User) -> None:
    """Bappeda, pimpinan, OPD officers and superusers read the review; everybody else gets a 403."""
    scope = scope_for_user(user)
    if not scope.is_superuser and scope.role not in READERS:
        raise PermissionDenied


def _delivery_counts(*, user: User, interventions: list[Intervention], period: Period) -> dict[int, int]:
    """Deliveries of the period the user may see, counted per intervention (one query)."""
    return dict(
        restrict(Delivery.objects.all(), user)
        .filter(intervention__in=[item.pk for item in interventions])
        .filter(Q(delivered_on__gte=period.start) & Q(delivered_on__lte=period.end))
        .values("intervention_id")
        .annotate(n=Count("pk"))
        .values_list("intervention_id", "n")
    )


def performance_review_for_user(
    *, user: User, year: int, today: datetime.date, kabupaten_code: str = ""
) -> PerformanceReview:
    """The review of `year` for the user's kabupaten (a superuser may choose one by code)."""
    check_can_read_review(user)
    scope = scope_for_user(user)
    kabupaten = situation_kabupaten_for_user(user=user, code=kabupaten_code)
    period = Period(year=year)
    opd_list = restrict(OPD.objects.filter(kabupaten=kabupaten), user).order_by("short_name")
    own_only = not scope.is_superuser and scope.role == Role.OPD_OFFICER
    if own_only:
        opd_list = opd_list.filter(pk=scope.opd_id) if scope.opd_id is not None else opd_list.none()
    opd_by_id = {opd.pk: opd for opd in opd_list}

    interventions = [
        item
        for item in intervention_list_for_user(user=user).filter(
            kabupaten=kabupaten, opd_id__in=list(opd_by_id)
        )
        if item.is_valid_between(period.start, period.end)
    ]
    targets = targets_for_year(kabupaten=kabupaten, year=year)
    analysis = situation_analysis_for_user(user=user, year=year, today=today, kabupaten_code=kabupaten.code)
    deliveries = _delivery_counts(user=user, interventions=interventions, period=period)
    lines = [
        row
        for row in pmt_absorption(user=user, year=year).lines
        if row.line.kabupaten_id == kabupaten.pk and row.line.opd_id in opd_by_id
    ]
    ledger = ledger_for_user(user=user, region_code=kabupaten.code, period=period, today=today)
    services = ledger.services
    shares = (
        convergence_by_opd(
            services.intervention_id,
            services.received,
            {item.pk: item.opd_id for item in ledger.interventions},
        )
        if services is not None
        else {}
    )

    sections = []
    for opd_id, opd in opd_by_id.items():
        rows = [
            InterventionRow(
                intervention=item,
                target_percent=targets.get(item.indicator_id) if item.indicator_id else None,
                realised=analysis.coverage_total(item.indicator_id)
                if item.indicator_id in analysis.indicators_with_data
                else None,
                deliveries=deliveries.get(item.pk, 0),
            )
            for item in interventions
            if item.opd_id == opd_id
        ]
        sections.append(
            OPDSection(
                opd=opd,
                interventions=rows,
                budget_lines=[row for row in lines if row.line.opd_id == opd_id],
                convergence=shares.get(opd_id, ConvergenceShare()),
            )
        )
    table = year_table(user=user, region=kabupaten, up_to_year=year)
    prevalence = next((row for row in table.rows if row.figure.row.period.year == year), None)
    return PerformanceReview(
        kabupaten=kabupaten,
        year=year,
        on=period.reference_day(today),
        prevalence=prevalence,
        convergence=ledger.total,
        sections=sections,
        all_sections=not own_only,
    )
