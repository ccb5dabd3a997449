"""Pure PMT rules: episode cost, eligibility decision and outcome of an episode. No Django.

Category codes are those of interventions.models.PMTCategory; z-score category codes those of
children.growth.classify and weight-gain codes those of children.growth.weight_gain (repeated here
as plain integers so that this module stays free of Django).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GIZI_KURANG = "gizi_kurang"
BB_KURANG = "bb_kurang"
DUA_T = "dua_t"
BUMIL_KEK = "bumil_kek"
IBU_MENYUSUI = "ibu_menyusui"
BADUTA_STUNTING = "baduta_stunting"
CHILD_CATEGORIES = frozenset({GIZI_KURANG, BB_KURANG, DUA_T, BADUTA_STUNTING})

# children.growth.classify / weight_gain codes.
WHZ_GIZI_BURUK, WHZ_GIZI_KURANG, WHZ_GIZI_BAIK = 0, 1, 2
WAZ_SANGAT_KURANG, WAZ_KURANG, WAZ_NORMAL = 0, 1, 2
HAZ_SANGAT_PENDEK, HAZ_PENDEK, HAZ_NORMAL = 0, 1, 2
GAIN_NAIK, GAIN_DUA_T = 0, 2

BADUTA_MAX_AGE_MONTHS = 24
BREASTFEEDING_MAX_DAYS = 183  # six months after a live birth
# The "after" measurement of an episode: the first on or after its last day, at most this many days later.
OUTCOME_WINDOW_DAYS = 30

# Eligibility refusal reasons (the service translates them).
NO_MEASUREMENT = "tanpa_pengukuran"
NOT_GIZI_KURANG = "bukan_gizi_kurang"
NOT_BB_KURANG = "bukan_bb_kurang"
NOT_DUA_T = "bukan_2t"
NOT_BADUTA = "bukan_baduta"
NOT_STUNTED = "bukan_stunting"
NOT_KEK = "bukan_kek"
NOT_BREASTFEEDING = "bukan_ibu_menyusui"


def episode_cost(*, days: int, daily_rate: Decimal) -> Decimal:
    """Cost of an episode in rupiah: days x daily rate (both exact; no rounding involved)."""
    return Decimal(days) * daily_rate


@dataclass(frozen=True)
class ChildStatus:
    """The child's latest valid measurement on or before the start (None fields: not measured)."""

    age_months: int
    measured: bool
    whz_category: int = -1
    waz_category: int = -1
    haz_category: int = -1
    weight_gain: int = -1


@dataclass(frozen=True)
class MotherStatus:
    has_ongoing_kek_pregnancy: bool
    days_since_live_birth: int | None  # None: no live birth recorded


def child_ineligibility(category: str, status: ChildStatus) -> str | None:
    """None when the child fits `category`, else the reason code naming the failed criterion."""
    if not status.measured:
        return NO_MEASUREMENT
    if category == GIZI_KURANG:
        return None if status.whz_category in (WHZ_GIZI_BURUK, WHZ_GIZI_KURANG) else NOT_GIZI_KURANG
    if category == BB_KURANG:
        return None if status.waz_category in (WAZ_SANGAT_KURANG, WAZ_KURANG) else NOT_BB_KURANG
    if category == DUA_T:
        return None if status.weight_gain == GAIN_DUA_T else NOT_DUA_T
    if category == BADUTA_STUNTING:
        if status.age_months >= BADUTA_MAX_AGE_MONTHS:
            return NOT_BADUTA
        return None if status.haz_category in (HAZ_SANGAT_PENDEK, HAZ_PENDEK) else NOT_STUNTED
    raise ValueError(f"not a child category: {category}")


def mother_ineligibility(category: str, status: MotherStatus) -> str | None:
    if category == BUMIL_KEK:
        return None if status.has_ongoing_kek_pregnancy else NOT_KEK
    if category == IBU_MENYUSUI:
        days = status.days_since_live_birth
        return None if days is not None and 0 <= days <= BREASTFEEDING_MAX_DAYS else NOT_BREASTFEEDING
    raise ValueError(f"not a mother category: {category}")


