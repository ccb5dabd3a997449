"""The head dashboard's figures beside prevalence: the eight actions, PMT absorption, the
convergence rate and the targets beside the headline."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from convergence.actions import ACTIONS
from convergence.db_router import replica_cache_scope
from convergence.models import ConvergenceAction, Region, User
from convergence.scoping import scope_for_user
from convergence.selectors_actions import action_is_late, action_list_for_user
from interventions.pmt_reports import pmt_absorption
from interventions.selectors import Period, ledger_for_user

from .selectors import (
    YearTable,
)


@dataclass(frozen=True)
class ActionRow:
    number: int
    label: str
    state: str
    state_label: str


ACTION_STATES = {
    "belum_dibuat": gettext_lazy("Belum dibuat"),
    "terlambat": gettext_lazy("Terlambat"),
    **dict(ConvergenceAction.Status.choices),
}


def action_rows(*, user: User, kabupaten: Region, year: int, today: datetime.date) -> list[ActionRow]:
    """The eight actions of `year` with their state (one query)."""
    actions = {a.number: a for a in action_list_for_user(user=user, year=year).filter(kabupaten=kabupaten)}
    rows = []
    for definition in ACTIONS:
        action = actions.get(definition.number)
        if action is None:
            state = "belum_dibuat"
        elif action_is_late(action, today=today):
            state = "terlambat"
        else:
            state = action.status
        rows.append(
            ActionRow(definition.number, _(definition.label_kemendagri), state, str(ACTION_STATES[state]))
        )
    return rows


@dataclass(frozen=True)
class Money:
    allocated: Decimal
    disbursed: Decimal
    absorption_percent: Decimal | None


# The absorption and the convergence rate are read live from the ledgers, which costs far more than
# the prevalence summaries; under a room of dashboard readers they are served from the cache for a
# few minutes (the page says so). Both pages that show them are district-wide, so the key is the
# kabupaten and the period (superusers see every district's money: their own key).
LIVE_FIGURES_CACHE_S = 600


def _cache_key(user: User, *parts: object) -> str:
    reach = "all" if user.is_superuser else "district"
    # Read from a replica: a key of its own that lapses with the replica's possible lag.
    replica = replica_cache_scope()
    return ":".join(["dashboard", reach, *map(str, parts), *([replica] if replica else [])])


def budget_absorption(*, user: User, year: int) -> Money:
    scope = scope_for_user(user)

    def compute() -> Money:
        total = pmt_absorption(user=user, year=year).total
        return Money(total.allocated, total.disbursed, total.absorption_percent)

    if not (scope.is_superuser or scope.is_district_wide):
        return compute()
    # The cache holds what compute() returned.
    return cast(
        Money,
        cache.get_or_set(
            _cache_key(user, "absorption", scope.kabupaten_prefix, year), compute, LIVE_FIGURES_CACHE_S
        ),
    )


@dataclass(frozen=True)
class ConvergenceRate:
    due: int
    received: int
    rate: float | None


def convergence_rate(
    *, user: User, kabupaten: Region, period: Period, today: datetime.date
) -> ConvergenceRate:
    scope = scope_for_user(user)

    def compute() -> ConvergenceRate:
        total = ledger_for_user(user=user, region_code=kabupaten.code, period=period, today=today).total
        return ConvergenceRate(total.due_total, total.received_total, total.rate())

    if not (scope.is_superuser or scope.is_district_wide):
        return compute()
    key = _cache_key(user, "convergence", kabupaten.code, period.start, period.end, today)
    return cast(ConvergenceRate, cache.get_or_set(key, compute, LIVE_FIGURES_CACHE_S))


# --- the targets beside the headline ----------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineTargets:
    """The district's target for the figure's year and the national target (RPJMN), as numbers."""

    district_year: int | None
    district_pct: float | None
    national_year: int | None
    national_pct: float | None
    regulation: str


def headline_targets(*, table: YearTable, national: dict[int, float], year: int) -> HeadlineTargets:
    """The district path's value for `year` (else the regulation's own target and year), and the
    national path's value for `year` (else its next year, e.g. 2029, else its last)."""
    row = next((r.target for r in table.rows if r.target.year == year), None)
    district_year: int | None = year
    district_pct = row.target_pct if row else None
    rule = table.rule
    if district_pct is None:
        district_year = None
        if rule is not None and rule.target_year is not None and rule.target_pct is not None:
            district_year, district_pct = rule.target_year, float(rule.target_pct)
    later = [y for y in national if y >= year]
    national_year = min(later) if later else (max(national) if national else None)
    return HeadlineTargets(
        district_year=district_year,
        district_pct=district_pct,
        national_year=national_year,
        national_pct=national.get(national_year) if national_year is not None else None,
        regulation=rule.regulation if rule else "",
    )
