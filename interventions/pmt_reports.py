"""Reads for the PMT reports: absorption per line, holder, source and month; programme outcomes; recipients.

All money is Decimal rupiah. Each function reads each table once (never once per row); everything is
limited to what the user's scope holds (convergence.scoping.restrict).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from convergence.models import User
from convergence.scoping import restrict
from interventions import pmt
from interventions.models import BudgetLine, Disbursement, PMTEnrolment, PMTProgramme, PMTReservation
from interventions.selectors_pmt import (
    HELD,
    ZERO,
    LineTotals,
    MonthAbsorption,
    held_reservations,
    stored_outcome,
)

APPROVED = Disbursement.Status.APPROVED
CANCELLED = PMTEnrolment.Status.CANCELLED


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineRow:
    line: BudgetLine
    totals: LineTotals

    @property
    def holder(self) -> str:
        return self.line.opd.short_name if self.line.opd_id else self.line.desa.name  # type: ignore[union-attr]


@dataclass(frozen=True)
class GroupRow:
    key: str
    allocated: Decimal
    reserved: Decimal
    disbursed: Decimal
    available: Decimal

    @property
    def absorption_percent(self) -> Decimal | None:
        return _percent(self.disbursed, self.allocated)


@dataclass(frozen=True)
class Absorption:
    lines: list[LineRow]
    by_source: list[GroupRow]
    by_holder: list[GroupRow]
    by_month: list[MonthAbsorption]
    total: GroupRow


def _group(rows: list[LineRow], key: str) -> GroupRow:
    return GroupRow(
        key,
        sum((r.totals.allocated for r in rows), ZERO),
        sum((r.totals.reserved for r in rows), ZERO),
        sum((r.totals.disbursed for r in rows), ZERO),
        sum((r.totals.available for r in rows), ZERO),
    )


def _grouped(rows: list[LineRow], key_of: object) -> list[GroupRow]:
    groups: dict[str, list[LineRow]] = {}
    for row in rows:
        groups.setdefault(key_of(row), []).append(row)  # type: ignore[operator]
    return [_group(members, key) for key, members in sorted(groups.items())]


def pmt_absorption(*, user: User, year: int) -> Absorption:
    """Allocated, reserved, disbursed, available and absorption of the user's lines of `year`.

    Three queries: the lines, the reservations still held per line, the approved disbursements per line
    (total and not tied to an episode); plus one for the approved disbursements per month.
    """
    lines = list(
        restrict(BudgetLine.objects.select_related("opd", "desa"), user)
        .filter(year=year)
        .order_by("source", "programme_code", "activity_code", "sub_activity_code", "pk")
    )
    ids = [line.pk for line in lines]
    reserved = dict(
        held_reservations(PMTReservation.objects.filter(budget_line_id__in=ids))
        .values("budget_line_id")
        .annotate(total=Sum(HELD))
        .values_list("budget_line_id", "total")
    )
    paid = {
        row["budget_line_id"]: (row["total"], row["untied"] or ZERO)
        for row in Disbursement.objects.filter(budget_line_id__in=ids, status=APPROVED)
        .values("budget_line_id")
        .annotate(total=Sum("amount"), untied=Sum("amount", filter=Q(enrolment__isnull=True)))
    }
    rows = []
    for line in lines:
        line_reserved = reserved.get(line.pk, ZERO)
        disbursed, untied = paid.get(line.pk, (ZERO, ZERO))
        committed = line_reserved + untied
        totals = LineTotals(line.allocated, line_reserved, disbursed, committed, line.allocated - committed)
        rows.append(LineRow(line, totals))
    sources = dict(BudgetLine._meta.get_field("source").choices)  # type: ignore[arg-type]
    months = [
        MonthAbsorption(row["month"], row["total"])
        for row in Disbursement.objects.filter(budget_line_id__in=ids, status=APPROVED)
        .annotate(month=TruncMonth("paid_on"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("month")
    ]
    return Absorption(
        lines=rows,
        by_source=_grouped(rows, lambda r: str(sources.get(r.line.source, r.line.source))),
        by_holder=_grouped(rows, lambda r: r.holder),
        by_month=months,
        total=_group(rows, ""),
    )


# --- episodes and outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientRow:
    enrolment: PMTEnrolment
    name: str
    posyandu_id: int | None
    posyandu: str
    recovered: bool | None  # None: not (yet) assessed
    kept: Decimal  # cost less what a finished episode gave back to its lines

    @property
    def finished(self) -> bool:
        return self.enrolment.status == PMTEnrolment.Status.FINISHED


@dataclass(frozen=True)
class ProgrammeRow:
    programme: PMTProgramme
    episodes: int
    recipients: int
    total_cost: Decimal
    outcome: pmt.ProgrammeOutcome

    @property
    def cost_per_recipient(self) -> Decimal | None:
        if not self.recipients:
            return None
        return (self.total_cost / self.recipients).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _episodes(*, user: User, year: int) -> list[RecipientRow]:
    """The user's episodes of `year`, finished ones with their stored outcome (one query)."""
    enrolments = list(
        restrict(
            PMTEnrolment.objects.select_related(
                "programme", "programme__kabupaten", "child", "child__posyandu", "person", "desa", "outcome"
            ).annotate(released=Coalesce(Sum("reservations__released"), ZERO)),
            user,
        )
        .filter(programme__year=year)
        .order_by("child__posyandu__name", "person__name", "child__name", "start_date", "pk")
    )
    rows = []
    for e in enrolments:
        posyandu = e.child.posyandu if e.child_id else None  # type: ignore[union-attr]
        rows.append(
            RecipientRow(
                enrolment=e,
                name=e.recipient.name,  # type: ignore[attr-defined]
                posyandu_id=posyandu.pk if posyandu else None,
                posyandu=posyandu.name if posyandu else "",
                recovered=stored_outcome(e) if e.status == PMTEnrolment.Status.FINISHED else None,
                kept=e.cost - e.released,
            )
        )
    return rows


def pmt_recipients(
    *, user: User, year: int, posyandu_id: int | None = None
) -> tuple[list[RecipientRow], list[tuple[int, str]]]:
    """Named recipients of `year` in the user's scope (optionally of one posyandu) and the posyandu choices."""
    rows = _episodes(user=user, year=year)
    choices = sorted({(r.posyandu_id, r.posyandu) for r in rows if r.posyandu_id}, key=lambda c: c[1])
    if posyandu_id is not None:
        rows = [r for r in rows if r.posyandu_id == posyandu_id]
    return rows, choices


def pmt_programme_report(*, user: User, year: int) -> list[ProgrammeRow]:
    """Per programme: episodes, recipients, cost (not cancelled; finished ones at what they kept) and
    the outcome of the finished episodes, children and mothers alike."""
    programmes = list(restrict(PMTProgramme.objects.all(), user).filter(year=year).order_by("name", "pk"))
    by_programme: dict[int, list[RecipientRow]] = {}
    for row in _episodes(user=user, year=year):
        if row.enrolment.status != CANCELLED:
            by_programme.setdefault(row.enrolment.programme_id, []).append(row)
    result = []
    for programme in programmes:
        rows = by_programme.get(programme.pk, [])
        finished = [r for r in rows if r.finished]
        recipients = {(r.enrolment.child_id, r.enrolment.person_id) for r in rows}
        result.append(
            ProgrammeRow(
                programme=programme,
                episodes=len(rows),
                recipients=len(recipients),
                total_cost=sum((r.kept for r in rows), ZERO),
                outcome=pmt.programme_outcome([r.kept for r in finished], [r.recovered for r in finished]),
            )
        )
    return result
