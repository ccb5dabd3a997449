"""Reads of PMT money and episodes: scoped lists, a line's totals, absorption, eligibility inputs, outcomes.

Totals of a line (all Decimal rupiah):
- reserved: costs of the line's episodes that are not cancelled;
- disbursed: approved disbursements (reversals included, they are negative);
- committed: reserved + approved disbursements not tied to an episode;
- available: allocated - committed (what a new episode or an untied payment may still take).
Invariant kept by interventions.services_pmt: disbursed <= committed <= allocated.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from children.growth.weight_gain import completed_months
from children.models import Child, Measurement, Person, Pregnancy
from convergence.models import User
from convergence.scoping import restrict
from interventions import pmt
from interventions.models import (
    BudgetLine,
    Disbursement,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTProgramme,
    PMTRate,
)

ZERO = Decimal(0)


def _sum(queryset: QuerySet, field: str) -> Decimal:  # type: ignore[type-arg]
    return queryset.aggregate(total=Coalesce(Sum(field), ZERO))["total"]


@dataclass(frozen=True)
class LineTotals:
    allocated: Decimal
    reserved: Decimal
    disbursed: Decimal
    committed: Decimal
    available: Decimal

    @property
    def absorption_percent(self) -> Decimal | None:
        """Disbursed / allocated x 100, one decimal (None for a zero allocation)."""
        if not self.allocated:
            return None
        return (self.disbursed * 100 / self.allocated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def budget_line_totals(*, line: BudgetLine) -> LineTotals:
    """Totals of one line from the database (call under the line's row lock when deciding on them)."""
    reserved = _sum(line.enrolments.exclude(status=PMTEnrolment.Status.CANCELLED), "cost")
    approved = line.disbursements.filter(status=Disbursement.Status.APPROVED)
    disbursed = _sum(approved, "amount")
    untied = _sum(approved.filter(enrolment__isnull=True), "amount")
    committed = reserved + untied
    return LineTotals(line.allocated, reserved, disbursed, committed, line.allocated - committed)


def enrolment_paid(*, enrolment: PMTEnrolment) -> Decimal:
    """Net approved payments tied to an episode (reversals included)."""
    return _sum(enrolment.disbursements.filter(status=Disbursement.Status.APPROVED), "amount")


# --- scoped lists ------------------------------------------------------------------------------------


def budget_line_list_for_user(*, user: User) -> QuerySet[BudgetLine]:
    return restrict(BudgetLine.objects.select_related("kabupaten", "opd", "desa"), user)


def pmt_rate_list_for_user(*, user: User) -> QuerySet[PMTRate]:
    return restrict(PMTRate.objects.all(), user)


def pmt_programme_list_for_user(*, user: User) -> QuerySet[PMTProgramme]:
    return restrict(PMTProgramme.objects.select_related("opd").prefetch_related("fundings"), user)


def pmt_enrolment_list_for_user(*, user: User) -> QuerySet[PMTEnrolment]:
    return restrict(
        PMTEnrolment.objects.select_related("programme", "child", "child__posyandu", "person", "desa"), user
    )


def pmt_delivery_list_for_user(*, user: User) -> QuerySet[PMTDeliveryLog]:
    return restrict(PMTDeliveryLog.objects.select_related("enrolment"), user)


def disbursement_list_for_user(*, user: User) -> QuerySet[Disbursement]:
    return restrict(Disbursement.objects.select_related("budget_line"), user)


# --- absorption --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthAbsorption:
    month: datetime.date
    disbursed: Decimal


def budget_line_monthly(*, line: BudgetLine) -> list[MonthAbsorption]:
    """Approved disbursements of a line per month of payment (reversals in the month they are dated)."""
    rows = (
        line.disbursements.filter(status=Disbursement.Status.APPROVED)
        .annotate(month=TruncMonth("paid_on"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("month")
    )
    return [MonthAbsorption(row["month"], row["total"]) for row in rows]


@dataclass(frozen=True)
class GroupAbsorption:
    key: str
    allocated: Decimal
    disbursed: Decimal

    @property
    def absorption_percent(self) -> Decimal | None:
        if not self.allocated:
            return None
        return (self.disbursed * 100 / self.allocated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


GROUPS = {"source": "source", "opd": "opd__short_name", "desa": "desa__name"}


def absorption_by(*, user: User, year: int, group: str) -> list[GroupAbsorption]:
    """Allocated and approved disbursed rupiah of the user's lines of `year`, by source, OPD or desa."""
    field = GROUPS[group]
    lines = budget_line_list_for_user(user=user).filter(year=year)
    allocated = {
        row[field] or "": row["total"]
        for row in lines.values(field).annotate(total=Sum("allocated")).order_by(field)
    }
    disbursed = {
        row[f"budget_line__{field}"] or "": row["total"]
        for row in Disbursement.objects.filter(budget_line__in=lines, status=Disbursement.Status.APPROVED)
        .values(f"budget_line__{field}")
        .annotate(total=Sum("amount"))
        .order_by(f"budget_line__{field}")
    }
    return [GroupAbsorption(key, total, disbursed.get(key, ZERO)) for key, total in allocated.items()]


# --- eligibility inputs ------------------------------------------------------------------------------


def child_status_on(*, child: Child, on: datetime.date) -> pmt.ChildStatus:
    """The child's latest valid category of each index (and weight-gain code) on or before `on`."""
    rows = list(
        Measurement.objects.filter(child=child, measured_on__lte=on)
        .order_by("-measured_on")
        .values_list("whz_category", "waz_category", "haz_category", "weight_gain")
    )

    def latest(index: int) -> int:
        return next((row[index] for row in rows if row[index] >= 0), -1)

    return pmt.ChildStatus(
        age_months=int(completed_months(child.birth_date, on)),
        measured=bool(rows),
        whz_category=latest(0),
        waz_category=latest(1),
        haz_category=latest(2),
        weight_gain=latest(3),
    )


def mother_status_on(*, person: Person, on: datetime.date) -> pmt.MotherStatus:
    pregnancies = Pregnancy.objects.filter(mother=person)
    kek = pregnancies.filter(outcome=Pregnancy.Outcome.ONGOING, is_kek=True).exists()
    birth = (
        pregnancies.filter(outcome=Pregnancy.Outcome.LIVE_BIRTH, delivery_date__lte=on)
        .order_by("-delivery_date")
        .values_list("delivery_date", flat=True)
        .first()
    )
    return pmt.MotherStatus(kek, (on - birth).days if birth else None)


# --- outcomes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeOutcome:
    enrolment: PMTEnrolment
    outcome: pmt.Outcome


def pmt_programme_outcomes(
    *, programme: PMTProgramme, today: datetime.date
) -> tuple[list[EpisodeOutcome], pmt.ProgrammeOutcome]:
    """Outcome of every finished episode of a programme (finished: status selesai or last day before today).

    Two queries: the episodes, then all their children's measurements.
    """
    enrolments = [
        e
        for e in programme.enrolments.exclude(status=PMTEnrolment.Status.CANCELLED)
        .select_related("child", "person")
        .order_by("start_date", "pk")
        if e.status == PMTEnrolment.Status.FINISHED or e.end_date < today
    ]
    points: dict[int, list[pmt.Point]] = {}
    child_ids = [e.child_id for e in enrolments if e.child_id]
    for row in Measurement.objects.filter(child_id__in=child_ids).values_list(
        "child_id",
        "measured_on",
        "weight_kg",
        "whz",
        "waz",
        "haz",
        "whz_category",
        "waz_category",
        "haz_category",
        "weight_gain",
    ):
        points.setdefault(row[0], []).append(pmt.Point(*row[1:]))
    episodes = [
        EpisodeOutcome(
            e,
            pmt.episode_outcome(
                programme.category, points.get(e.child_id or 0, []), start=e.start_date, end=e.end_date
            ),
        )
        for e in enrolments
    ]
    summary = pmt.programme_outcome(
        [e.enrolment.cost for e in episodes], [e.outcome.recovered for e in episodes]
    )
    return episodes, summary


def pmt_overlapping(
    *, category: str, child: Child | None, person: Person | None, start: datetime.date, end: datetime.date
) -> bool:
    """Whether the recipient already has a non-cancelled episode of `category` overlapping [start, end]."""
    recipient = Q(child=child) if child is not None else Q(person=person)
    for other in (
        PMTEnrolment.objects.filter(recipient, programme__category=category)
        .exclude(status=PMTEnrolment.Status.CANCELLED)
        .only("start_date", "days")
    ):
        if other.start_date <= end and other.end_date >= start:
            return True
    return False
