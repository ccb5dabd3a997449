"""N / T / 2T / O / B from consecutive monthly weighings against the KBM table."""

from __future__ import annotations

import datetime

import numpy as np

from children.growth import weight_gain as wg

# The seeded default of the domain brief (Buku KIA 2023): 1:800 2:900 3:800 4:600 5:500 6:400 7-10:300 11-60:200.
KBM = wg.KBMTable(
    age_month_from=np.array([1, 2, 3, 4, 5, 6, 7, 11]),
    age_month_to=np.array([1, 2, 3, 4, 5, 6, 10, 60]),
    min_gain_g=np.array([800, 900, 800, 600, 500, 400, 300, 200]),
)


def _series(ages: list[int], weights: list[float], gaps: list[int]) -> list[str]:
    """Run the rule month by month over one child's series, feeding each status into the next."""
    statuses: list[str] = []
    previous_status = wg.NOT_ASSESSED
    previous_weight = float("nan")
    for age, weight, gap in zip(ages, weights, gaps, strict=True):
        code = int(
            wg.weight_gain_status(
                age_months=[age],
                weight_kg=[weight],
                previous_weight_kg=[previous_weight],
                months_since_previous=[gap],
                previous_status=[previous_status],
                kbm=KBM,
            )[0]
        )
        statuses.append(wg.CODES[code])
        previous_status, previous_weight = code, weight
    return statuses


def test_it_follows_a_hand_made_series() -> None:
    statuses = _series(
        ages=[0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11],
        weights=[3.2, 4.0, 4.8, 5.6, 6.2, 6.6, 7.3, 7.5, 7.5, 7.4, 7.6],
        gaps=[-1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1],
    )

    #          B    +800 N  +800<900 T  +800 N  +600 N  +400<500 T  O (gap)  +200<300 T  0 T->2T  -100 2T  +200 N
    assert statuses == ["B", "N", "T", "N", "N", "T", "O", "T", "2T", "2T", "N"]


def test_it_compares_gains_in_whole_grams() -> None:
    # 8.1 - 7.3 is 0.7999999999999998 kg in binary floating point; it is an 800 g gain.
    status = wg.weight_gain_status(
        age_months=[1],
        weight_kg=[8.1],
        previous_weight_kg=[7.3],
        months_since_previous=[1],
        previous_status=[wg.NAIK],
        kbm=KBM,
    )

    assert status.tolist() == [wg.NAIK]


def test_it_does_not_assess_ages_outside_the_table() -> None:
    status = wg.weight_gain_status(
        age_months=[61, 0],
        weight_kg=[18.0, 4.0],
        previous_weight_kg=[17.0, 3.0],
        months_since_previous=[1, 1],
        previous_status=[wg.NAIK, wg.NAIK],
        kbm=KBM,
    )

    assert status.tolist() == [wg.NOT_ASSESSED, wg.NOT_ASSESSED]


def test_it_reads_the_kbm_by_completed_month() -> None:
    assert KBM.by_month()[[1, 2, 6, 7, 10, 11, 60, 61]].tolist() == [800, 900, 400, 300, 300, 200, 200, -1]


def test_it_counts_completed_calendar_months() -> None:
    months = wg.completed_months(
        [datetime.date(2024, 1, 31), datetime.date(2024, 1, 31), datetime.date(2023, 5, 15)],
        [datetime.date(2024, 2, 29), datetime.date(2024, 3, 31), datetime.date(2024, 5, 14)],
    )

    assert months.tolist() == [0, 2, 11]