@dataclass(frozen=True)
class Point:
    """One measurement of a child as the outcome needs it."""

    measured_on: datetime.date
    weight_kg: Decimal | None
    whz: float | None
    waz: float | None
    haz: float | None
    whz_category: int
    waz_category: int
    haz_category: int
    weight_gain: int


@dataclass(frozen=True)
class Outcome:
    before: Point | None
    after: Point | None
    weight_gain_kg: Decimal | None
    z_change: float | None
    recovered: bool | None  # None: not assessable (no before or after measurement, or a mother)


def pick_before_after(
    points: list[Point], *, start: datetime.date, end: datetime.date
) -> tuple[Point | None, Point | None]:
    """Latest measurement on/before `start`; first on/after `end` within OUTCOME_WINDOW_DAYS."""
    before = None
    after = None
    for point in sorted(points, key=lambda p: p.measured_on):
        if point.measured_on <= start:
            before = point
        elif after is None and end <= point.measured_on <= end + datetime.timedelta(days=OUTCOME_WINDOW_DAYS):
            after = point
    return before, after


def _z(category: str, point: Point) -> float | None:
    if category == GIZI_KURANG:
        return point.whz
    if category in (BB_KURANG, DUA_T):
        return point.waz
    return point.haz


def is_recovered(category: str, after: Point, before: Point) -> bool:
    """Recovered: the child left the target category at the after measurement.

    Gizi kurang: BB/TB >= -2 SD; BB kurang: BB/U >= -2 SD; 2T: weight went up (N) and is above the
    before weight; baduta stunting: TB/U >= -2 SD.
    """
    if category == GIZI_KURANG:
        return after.whz_category >= WHZ_GIZI_BAIK
    if category == BB_KURANG:
        return after.waz_category >= WAZ_NORMAL
    if category == DUA_T:
        gained = (
            after.weight_kg is not None
            and before.weight_kg is not None
            and after.weight_kg > before.weight_kg
        )
        return gained and after.weight_gain == GAIN_NAIK
    if category == BADUTA_STUNTING:
        return after.haz_category >= HAZ_NORMAL
    raise ValueError(f"not a child category: {category}")


def episode_outcome(
    category: str, points: list[Point], *, start: datetime.date, end: datetime.date
) -> Outcome:
    """Before/after measurements, weight gain (kg), z-score change and recovery of one child episode.

    The z-score is WHZ for gizi kurang, WAZ for BB kurang and 2T, HAZ for baduta stunting.
    """
    if category not in CHILD_CATEGORIES:
        return Outcome(None, None, None, None, None)
    before, after = pick_before_after(points, start=start, end=end)
    if before is None or after is None:
        return Outcome(before, after, None, None, None)
    gain = (
        after.weight_kg - before.weight_kg
        if after.weight_kg is not None and before.weight_kg is not None
        else None
    )
    z_before, z_after = _z(category, before), _z(category, after)
    z_change = round(z_after - z_before, 2) if z_before is not None and z_after is not None else None
    return Outcome(before, after, gain, z_change, is_recovered(category, after, before))


@dataclass(frozen=True)
class ProgrammeOutcome:
    finished: int
    assessed: int
    recovered: int
    recovery_rate_percent: Decimal | None  # recovered / assessed x 100, one decimal
    total_cost: Decimal
    cost_per_recovered: Decimal | None  # total cost of finished episodes / recovered, whole rupiah


def programme_outcome(costs: list[Decimal], recovered: list[bool | None]) -> ProgrammeOutcome:
    """Summary over the finished episodes of a programme (`costs[i]` and `recovered[i]` per episode)."""
    total = sum(costs, Decimal(0))
    assessed = sum(1 for r in recovered if r is not None)
    n_recovered = sum(1 for r in recovered if r)
    rate = (
        (Decimal(n_recovered) * 100 / Decimal(assessed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if assessed
        else None
    )
    per = (total / Decimal(n_recovered)).quantize(Decimal(1), rounding=ROUND_HALF_UP) if n_recovered else None
    return ProgrammeOutcome(len(costs), assessed, n_recovered, rate, total, per)
