"""Pure PMT computations (no database): cost, eligibility decisions, episode and programme outcomes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from interventions import pmt

START = datetime.date(2025, 3, 3)
END = datetime.date(2025, 4, 27)


def point(on: datetime.date, kg: str, *, whz: float = 0.0, whz_cat: int = 2, gain: int = -1) -> pmt.Point:
    return pmt.Point(on, Decimal(kg), whz, -1.0, -1.5, whz_cat, 2, 2, gain)


def test_it_costs_an_episode_in_exact_rupiah() -> None:
    assert pmt.episode_cost(days=56, daily_rate=Decimal(17500)) == Decimal(980_000)
    assert pmt.episode_cost(days=120, daily_rate=Decimal(21500)) == Decimal(2_580_000)


def test_it_decides_child_eligibility() -> None:
    status = pmt.ChildStatus(age_months=14, measured=True, whz_category=1, waz_category=2, haz_category=1)
    assert pmt.child_ineligibility(pmt.GIZI_KURANG, status) is None
    assert pmt.child_ineligibility(pmt.BB_KURANG, status) == pmt.NOT_BB_KURANG
    assert pmt.child_ineligibility(pmt.DUA_T, status) == pmt.NOT_DUA_T
    assert pmt.child_ineligibility(pmt.BADUTA_STUNTING, status) is None
    older = pmt.ChildStatus(age_months=24, measured=True, haz_category=0)
    assert pmt.child_ineligibility(pmt.BADUTA_STUNTING, older) == pmt.NOT_BADUTA
    assert pmt.child_ineligibility(pmt.GIZI_KURANG, pmt.ChildStatus(age_months=5, measured=False)) == (
        pmt.NO_MEASUREMENT
    )


def test_it_decides_mother_eligibility() -> None:
    assert pmt.mother_ineligibility(pmt.BUMIL_KEK, pmt.MotherStatus(True, None)) is None
    assert pmt.mother_ineligibility(pmt.BUMIL_KEK, pmt.MotherStatus(False, 10)) == pmt.NOT_KEK
    assert pmt.mother_ineligibility(pmt.IBU_MENYUSUI, pmt.MotherStatus(False, 183)) is None
    assert pmt.mother_ineligibility(pmt.IBU_MENYUSUI, pmt.MotherStatus(False, 184)) == pmt.NOT_BREASTFEEDING
    assert pmt.mother_ineligibility(pmt.IBU_MENYUSUI, pmt.MotherStatus(True, None)) == pmt.NOT_BREASTFEEDING


def test_it_computes_a_recovered_gizi_kurang_episode() -> None:
    points = [
        point(datetime.date(2025, 1, 20), "6.90", whz=-2.8, whz_cat=1),
        point(datetime.date(2025, 2, 20), "7.10", whz=-2.5, whz_cat=1),  # before: latest on/before start
        point(datetime.date(2025, 4, 1), "7.50", whz=-2.2, whz_cat=1),  # during: ignored
        point(datetime.date(2025, 5, 5), "8.05", whz=-1.6, whz_cat=2),  # after: first on/after the end
        point(datetime.date(2025, 5, 20), "8.20", whz=-1.4, whz_cat=2),
    ]
    outcome = pmt.episode_outcome(pmt.GIZI_KURANG, points, start=START, end=END)
    assert outcome.before == points[1]
    assert outcome.after == points[3]
    assert outcome.weight_gain_kg == Decimal("0.95")
    assert outcome.z_change == 0.9
    assert outcome.recovered is True


def test_it_leaves_an_episode_without_a_timely_after_measurement_unassessed() -> None:
    points = [point(datetime.date(2025, 2, 20), "7.10", whz_cat=1), point(datetime.date(2025, 5, 28), "8.0")]
    outcome = pmt.episode_outcome(pmt.GIZI_KURANG, points, start=START, end=END)
    assert (outcome.after, outcome.weight_gain_kg, outcome.z_change, outcome.recovered) == (
        None,
        None,
        None,
        None,
    )


def test_it_counts_a_still_wasted_child_as_not_recovered() -> None:
    points = [
        point(datetime.date(2025, 3, 3), "7.10", whz=-2.5, whz_cat=1),
        point(datetime.date(2025, 4, 27), "7.20", whz=-2.3, whz_cat=1),
    ]
    outcome = pmt.episode_outcome(pmt.GIZI_KURANG, points, start=START, end=END)
    assert (outcome.weight_gain_kg, outcome.z_change, outcome.recovered) == (Decimal("0.10"), 0.2, False)


@pytest.mark.parametrize(
    ("gain_code", "after_kg", "recovered"), [(0, "9.30", True), (1, "9.30", False), (0, "9.00", False)]
)
def test_it_recovers_2t_on_a_real_weight_gain(gain_code: int, after_kg: str, recovered: bool) -> None:
    points = [point(START, "9.00", gain=2), point(datetime.date(2025, 3, 20), after_kg, gain=gain_code)]
    outcome = pmt.episode_outcome(pmt.DUA_T, points, start=START, end=datetime.date(2025, 3, 16))
    assert outcome.recovered is recovered


def test_a_mother_without_visits_is_not_assessed() -> None:
    assert pmt.episode_outcome(pmt.BUMIL_KEK, [], start=START, end=END) == pmt.Outcome(
        None, None, None, None, None
    )


def visit(on: datetime.date, lila: str | None, kg: str | None = None) -> pmt.MotherPoint:
    return pmt.MotherPoint(on, Decimal(kg) if kg else None, Decimal(lila) if lila else None)


def test_it_assesses_a_kek_mother_on_her_lila_and_weight() -> None:
    points = [
        visit(datetime.date(2025, 2, 1), "22.4", "47.0"),
        visit(datetime.date(2025, 2, 28), "22.6", "48.0"),  # before: latest with a LiLA on/before start
        visit(datetime.date(2025, 3, 3), None, "48.2"),  # no LiLA: does not count
        visit(datetime.date(2025, 4, 27), None, "51.0"),  # no LiLA: does not count as the after visit
        visit(datetime.date(2025, 5, 9), "23.5", "52.5"),  # after: first with a LiLA on/after the end
    ]
    outcome = pmt.episode_outcome(pmt.BUMIL_KEK, points, start=START, end=END)
    assert outcome == pmt.Outcome(
        before=points[1],
        after=points[4],
        weight_gain_kg=Decimal("4.5"),
        z_change=None,
        recovered=True,  # 23.5 cm is no longer KEK (KEK: LiLA < 23.5 cm)
        lila_change_cm=Decimal("0.9"),
    )


@pytest.mark.parametrize(
    ("category", "lila_after", "recovered"),
    [(pmt.BUMIL_KEK, "23.4", False), (pmt.IBU_MENYUSUI, "23.4", False), (pmt.IBU_MENYUSUI, "24.0", True)],
)
def test_a_mother_recovers_when_her_lila_leaves_kek(category: str, lila_after: str, recovered: bool) -> None:
    points = [visit(START, "22.0"), visit(datetime.date(2025, 5, 1), lila_after)]
    outcome = pmt.episode_outcome(category, points, start=START, end=END)
    assert (outcome.recovered, outcome.weight_gain_kg, outcome.lila_change_cm) == (
        recovered,
        None,
        Decimal(lila_after) - Decimal("22.0"),
    )


def test_a_mother_measured_too_late_is_not_assessed() -> None:
    points = [visit(START, "22.0"), visit(END + datetime.timedelta(days=31), "24.0")]
    assert pmt.episode_outcome(pmt.IBU_MENYUSUI, points, start=START, end=END).recovered is None


def test_the_kek_threshold_is_the_registry_one() -> None:
    from children.compute import KEK_LILA_CM

    assert Decimal(str(KEK_LILA_CM)) == pmt.KEK_LILA_CM


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (Decimal(980_000), [Decimal(100)], [Decimal(980_000)]),
        (Decimal(980_000), [Decimal(60), Decimal(40)], [Decimal(588_000), Decimal(392_000)]),
        # 980,000 / 3 = 326,666.67: the first two rounded down, the last takes the remainder.
        (
            Decimal(980_000),
            [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")],
            [Decimal(326_634), Decimal(326_634), Decimal(326_732)],
        ),
        (Decimal(17_501), [Decimal(50), Decimal(50)], [Decimal(8_750), Decimal(8_751)]),
        # A zero weight (a line already given back) gets nothing, the remainder goes to the last > 0.
        (Decimal(1_001), [Decimal(2), Decimal(1), Decimal(0)], [Decimal(667), Decimal(334), Decimal(0)]),
        (Decimal(0), [Decimal(60), Decimal(40)], [Decimal(0), Decimal(0)]),
    ],
)
def test_it_splits_a_cost_exactly_by_shares(
    total: Decimal, weights: list[Decimal], parts: list[Decimal]
) -> None:
    assert pmt.split_cost(total, weights) == parts
    assert sum(parts) == total


def test_it_refuses_to_split_without_a_positive_share() -> None:
    with pytest.raises(ValueError, match="weights must be >= 0 with one > 0"):
        pmt.split_cost(Decimal(100), [Decimal(0)])
    with pytest.raises(ValueError, match="weights must be >= 0 with one > 0"):
        pmt.split_cost(Decimal(100), [])


def test_a_line_keeps_what_was_delivered_or_already_paid() -> None:
    released = pmt.released_parts(
        reserved=[Decimal(588_000), Decimal(392_000)],
        actual=[Decimal(294_000), Decimal(196_000)],  # half the days delivered
        paid=[Decimal(588_000), Decimal(0)],  # the first line already paid in full
    )
    assert released == [Decimal(0), Decimal(196_000)]


def test_it_summarises_a_programme() -> None:
    costs = [Decimal(980_000)] * 4
    summary = pmt.programme_outcome(costs, [True, False, None, True])
    assert summary == pmt.ProgrammeOutcome(
        finished=4,
        assessed=3,
        recovered=2,
        recovery_rate_percent=Decimal("66.7"),
        total_cost=Decimal(3_920_000),
        cost_per_recovered=Decimal(1_960_000),
    )
    # Rp 1,000,000 over 3 recovered children: rounded half-up to whole rupiah.
    rounded = pmt.programme_outcome([Decimal(500_000), Decimal(500_000), Decimal(0)], [True, True, True])
    assert rounded.cost_per_recovered == Decimal(333_333)
    empty = pmt.programme_outcome([], [])
    assert (empty.recovery_rate_percent, empty.cost_per_recovered, empty.total_cost) == (None, None, 0)
