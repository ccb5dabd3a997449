"""Data of the WHO growth charts on the child page: SD lines from our own LMS tables and the child's points.

Pure numpy (no Django). The SD lines are the WHO ones, M (1 + L S z) ** (1 / L) at z = -3, -2, 0, +2
and +3, read from children.growth.tables; ages are plotted in months (WHO's 30.4375 days a month),
lengths in cm. BB/U and TB/U run over 0-60 months; BB/PB (wfl, 45-110 cm) applies under 24 months
and BB/TB (wfh, 65-120 cm) from 24 months, as the z-score engine uses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from children.growth import tables
from children.growth.zscore import LENGTH_TO_HEIGHT_AGE_DAYS

SD_LINES: tuple[int, ...] = (-3, -2, 0, 2, 3)
DAYS_PER_MONTH = 30.4375
AGE_MONTHS_MAX = 60
# Length charts sampled every half centimetre (5 mm): smooth enough on a phone, small to send.
LENGTH_STEP_MM = 5

AGE_INDICES = ("wfa", "lhfa")
LENGTH_INDICES = ("wfl", "wfh")


@dataclass(frozen=True, eq=False)
class Curves:
    """The SD lines of one chart: x (age in months or length in cm) and y per z in SD_LINES, all float64."""

    index: str
    x: np.ndarray
    lines: dict[int, np.ndarray]


def _sex_code(sex: str) -> int:
    return tables.SEX_FEMALE if sex == "P" else tables.SEX_MALE


def sd_curves(*, index: str, sex: str) -> Curves:
    """SD lines of `index` (wfa, lhfa: by month 0-60; wfl, wfh: every 0.5 cm) for sex "L" or "P"."""
    table = tables.table(index)
    if index in AGE_INDICES:
        x = np.arange(AGE_MONTHS_MAX + 1, dtype=np.float64)
        keys = np.rint(x * DAYS_PER_MONTH).astype(np.int64)
    elif index in LENGTH_INDICES:
        keys = np.arange(table.key_min, table.key_min + table.rows, LENGTH_STEP_MM, dtype=np.int64)
        x = keys / 10.0
    else:
        raise ValueError(f"no growth chart for index {index!r}")
    rows = (_sex_code(sex) - 1) * table.rows + (keys - table.key_min)
    return Curves(index=index, x=x, lines={z: table.sd_line(float(z))[rows] for z in SD_LINES})


def length_index_for_age(age_days: int) -> str:
    """wfl (BB/PB) under 24 months (731 days), wfh (BB/TB) from then on: the engine's rule."""
    return "wfl" if age_days < LENGTH_TO_HEIGHT_AGE_DAYS else "wfh"


def child_points(
    *, index: str, age_days: np.ndarray, weight_kg: np.ndarray, height_cm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The child's (x, y) points on chart `index`, measurements without the needed values left out.

    height_cm is the length after the position adjustment (the one the z-scores used); NaN = missing.
    On wfl/wfh only measurements of the chart's own age range (under / from 24 months) are drawn.
    """
    age = np.asarray(age_days, dtype=np.float64)
    weight = np.asarray(weight_kg, dtype=np.float64)
    height = np.asarray(height_cm, dtype=np.float64)
    if index == "wfa":
        x, y, keep = age / DAYS_PER_MONTH, weight, ~np.isnan(weight)
    elif index == "lhfa":
        x, y, keep = age / DAYS_PER_MONTH, height, ~np.isnan(height)
    elif index in LENGTH_INDICES:
        under_24 = age < LENGTH_TO_HEIGHT_AGE_DAYS
        x, y = height, weight
        keep = ~np.isnan(weight) & ~np.isnan(height) & (under_24 if index == "wfl" else ~under_24)
    else:
        raise ValueError(f"no growth chart for index {index!r}")
    return x[keep], y[keep]
