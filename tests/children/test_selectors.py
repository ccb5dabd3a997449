"""The KBM reference table: seeded default, and the version in force on a day."""

from __future__ import annotations

import datetime

import pytest

from children.models import MinimumWeightGain
from children.selectors import kbm_table_on


@pytest.mark.django_db
def test_it_seeds_the_buku_kia_default() -> None:
    table = kbm_table_on(day=datetime.date(2024, 6, 1))

    assert table.age_month_from.tolist() == [1, 2, 3, 4, 5, 6, 7, 11]
    assert table.age_month_to.tolist() == [1, 2, 3, 4, 5, 6, 10, 60]
    assert table.min_gain_g.tolist() == [800, 900, 800, 600, 500, 400, 300, 200]


@pytest.mark.django_db
def test_it_uses_the_latest_version_valid_on_the_day() -> None:
    newer = datetime.date(2025, 1, 1)
    MinimumWeightGain.objects.create(
        valid_from=newer, age_month_from=1, age_month_to=12, min_gain_g=500, source="uji"
    )
    MinimumWeightGain.objects.create(
        valid_from=newer, age_month_from=13, age_month_to=60, min_gain_g=200, source="uji"
    )

    before = kbm_table_on(day=datetime.date(2024, 12, 31))
    after = kbm_table_on(day=newer)

    assert before.min_gain_g.tolist() == [800, 900, 800, 600, 500, 400, 300, 200]
    assert (after.age_month_from.tolist(), after.min_gain_g.tolist()) == ([1, 13], [500, 200])


@pytest.mark.django_db
def test_it_returns_an_empty_table_before_any_version() -> None:
    assert kbm_table_on(day=datetime.date(2019, 12, 31)).min_gain_g.tolist() == []
