"""Pure PMT rules: episode cost and its split over budget lines, eligibility, outcome of an episode. No Django.

Category codes are those of interventions.models.PMTCategory; z-score category codes those of
children.growth.classify and weight-gain codes those of children.growth.weight_gain (repeated here
as plain integers so that this module stays free of Django).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TypeVar, cast

GIZI_KURANG = "gizi_kurang"
BB_KURANG = "bb_kurang"
DUA_T = "dua_t"
BUMIL_KEK = "bumil_kek"
IBU_MENYUSUI = "ibu_menyusui"
BADUTA_STUNTING = "baduta_stunting"
CHILD_CATEGORIES = frozenset({GIZI_KURANG, BB_KURANG, DUA_T, BADUTA_STUNTING})
MOTHER_CATEGORIES = frozenset({BUMIL_KEK, IBU_MENYUSUI})

# children.growth.classify / weight_gain codes.
WHZ_GIZI_BURUK, WHZ_GIZI_KURANG, WHZ_GIZI_BAIK = 0, 1, 2
WAZ_SANGAT_KURANG, WAZ_KURANG, WAZ_NORMAL = 0, 1, 2
HAZ_SANGAT_PENDEK, HAZ_PENDEK, HAZ_NORMAL = 0, 1, 2
GAIN_NAIK, GAIN_DUA_T = 0, 2

BADUTA_MAX_AGE_MONTHS = 24
BREASTFEEDING_MAX_DAYS = 183  # six months after a live birth
# The "after" measurement of an episode: the first on or after its last day, at most this many days later.
OUTCOME_WINDOW_DAYS = 30
# KEK: LiLA < 23.5 cm (Depkes 2010; the same threshold as children.compute.KEK_LILA_CM). A mother whose
# LiLA is at least this after the episode has left KEK: recovered.
KEK_LILA_CM = Decimal("23.5")

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


def split_cost(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split whole rupiah `total` in proportion to `weights` (funding shares in %, or earlier parts).

    Every part but the last one with a positive weight is rounded down to whole rupiah; that last one
    takes the remainder, so the parts add up to `total` exactly and none is negative. Weights >= 0,
    at least one > 0.
    """
    if not weights or any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise ValueError(f"weights must be >= 0 with one > 0: {weights}")
    whole = sum(weights, Decimal(0))
    last = max(i for i, w in enumerate(weights) if w > 0)
    parts = [
        Decimal(0) if i == last else (total * w / whole).quantize(Decimal(1), rounding=ROUND_DOWN)
        for i, w in enumerate(weights)
    ]
    parts[last] = total - sum(parts, Decimal(0))
    return parts


def released_parts(*, reserved: list[Decimal], actual: list[Decimal], paid: list[Decimal]) -> list[Decimal]:
    """What each line's reservation gives back when an episode closes: reserved - max(actual, paid), >= 0.

    `actual[i]` is line i's part of the cost of the days delivered, `paid[i]` the net approved payments
    for the episode on line i: a line keeps what was delivered and never less than what it already
    paid (an overpayment is corrected by a reversal, not by the release).
    """
    return [max(r - max(a, p), Decimal(0)) for r, a, p in zip(reserved, actual, paid, strict=True)]


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
class MotherPoint:
    """One visit of a mother (any of her pregnancies) with her LiLA, as the outcome needs it."""

    measured_on: datetime.date
    weight_kg: Decimal | None
    lila_cm: Decimal | None


_P = TypeVar("_P", Point, MotherPoint)


@dataclass(frozen=True)
class Outcome:
    before: Point | MotherPoint | None
    after: Point | MotherPoint | None
    weight_gain_kg: Decimal | None
    z_change: float | None  # children only
    recovered: bool | None  # None: not assessable (no before or after measurement)
    lila_change_cm: Decimal | None = None  # mothers only


def pick_before_after(
    points: list[_P], *, start: datetime.date, end: datetime.date
) -> tuple[_P | None, _P | None]:
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


def _gain(after: Decimal | None, before: Decimal | None) -> Decimal | None:
    return after - before if after is not None and before is not None else None


def mother_episode_outcome(points: list[MotherPoint], *, start: datetime.date, end: datetime.date) -> Outcome:
    """Before/after LiLA (cm) and weight (kg) of one mother episode (ibu hamil KEK, ibu menyusui).

    Only visits with a LiLA count. Recovered: LiLA after >= KEK_LILA_CM (no longer KEK).
    """
    before, after = pick_before_after([p for p in points if p.lila_cm is not None], start=start, end=end)
    # Both have a LiLA (filtered above); the test says so to the type checker too.
    if before is None or after is None or before.lila_cm is None or after.lila_cm is None:
        return Outcome(before, after, None, None, None)
    return Outcome(
        before,
        after,
        _gain(after.weight_kg, before.weight_kg),
        None,
        after.lila_cm >= KEK_LILA_CM,
        after.lila_cm - before.lila_cm,
    )


def episode_outcome(
    category: str, points: list[Point] | list[MotherPoint], *, start: datetime.date, end: datetime.date
) -> Outcome:
    """Before/after measurements, weight gain (kg), z-score or LiLA change and recovery of one episode.

    Children (`points` of Point): the z-score is WHZ for gizi kurang, WAZ for BB kurang and 2T, HAZ for
    baduta stunting. Mothers (`points` of MotherPoint): see mother_episode_outcome.
    """
    if category in MOTHER_CATEGORIES:
        # The category says which kind of points the episode has.
        return mother_episode_outcome(cast("list[MotherPoint]", points), start=start, end=end)
    if category not in CHILD_CATEGORIES:
        raise ValueError(f"not a PMT category: {category}")
    before, after = pick_before_after(cast("list[Point]", points), start=start, end=end)
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
