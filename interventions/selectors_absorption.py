"""PMT budget absorption summed per kabupaten, for the province and national dashboards.

Only sums leave this module: the province and national roles read how much of a kabupaten's PMT
allocation was disbursed, never a budget line, a holder or a recipient (BudgetLine.scope_q refuses
them every line). Money is Decimal rupiah.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from convergence.models import User
from convergence.scoping import restrict, scope_for_user
from interventions.models import BudgetLine, Disbursement
from interventions.selectors_pmt import absorption_percent

ZERO = Decimal(0)


@dataclass(frozen=True)
class KabupatenAbsorption:
    """A kabupaten's PMT allocation (pagu) of a year and the approved disbursements charged to it."""

    allocated: Decimal
    disbursed: Decimal

    @property
    def absorption_percent(self) -> Decimal | None:
        return absorption_percent(disbursed=self.disbursed, allocated=self.allocated)


def _area_lines(user: User) -> QuerySet[BudgetLine]:
    scope = scope_for_user(user)
    if scope.is_superuser or scope.is_aggregate_only:
        # The aggregate roles' area (their province, or every province); only its sums are returned.
        return BudgetLine.objects.filter(scope.area_q("kabupaten__code"))
    return restrict(BudgetLine.objects.all(), user)


def pmt_absorption_by_kabupaten(
    *, user: User, year: int, within_code: str | None = None
) -> dict[str, KabupatenAbsorption]:
    """Allocated and disbursed (approved, reversals included) per kabupaten code for the lines of `year`
    the user's area holds, optionally only inside the province or kabupaten `within_code`.

    Two queries whatever the number of kabupaten and lines.
    """
    lines = _area_lines(user).filter(year=year)
    if within_code:
        lines = lines.filter(
            Q(kabupaten__code=within_code) | Q(kabupaten__code__startswith=f"{within_code}.")
        )
    allocated = dict(
        lines.order_by()
        .values("kabupaten__code")
        .annotate(total=Sum("allocated"))
        .values_list("kabupaten__code", "total")
    )
    disbursed = dict(
        Disbursement.objects.filter(budget_line__in=lines, status=Disbursement.Status.APPROVED)
        .order_by()
        .values("budget_line__kabupaten__code")
        .annotate(total=Sum("amount"))
        .values_list("budget_line__kabupaten__code", "total")
    )
    return {
        code: KabupatenAbsorption(allocated.get(code) or ZERO, disbursed.get(code) or ZERO)
        for code in sorted(set(allocated) | set(disbursed))
    }
