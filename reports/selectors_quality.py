"""Reading the data-quality summaries: lines per posyandu or recording user over a range of months.

Shown to puskesmas staff (their puskesmas's desa) and Bappeda (the kabupaten); the rows are scoped
through DataQualitySummary.scope_q. Names of users are shown (staff), never a child's data.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet, Sum

from convergence.codes import Level
from convergence.models import Posyandu, Region, Role, User
from convergence.scoping import restrict, scope_for_user

from . import quality
from .models_quality import DataQualitySummary

Row = DataQualitySummary
READER_ROLES = (Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER)
TOTALS = (*quality.SUM_COLUMNS, "registered", "measured")


def can_read_quality(user: User | AnonymousUser) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or (scope.role in READER_ROLES and not scope.is_empty)


def check_can_read_quality(user: User) -> None:
    """Puskesmas officers, Bappeda admins and superusers read the data quality; nobody else."""
    if not can_read_quality(user):
        raise PermissionDenied


@dataclass(frozen=True)
class QualityLine:
    """One posyandu or recording user over the months asked (or one month with `by_month`)."""

    kind: str
    posyandu: Posyandu | None
    measurer_id: int | None
    measurer_name: str
    period: datetime.date | None
    indicators: quality.Indicators

    @property
    def name(self) -> str:
        return self.posyandu.name if self.posyandu is not None else self.measurer_name


def quality_rows(
    *,
    user: User,
    kind: str,
    month_from: datetime.date,
    month_to: datetime.date,
    kecamatan: Region | None = None,
    posyandu_id: int | None = None,
) -> QuerySet[DataQualitySummary]:
    """The stored rows of `kind` the user may read, of the months from `month_from` to `month_to`."""
    qs = restrict(Row.objects.all(), user).filter(kind=kind, period__gte=month_from, period__lte=month_to)
    if kecamatan is not None:
        qs = qs.filter(kecamatan=kecamatan)
    if posyandu_id is not None:
        qs = qs.filter(posyandu_id=posyandu_id)
    return qs


def _display_name(user: Mapping[str, Any]) -> str:
    full = f"{user['first_name']} {user['last_name']}".strip()
    return full or user["username"]


def quality_lines(
    *,
    user: User,
    kind: str,
    month_from: datetime.date,
    month_to: datetime.date,
    kecamatan: Region | None = None,
    posyandu_id: int | None = None,
    by_month: bool = False,
) -> list[QualityLine]:
    """Per posyandu (or recording user) the sums of the months asked and their indicators, in three
    queries: the sums, the posyandu or user names. With `by_month`, one line per unit and month."""
    rows = quality_rows(
        user=user,
        kind=kind,
        month_from=month_from,
        month_to=month_to,
        kecamatan=kecamatan,
        posyandu_id=posyandu_id,
    )
    unit = "posyandu_id" if kind == Row.Kind.POSYANDU else "measurer_id"
    group = [unit, "period"] if by_month else [unit]
    sums = list(rows.values(*group).annotate(**{f"t_{c}": Sum(c) for c in TOTALS}).order_by(*group))
    ids = {s[unit] for s in sums}
    posyandu = {}
    names = {}
    if kind == Row.Kind.POSYANDU:
        posyandu = {p.pk: p for p in Posyandu.objects.filter(pk__in=ids).select_related("desa")}
    else:
        names = {
            u["pk"]: _display_name(u)
            for u in User.objects.filter(pk__in=ids).values("pk", "username", "first_name", "last_name")
        }
    lines = []
    for s in sums:
        totals = {c: s[f"t_{c}"] or 0 for c in quality.SUM_COLUMNS}
        registered, measured = s["t_registered"], s["t_measured"]
        if kind == Row.Kind.MEASURER or registered is None:
            registered = measured = None
        lines.append(
            QualityLine(
                kind=kind,
                posyandu=posyandu.get(s[unit]),
                measurer_id=s[unit] if kind == Row.Kind.MEASURER else None,
                measurer_name=names.get(s[unit], ""),
                period=s.get("period"),
                indicators=quality.indicators(totals, registered=registered, measured=measured),
            )
        )
    if kind == Row.Kind.POSYANDU:
        lines.sort(key=lambda x: (x.posyandu.desa.code, x.posyandu.code, x.period or month_from))  # type: ignore[union-attr]
    else:
        lines.sort(key=lambda x: (x.measurer_name.lower(), x.measurer_id or 0, x.period or month_from))
    return lines


def latest_month(*, user: User) -> datetime.date | None:
    """The latest month with data-quality rows the user may read."""
    return restrict(Row.objects.all(), user).aggregate(last=Max("period"))["last"]


def kecamatan_choices(*, user: User) -> list[Region]:
    """Kecamatan a district-wide user may filter on (none for a puskesmas officer: one area)."""
    scope = scope_for_user(user)
    qs = Region.objects.filter(level=Level.KECAMATAN).order_by("code")
    if scope.is_superuser:
        return list(qs)
    if scope.role == Role.BAPPEDA_ADMIN and scope.kabupaten_code:
        return list(qs.filter(code__startswith=f"{scope.kabupaten_code}."))
    return []


MAX_MONTHS = 24
DEFAULT_MONTHS = 3


def parse_month(value: str | None) -> datetime.date | None:
    """ "YYYY-MM" as the month's first day; None when empty or malformed."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_range(
    *, user: User, month_from: datetime.date | None, month_to: datetime.date | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The months asked, in order and at most MAX_MONTHS long; by default the DEFAULT_MONTHS months
    up to the latest month with data (or this month)."""
    if month_to is None:
        month_to = latest_month(user=user) or today.replace(day=1)
    if month_from is None:
        month_from = _add_months(month_to, 1 - DEFAULT_MONTHS)
    if month_from > month_to:
        month_from, month_to = month_to, month_from
    return max(month_from, _add_months(month_to, 1 - MAX_MONTHS)), month_to
