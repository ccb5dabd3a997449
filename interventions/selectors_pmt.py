"""Reads of PMT money and episodes: scoped lists, a line's totals, absorption, eligibility inputs, outcomes.

Totals of a line (all Decimal rupiah):
- reserved: the line's parts of the costs of episodes that are not cancelled (PMTReservation.amount),
  less what finished episodes gave back (PMTReservation.released);
- disbursed: approved disbursements (reversals included, they are negative);
- committed: reserved + approved disbursements not tied to an episode;
- available: allocated - committed (what a new episode or an untied payment may still take).
Invariant kept by interventions.services_pmt: disbursed <= committed <= allocated.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from children.growth.weight_gain import completed_months
from children.models import Child, Measurement, Person, Pregnancy, PregnancyVisit
from convergence.models import User
from convergence.scoping import restrict
from interventions import pmt
from interventions.models import (
    BudgetLine,
    Disbursement,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTOutcome,
    PMTProgramme,
    PMTRate,
    PMTReservation,
)

ZERO = Decimal(0)


def _sum(queryset: QuerySet, field: str) -> Decimal:
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
        return absorption_percent(disbursed=self.disbursed, allocated=self.allocated)


def absorption_percent(*, disbursed: Decimal, allocated: Decimal) -> Decimal | None:
    """Disbursed / allocated x 100, one decimal rounded half up (None for a zero allocation)."""
    if not allocated:
        return None
    return (disbursed * 100 / allocated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


HELD = F("amount") - F("released")


def held_reservations(queryset: QuerySet[PMTReservation]) -> QuerySet[PMTReservation]:
    """Reservations that still hold money: those of episodes that are not cancelled."""
    return queryset.exclude(enrolment__status=PMTEnrolment.Status.CANCELLED)


def budget_line_totals(*, line: BudgetLine) -> LineTotals:
    """Totals of one line from the database (call under the line's row lock when deciding on them)."""
    reserved = held_reservations(line.reservations.all()).aggregate(total=Coalesce(Sum(HELD), ZERO))["total"]
    approved = line.disbursements.filter(status=Disbursement.Status.APPROVED)
    disbursed = _sum(approved, "amount")
    untied = _sum(approved.filter(enrolment__isnull=True), "amount")
    committed = reserved + untied
    return LineTotals(line.allocated, reserved, disbursed, committed, line.allocated - committed)


def enrolment_paid(*, enrolment: PMTEnrolment, line: BudgetLine | None = None) -> Decimal:
    """Net approved payments tied to an episode (reversals included), on one line or on all."""
    rows = enrolment.disbursements.filter(status=Disbursement.Status.APPROVED)
    if line is not None:
        rows = rows.filter(budget_line=line)
    return _sum(rows, "amount")


def enrolment_paid_by_line(*, enrolment: PMTEnrolment) -> dict[int, Decimal]:
    """Net approved payments tied to an episode per budget line id."""
    return dict(
        enrolment.disbursements.filter(status=Disbursement.Status.APPROVED)
        .values("budget_line_id")
        .annotate(total=Sum("amount"))
        .values_list("budget_line_id", "total")
    )


def programme_fundings(*, programme: PMTProgramme) -> list[PMTFunding]:
    """The programme's fundings in budget line order (the order of row locks and of the cost split)."""
    return list(programme.fundings.select_related("budget_line").order_by("budget_line_id"))


# --- scoped lists ------------------------------------------------------------------------------------


def budget_line_list_for_user(*, user: User) -> QuerySet[BudgetLine]:
    return restrict(BudgetLine.objects.select_related("kabupaten", "opd", "desa"), user)


def pmt_rate_list_for_user(*, user: User) -> QuerySet[PMTRate]:
    """Rates the user may read, each annotated `used`: whether an episode took its days and rate."""
    return restrict(
        PMTRate.objects.select_related("kabupaten").annotate(
            used=Exists(PMTEnrolment.objects.filter(rate=OuterRef("pk")))
        ),
        user,
    )


def pmt_programme_list_for_user(*, user: User) -> QuerySet[PMTProgramme]:
    return restrict(
        PMTProgramme.objects.select_related("opd", "kabupaten").prefetch_related(
            Prefetch("fundings", queryset=PMTFunding.objects.order_by("budget_line_id"))
        ),
        user,
    )


def pmt_enrolment_list_for_user(*, user: User) -> QuerySet[PMTEnrolment]:
    return restrict(
        PMTEnrolment.objects.select_related(
            "programme", "programme__kabupaten", "child", "child__posyandu", "person", "desa", "outcome"
        ).prefetch_related(
            Prefetch("reservations", queryset=PMTReservation.objects.order_by("budget_line_id"))
        ),
        user,
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


def child_points(*, child_ids: list[int]) -> dict[int, list[pmt.Point]]:
    """Every measurement of the children, as outcome points, by child id (one query)."""
    points: dict[int, list[pmt.Point]] = {}
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
    return points


def mother_points(*, person_ids: list[int]) -> dict[int, list[pmt.MotherPoint]]:
    """Every visit with a LiLA of the mothers (any pregnancy), as outcome points, by person id (one query)."""
    points: dict[int, list[pmt.MotherPoint]] = {}
    for person_id, visit_date, weight_kg, lila_cm in PregnancyVisit.objects.filter(
        pregnancy__mother_id__in=person_ids, lila_cm__isnull=False
    ).values_list("pregnancy__mother_id", "visit_date", "weight_kg", "lila_cm"):
        points.setdefault(person_id, []).append(pmt.MotherPoint(visit_date, weight_kg, lila_cm))
    return points


def episode_outcomes(*, enrolments: list[PMTEnrolment]) -> dict[int, pmt.Outcome]:
    """The outcome of each (finished) episode up to its actual last day, by enrolment id (two queries).

    The programme must be loaded with each enrolment (select_related).
    """
    children = child_points(child_ids=[e.child_id for e in enrolments if e.child_id])
    mothers = mother_points(person_ids=[e.person_id for e in enrolments if e.person_id])
    result = {}
    for e in enrolments:
        points = children.get(e.child_id, []) if e.child_id else mothers.get(e.person_id or 0, [])
        end = e.finished_on or e.end_date
        result[e.pk] = pmt.episode_outcome(e.programme.category, points, start=e.start_date, end=end)
    return result


def stored_outcome(enrolment: PMTEnrolment) -> bool | None:
    """Recovered (True/False) or not assessable (None) from the stored outcome of a finished episode."""
    outcome: PMTOutcome | None = getattr(enrolment, "outcome", None)
    return outcome.recovered if outcome is not None else None


@dataclass(frozen=True)
class EpisodeOutcome:
    enrolment: PMTEnrolment
    outcome: PMTOutcome | None


def pmt_programme_outcomes(*, programme: PMTProgramme) -> tuple[list[EpisodeOutcome], pmt.ProgrammeOutcome]:
    """The stored outcome of every finished episode of a programme, children and mothers alike (one query).

    The cost of a finished episode is what it kept: the cost of the days delivered, or more when more
    was already paid (see pmt.released_parts).
    """
    enrolments = list(
        programme.enrolments.filter(status=PMTEnrolment.Status.FINISHED)
        .select_related("child", "person", "outcome")
        .annotate(released=Coalesce(Sum("reservations__released"), ZERO))
        .order_by("start_date", "pk")
    )
    episodes = [EpisodeOutcome(e, getattr(e, "outcome", None)) for e in enrolments]
    summary = pmt.programme_outcome(
        [e.cost - e.released for e in enrolments],
        [stored_outcome(e) for e in enrolments],
    )
    return episodes, summary


def pmt_enrolments_due(*, today: datetime.date) -> list[int]:
    """Ids of active episodes whose planned last day is before `today` (to be finished), oldest first."""
    return [
        pk
        for pk, start, days in PMTEnrolment.objects.filter(
            status=PMTEnrolment.Status.ACTIVE, start_date__lt=today
        )
        .order_by("start_date", "pk")
        .values_list("pk", "start_date", "days")
        if start + datetime.timedelta(days=days - 1) < today
    ]


def pmt_outcomes_open(*, today: datetime.date, days: int) -> list[int]:
    """Ids of episodes finished in the last `days` days whose outcome may still change (late data entry)."""
    return list(
        PMTEnrolment.objects.filter(
            status=PMTEnrolment.Status.FINISHED, finished_on__gte=today - datetime.timedelta(days=days)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


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


# --- the ledger of many lines (pages) ----------------------------------------------------------------


@dataclass(frozen=True)
class LineLedger:
    """A line's money as the pages show it; every figure Decimal rupiah.

    allocated = disbursed + tied (committed, not yet paid) + available; `pending` is what waits for
    approval (an untied pending payment takes from `available` only when approved).
    """

    allocated: Decimal
    disbursed: Decimal
    committed: Decimal
    available: Decimal
    pending: Decimal

    @property
    def tied(self) -> Decimal:
        return self.committed - self.disbursed

    @property
    def balances(self) -> bool:
        """Whether the three parts add up to the allocation and the invariants hold."""
        return (
            self.disbursed + self.tied + self.available == self.allocated
            and self.disbursed <= self.committed <= self.allocated
        )

    @property
    def absorption_percent(self) -> Decimal | None:
        if not self.allocated:
            return None
        return (self.disbursed * 100 / self.allocated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _by_line(queryset: QuerySet, value: Any) -> dict[int, Decimal]:
    return dict(
        queryset.values("budget_line_id").annotate(total=Sum(value)).values_list("budget_line_id", "total")
    )


def budget_line_ledgers(*, lines: list[BudgetLine]) -> dict[int, LineLedger]:
    """The ledger of each line by id, in four queries whatever the number of lines (same sums as
    budget_line_totals, grouped)."""
    ids = [line.pk for line in lines]
    reserved = _by_line(held_reservations(PMTReservation.objects.filter(budget_line_id__in=ids)), HELD)
    rows = Disbursement.objects.filter(budget_line_id__in=ids)
    approved = rows.filter(status=Disbursement.Status.APPROVED)
    disbursed = _by_line(approved, "amount")
    untied = _by_line(approved.filter(enrolment__isnull=True), "amount")
    pending = _by_line(rows.filter(status=Disbursement.Status.PENDING), "amount")
    ledgers = {}
    for line in lines:
        committed = reserved.get(line.pk, ZERO) + untied.get(line.pk, ZERO)
        ledgers[line.pk] = LineLedger(
            allocated=line.allocated,
            disbursed=disbursed.get(line.pk, ZERO),
            committed=committed,
            available=line.allocated - committed,
            pending=pending.get(line.pk, ZERO),
        )
    return ledgers


def ledger_sum(ledgers: list[LineLedger]) -> LineLedger:
    """The ledger of several lines together (a page's total)."""
    return LineLedger(
        allocated=sum((x.allocated for x in ledgers), ZERO),
        disbursed=sum((x.disbursed for x in ledgers), ZERO),
        committed=sum((x.committed for x in ledgers), ZERO),
        available=sum((x.available for x in ledgers), ZERO),
        pending=sum((x.pending for x in ledgers), ZERO),
    )


def budget_line_ledger_total(*, lines: QuerySet[BudgetLine]) -> LineLedger:
    """The ledger of every line of a (filtered, scoped) queryset together, in four queries."""
    allocated = _sum(lines, "allocated")
    reserved = held_reservations(PMTReservation.objects.filter(budget_line__in=lines)).aggregate(
        total=Coalesce(Sum(HELD), ZERO)
    )["total"]
    rows = Disbursement.objects.filter(budget_line__in=lines)
    approved = rows.filter(status=Disbursement.Status.APPROVED)
    committed = reserved + _sum(approved.filter(enrolment__isnull=True), "amount")
    return LineLedger(
        allocated=allocated,
        disbursed=_sum(approved, "amount"),
        committed=committed,
        available=allocated - committed,
        pending=_sum(rows.filter(status=Disbursement.Status.PENDING), "amount"),
    )


# --- labelled choices for searchable fields (entries say where they are) ------------------------------

CHOICES_LIMIT = 50


def child_choices_for_user(
    *,
    user: User,
    search: str = "",
    posyandu_id: int | None = None,
    pk: int | None = None,
    limit: int = CHOICES_LIMIT,
) -> list[tuple[int, str]]:
    """Children in the user's scope whose name contains `search` (or the one `pk`): "Name (dd-mm-yyyy),
    Posyandu X, Desa Y", at most `limit`, by name."""
    rows = restrict(Child.objects.filter(status=Child.Status.ACTIVE), user)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if posyandu_id:
        rows = rows.filter(posyandu_id=posyandu_id)
    if search.strip():
        rows = rows.filter(name__icontains=search.strip())
    return [
        (pk, f"{name} ({born:%d-%m-%Y}), {posyandu or '-'}, {desa}")
        for pk, name, born, posyandu, desa in rows.order_by("name", "pk").values_list(
            "pk", "name", "birth_date", "posyandu__name", "desa__name"
        )[:limit]
    ]


def person_choices_for_user(
    *, user: User, search: str = "", pk: int | None = None, limit: int = CHOICES_LIMIT
) -> list[tuple[int, str]]:
    """Women in the user's scope whose name contains `search` (or the one `pk`): "Name (birth year),
    Desa Y", at most `limit`, by name."""
    rows = restrict(Person.objects.filter(sex="P"), user)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if search.strip():
        rows = rows.filter(name__icontains=search.strip())
    return [
        (pk, f"{name} ({born.year if born else '-'}), {desa}")
        for pk, name, born, desa in rows.order_by("name", "pk").values_list(
            "pk", "name", "birth_date", "desa__name"
        )[:limit]
    ]
