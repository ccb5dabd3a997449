"""Weight-gain status for the SKDN report: N (naik), T (tidak naik), 2T, O and B, vectorised.

Buku KIA 2023 (Permenkes 2/2020): a child weighed this month and last month "naik" when the gain
reaches the minimum weight gain for its age (KBM, kenaikan berat badan minimal), otherwise "tidak
naik"; T twice in a row is 2T (kept while the run of T goes on). O: weighed this month but not last
month; B: first weighing ever. The KBM table is passed in (from the dated, editable reference table),
never a constant here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

NOT_ASSESSED = -1  # no KBM for the age (e.g. over 60 months), or no weight
NAIK = 0  # N
TIDAK_NAIK = 1  # T
DUA_T = 2  # 2T: not increased two months in a row
O_TIDAK_DITIMBANG_BULAN_LALU = 3  # O: not weighed last month
B_BARU = 4  # B: first weighing

CODES = {
    NAIK: "N",
    TIDAK_NAIK: "T",
    DUA_T: "2T",
    O_TIDAK_DITIMBANG_BULAN_LALU: "O",
    B_BARU: "B",
    NOT_ASSESSED: "-",
}
LABELS_ID = {
    NAIK: "Naik",
    TIDAK_NAIK: "Tidak naik",
    DUA_T: "Tidak naik 2 kali berturut-turut",
    O_TIDAK_DITIMBANG_BULAN_LALU: "Tidak ditimbang bulan lalu",
    B_BARU: "Baru pertama kali ditimbang",
    NOT_ASSESSED: "Tidak dinilai",
}
LABELS_EN = {
    NAIK: "Gained",
    TIDAK_NAIK: "Did not gain",
    DUA_T: "Did not gain twice in a row",
    O_TIDAK_DITIMBANG_BULAN_LALU: "Not weighed last month",
    B_BARU: "First weighing",
    NOT_ASSESSED: "Not assessed",
}


@dataclass(frozen=True, eq=False)
class KBMTable:
    """Minimum weight gain by completed month of age: rows of (age_month_from, age_month_to inclusive, min_gain_g)."""

    age_month_from: np.ndarray  # int
    age_month_to: np.ndarray  # int, inclusive
    min_gain_g: np.ndarray  # int grams

    def by_month(self) -> np.ndarray:
        """Minimum gain in grams indexed by completed month (int64, -1 where the table has no row)."""
        top = int(self.age_month_to.max()) if self.age_month_to.size else -1
        lookup = np.full(top + 2, -1, dtype=np.int64)  # the last entry stays -1 for every older age
        for start, end, grams in zip(self.age_month_from, self.age_month_to, self.min_gain_g, strict=True):
            lookup[int(start) : int(end) + 1] = int(grams)
        return lookup


def completed_months(
    birth_date: ArrayLike | datetime.date, measure_date: ArrayLike | datetime.date
) -> np.ndarray:
    """Completed calendar months of age (int64) between two date arrays (datetime64[D] or date objects)."""
    birth = np.asarray(birth_date, dtype="datetime64[D]")
    measure = np.asarray(measure_date, dtype="datetime64[D]")
    months = (measure.astype("datetime64[M]") - birth.astype("datetime64[M]")).astype(np.int64)
    birth_day = (birth - birth.astype("datetime64[M]")).astype(np.int64)
    measure_day = (measure - measure.astype("datetime64[M]")).astype(np.int64)
    return months - (measure_day < birth_day)


def weight_gain_status(
    *,
    age_months: ArrayLike,
    weight_kg: ArrayLike,
    previous_weight_kg: ArrayLike,
    months_since_previous: ArrayLike,
    previous_status: ArrayLike,
    kbm: KBMTable,
) -> np.ndarray:
    """Status codes (int8) for n weighings: months_since_previous < 0 means no earlier weighing (B).

    age_months: completed months at this weighing; weights in kg (NaN = none); months_since_previous:
    calendar months since the last weighing (1 = last month); previous_status: that weighing's code.
    """
    age = np.asarray(age_months, dtype=np.int64)
    weight = np.asarray(weight_kg, dtype=np.float64)
    previous = np.asarray(previous_weight_kg, dtype=np.float64)
    gap = np.asarray(months_since_previous, dtype=np.int64)
    before = np.asarray(previous_status, dtype=np.int8)
    lookup = kbm.by_month()
    min_gain_g = lookup.take(np.clip(age, -1, lookup.size - 1))  # -1 (index) and too old land on -1
    min_gain_g[age < 0] = -1
    # Gains are compared in whole grams: 8.1 - 7.3 kg is 0.7999999999999998 in binary, 800 g in fact.
    with np.errstate(invalid="ignore"):
        gain_g = np.rint((weight - previous) * 1000.0)
        naik = gain_g >= min_gain_g
    status = np.where(naik, NAIK, TIDAK_NAIK).astype(np.int8)
    status[(status == TIDAK_NAIK) & ((before == TIDAK_NAIK) | (before == DUA_T))] = DUA_T
    status[(min_gain_g < 0) | np.isnan(gain_g)] = NOT_ASSESSED
    status[gap >= 2] = O_TIDAK_DITIMBANG_BULAN_LALU
    status[gap == 0] = NOT_ASSESSED  # two weighings in one month: the caller keeps one per month
    status[gap < 0] = B_BARU
    status[np.isnan(weight)] = NOT_ASSESSED
    return status
