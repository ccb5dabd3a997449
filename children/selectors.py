from __future__ import annotations

import datetime

import numpy as np

from children.growth.weight_gain import KBMTable
from children.models import MinimumWeightGain


def kbm_table_on(*, day: datetime.date) -> KBMTable:
    """The KBM table in force on `day`: the rows of the latest `valid_from` <= day, as arrays for the engine.

    Returns an empty table when no version is in force yet (every weighing is then "not assessed").
    """
    latest = (
        MinimumWeightGain.objects.filter(valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
    ).first()
    rows = (
        list(
            MinimumWeightGain.objects.filter(valid_from=latest)
            .order_by("age_month_from")
            .values_list("age_month_from", "age_month_to", "min_gain_g")
        )
        if latest is not None
        else []
    )
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return KBMTable(age_month_from=table[:, 0], age_month_to=table[:, 1], min_gain_g=table[:, 2])


def kbm_versions() -> list[datetime.date]:
    """The `valid_from` days of the KBM table's versions, oldest first."""
    return list(
        MinimumWeightGain.objects.order_by("valid_from").values_list("valid_from", flat=True).distinct()
    )
