"""The WHO 2006 Child Growth Standards LMS tables as numpy arrays, read once from `data/*.csv`.

Each table holds both sexes in one flat array, boys first: the row of sex `s` (1 boys, 2 girls, the
WHO coding) and key `k` (age in days, or length/height in whole millimetres) is
`(s - 1) * rows + (k - key_min)`. Besides L, M and S the engine needs a few values derived per row
(ln M, 1 / (L S), and the SD lines of the restricted LMS method); they are computed here once, so
that a z-score is one gather and a little arithmetic.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"

SEX_MALE = 1
SEX_FEMALE = 2

AGE_DAYS_MAX = 1856  # the WHO expanded daily tables run from day 0 to day 1856 (61 months)
ACFA_AGE_DAYS_MIN = 91  # arm circumference-for-age starts at 3 months
WFL_LENGTH_MM_MIN, WFL_LENGTH_MM_MAX = 450, 1100  # weight-for-length, 45.0-110.0 cm
WFH_HEIGHT_MM_MIN, WFH_HEIGHT_MM_MAX = 650, 1200  # weight-for-height, 65.0-120.0 cm

# name -> (file, key column, first key, last key); keys of wfl/wfh are in cm in the file, mm here.
TABLE_FILES: dict[str, tuple[str, str, int, int]] = {
    "wfa": ("wfa.csv", "age_days", 0, AGE_DAYS_MAX),
    "lhfa": ("lhfa.csv", "age_days", 0, AGE_DAYS_MAX),
    "bfa": ("bfa.csv", "age_days", 0, AGE_DAYS_MAX),
    "hcfa": ("hcfa.csv", "age_days", 0, AGE_DAYS_MAX),
    "acfa": ("acfa.csv", "age_days", ACFA_AGE_DAYS_MIN, AGE_DAYS_MAX),
    "wfl": ("wfl.csv", "length_cm", WFL_LENGTH_MM_MIN, WFL_LENGTH_MM_MAX),
    "wfh": ("wfh.csv", "length_cm", WFH_HEIGHT_MM_MIN, WFH_HEIGHT_MM_MAX),
}


@dataclass(frozen=True, eq=False)
class LMSTable:
    """One indicator's L, M, S (float64, shape (2 * rows,), boys then girls) and the values derived per row."""

    name: str
    key_min: int
    rows: int
    l: np.ndarray  # noqa: E741 - the WHO name of the Box-Cox power
    m: np.ndarray
    s: np.ndarray
    ln_m: np.ndarray
    inv_ls: np.ndarray  # 1 / (L * S)
    sd3neg: np.ndarray
    sd23neg: np.ndarray  # SD2neg - SD3neg
    sd3pos: np.ndarray
    sd23pos: np.ndarray  # SD3pos - SD2pos

    def sd_line(self, z: float) -> np.ndarray:
        """The measurement at z-score `z` for every row: M (1 + L S z) ** (1 / L), shape (2 * rows,)."""
        return _sd_line(self.l, self.m, self.s, z)

    def row(self, *, sex: int, key: int) -> int:
        """The flat row index of `sex` (1/2) and `key` (day or mm); raises KeyError outside the table."""
        if sex not in (SEX_MALE, SEX_FEMALE) or not self.key_min <= key < self.key_min + self.rows:
            raise KeyError((self.name, sex, key))
        return (sex - 1) * self.rows + (key - self.key_min)


def _sd_line(l: np.ndarray, m: np.ndarray, s: np.ndarray, z: float) -> np.ndarray:  # noqa: E741
    # No WHO table has L == 0, checked on load, so the Box-Cox limit exp(S z) is never needed.
    return m * np.power(1.0 + l * s * z, 1.0 / l)


def _key_mm(text: str) -> int:
    # "45.0" -> 450 exactly: the file keeps one decimal, so integer arithmetic on the digits avoids 45.0 * 10.
    whole, _, tenth = text.partition(".")
    return int(whole) * 10 + int(tenth or "0")


def _read(name: str) -> LMSTable:
    filename, key_column, key_min, key_max = TABLE_FILES[name]
    rows = key_max - key_min + 1
    l = np.full(2 * rows, np.nan)  # noqa: E741
    m = np.full(2 * rows, np.nan)
    s = np.full(2 * rows, np.nan)
    with open(DATA_DIR / filename, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            sex = int(record["sex"])
            key = _key_mm(record[key_column]) if key_column == "length_cm" else int(record[key_column])
            index = (sex - 1) * rows + (key - key_min)
            l[index], m[index], s[index] = float(record["l"]), float(record["m"]), float(record["s"])
    if np.isnan(l).any() or np.isnan(m).any() or np.isnan(s).any():
        raise ValueError(f"growth table {filename} is missing rows: expected {rows} per sex")
    if (l == 0).any() or (m <= 0).any() or (s <= 0).any():
        raise ValueError(f"growth table {filename} has a row with L == 0, M <= 0 or S <= 0")
    sd2neg, sd3neg = _sd_line(l, m, s, -2.0), _sd_line(l, m, s, -3.0)
    sd2pos, sd3pos = _sd_line(l, m, s, 2.0), _sd_line(l, m, s, 3.0)
    return LMSTable(
        name=name,
        key_min=key_min,
        rows=rows,
        l=l,
        m=m,
        s=s,
        ln_m=np.log(m),
        inv_ls=1.0 / (l * s),
        sd3neg=sd3neg,
        sd23neg=sd2neg - sd3neg,
        sd3pos=sd3pos,
        sd23pos=sd3pos - sd2pos,
    )


@cache
def table(name: str) -> LMSTable:
    """The LMS table `name` (wfa, lhfa, bfa, hcfa, acfa, wfl, wfh), read from its CSV file on first use."""
    return _read(name)


@cache
def all_tables() -> dict[str, LMSTable]:
    """Every table by name; the length tables (lhfa, hcfa) are checked to have L == 1 as the engine assumes."""
    tables = {name: table(name) for name in TABLE_FILES}
    for name in ("lhfa", "hcfa"):
        if not (tables[name].l == 1.0).all():
            raise ValueError(f"growth table {name} must have L == 1 on every row")
    return tables
