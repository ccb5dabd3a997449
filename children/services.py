"""Writes of the children registry; z-scores always come from the one vectorised engine."""

from __future__ import annotations

import numpy as np

from children import growth

# Model field -> GrowthArrays attribute, for the z-scores and categories stored on a Measurement.
GROWTH_FIELDS = (
    "waz",
    "haz",
    "whz",
    "baz",
    "waz_category",
    "haz_category",
    "whz_category",
    "baz_category",
)


def measurement_growth_columns(
    *,
    sex: np.ndarray,
    age_days: np.ndarray,
    weight_kg: np.ndarray,
    height_cm: np.ndarray,
    position: np.ndarray,
    oedema: np.ndarray,
) -> dict[str, np.ndarray]:
    """Stored growth columns for n measurements (shape (n,) each): adjusted height, z-scores, categories.

    sex: "L"/"P"; position: "L" lying / "H" standing / "" unknown; weights and heights NaN when missing.
    """
    result = growth.zscores(
        sex=np.where(sex == "P", growth.tables.SEX_FEMALE, growth.tables.SEX_MALE),
        age_days=age_days,
        weight_kg=weight_kg,
        height_cm=height_cm,
        measured=np.select(
            [position == "L", position == "H"],
            [growth.codes.MEASURED_LYING, growth.codes.MEASURED_STANDING],
            growth.codes.MEASURED_UNKNOWN,
        ),
        oedema=oedema,
    )
    columns = {name: getattr(result, name) for name in GROWTH_FIELDS}
    columns["adjusted_height_cm"] = result.length_mm / 10.0
    columns["error"] = result.error
    return columns
