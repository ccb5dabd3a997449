"""SKDN (posyandu monthly report, Format F2): S, K, D, N, T, 2T, O, B by age band and sex, and the ratios.

Pure numpy over one array entry per child registered at the posyandu (domain.md 3.3):

- S: status aktif and 0-59 completed months old on the report's reference day;
- K: those of S holding a KMS/Buku KIA; D: those of S weighed in the month;
- N, T, 2T, O, B: D by the stored weight-gain code of the month's weighing
  (children.growth.weight_gain). The codes are disjoint: T counts "tidak naik" once, 2T the second
  month in a row, so D = N + T + 2T + O + B + the weighings without a status (no KBM for the age,
  or a second weighing in one month);
- status rows among D: TB/U sangat pendek and pendek, BB/TB gizi buruk and gizi kurang.

No Django: children.selectors_posyandu loads the arrays, this module counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from children.growth import classify, weight_gain

# Format F2 age bands in completed months, both ends included.
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 5), (6, 11), (12, 23), (24, 35), (36, 59))
SEXES: tuple[str, ...] = ("L", "P")
MAX_AGE_MONTHS = 59

ROW_S, ROW_K, ROW_D = "S", "K", "D"
ROW_N, ROW_T, ROW_2T, ROW_O, ROW_B = "N", "T", "2T", "O", "B"
ROW_SANGAT_PENDEK, ROW_PENDEK = "sangat_pendek", "pendek"
ROW_GIZI_BURUK, ROW_GIZI_KURANG = "gizi_buruk", "gizi_kurang"
ROWS: tuple[str, ...] = (
    ROW_S,
    ROW_K,
    ROW_D,
    ROW_N,
    ROW_T,
    ROW_2T,
    ROW_O,
    ROW_B,
    ROW_SANGAT_PENDEK,
    ROW_PENDEK,
    ROW_GIZI_BURUK,
    ROW_GIZI_KURANG,
)
# The stored weight-gain code counted by each of the N/T/2T/O/B rows.
GAIN_ROWS = {
    ROW_N: weight_gain.NAIK,
    ROW_T: weight_gain.TIDAK_NAIK,
    ROW_2T: weight_gain.DUA_T,
    ROW_O: weight_gain.O_TIDAK_DITIMBANG_BULAN_LALU,
    ROW_B: weight_gain.B_BARU,
}
# Ratio name -> (numerator row, denominator row).
RATIOS: dict[str, tuple[str, str]] = {
    "K/S": (ROW_K, ROW_S),
    "D/S": (ROW_D, ROW_S),
    "D/K": (ROW_D, ROW_K),
    "N/D": (ROW_N, ROW_D),
}


@dataclass(frozen=True, eq=False)
class SKDNTable:
    """Counts (int64) of shape (len(ROWS), len(AGE_BANDS), len(SEXES)) and the totals derived from them."""

    counts: np.ndarray

    def count(self, row: str, *, band: int | None = None, sex: str | None = None) -> int:
        """One cell: a row for an age band (index into AGE_BANDS) and a sex, or summed over either."""
        cells = self.counts[ROWS.index(row)]
        if band is not None:
            cells = cells[band : band + 1]
        if sex is not None:
            cells = cells[:, SEXES.index(sex)]
        return int(cells.sum())

    def ratio_percent(self, name: str) -> float | None:
        """K/S, D/S, D/K or N/D over the totals, in percent with one decimal; None when the denominator is 0."""
        numerator, denominator = RATIOS[name]
        return percent(self.count(numerator), self.count(denominator))


def percent(numerator: int, denominator: int) -> float | None:
    """100 * numerator / denominator rounded to one decimal (half away from zero), None for a zero denominator."""
    if denominator == 0:
        return None
    # Integer arithmetic in tenths of a percent: no binary-float surprise at a half.
    tenths, remainder = divmod(1000 * numerator, denominator)
    if 2 * remainder >= denominator:
        tenths += 1
    return tenths / 10


def age_band(age_months: np.ndarray) -> np.ndarray:
    """Index into AGE_BANDS (int64) per age in completed months; -1 outside 0-59 months."""
    age = np.asarray(age_months, dtype=np.int64)
    starts = np.array([low for low, _ in AGE_BANDS], dtype=np.int64)
    band = np.searchsorted(starts, age, side="right") - 1
    band[(age < 0) | (age > MAX_AGE_MONTHS)] = -1
    return band


def skdn_table(
    *,
    age_months: np.ndarray,
    sex: np.ndarray,
    has_kia_book: np.ndarray,
    weighed: np.ndarray,
    weight_gain_code: np.ndarray,
    haz_category: np.ndarray,
    whz_category: np.ndarray,
) -> SKDNTable:
    """The SKDN counts of one posyandu and month from one entry per active child registered there.

    age_months: completed months on the reference day (children outside 0-59 are not in S);
    sex: "L"/"P"; weighed: a weighing in the month; weight_gain_code: the month's weighing's code
    (anything when not weighed); haz_category/whz_category: the month's Permenkes codes (-1 none).
    """
    band = age_band(age_months)
    sex_index = np.where(np.asarray(sex) == "P", 1, 0)
    in_s = band >= 0
    cell = np.where(in_s, band * len(SEXES) + sex_index, 0)
    d = in_s & np.asarray(weighed, dtype=bool)
    code = np.asarray(weight_gain_code, dtype=np.int64)
    haz = np.asarray(haz_category, dtype=np.int64)
    whz = np.asarray(whz_category, dtype=np.int64)
    masks = {
        ROW_S: in_s,
        ROW_K: in_s & np.asarray(has_kia_book, dtype=bool),
        ROW_D: d,
        **{row: d & (code == gain) for row, gain in GAIN_ROWS.items()},
        ROW_SANGAT_PENDEK: d & (haz == classify.TBU_SANGAT_PENDEK),
        ROW_PENDEK: d & (haz == classify.TBU_PENDEK),
        ROW_GIZI_BURUK: d & (whz == classify.GIZI_BURUK),
        ROW_GIZI_KURANG: d & (whz == classify.GIZI_KURANG),
    }
    size = len(AGE_BANDS) * len(SEXES)
    counts = np.stack(
        [np.bincount(cell[masks[row]], minlength=size).reshape(len(AGE_BANDS), len(SEXES)) for row in ROWS]
    ).astype(np.int64)
    return SKDNTable(counts=counts)


def grid(table: SKDNTable, row: str) -> list[int]:
    """One row of the printed table: L, P and L+P for each age band, then L, P and L+P over all ages."""
    cells: list[int] = []
    for band in [*range(len(AGE_BANDS)), None]:
        by_sex = [table.count(row, band=band, sex=sex) for sex in SEXES]
        cells += [*by_sex, sum(by_sex)]
    return cells
