"""The batch calculator's row logic (like WHO Anthro's batch mode): table rows in, the same rows plus results out.

Pure: the caller reads and writes the file (CSV or .xlsx) in chunks and hands each chunk here. Input
columns (case-insensitive): `sex` (M/F or L/P), `age_days` or `birth_date` + `measure_date`,
`weight_kg`, `height_cm`, `measured` (L/H, telentang/berdiri), optional `oedema`. Every input column
and the row order are kept; results are appended as OUTPUT_COLUMNS. A bad value blanks the indices
that depend on it and gives its reason in the `error` column; other rows are unaffected.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

import numpy as np

from . import classify, codes
from .zscore import zscores

OUTPUT_COLUMNS = [
    "waz",
    "haz",
    "whz",
    "baz",
    "flag_waz",
    "flag_haz",
    "flag_whz",
    "flag_baz",
    "bbu",
    "tbu",
    "bbtb",
    "imtu",
    "error",
]
REQUIRED_COLUMNS = ("sex", "weight_kg", "height_cm")

_PARSE_ERROR_DATE = "tanggal tidak valid (YYYY-MM-DD atau DD/MM/YYYY)"


class MissingColumns(ValueError):
    """The header lacks a column the calculator needs."""


def column_index(header: Sequence[object]) -> dict[str, int]:
    """Positions of the known columns by lower-case name; raises MissingColumns if a required one is absent."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        key = str(name or "").strip().lower()
        positions.setdefault(key, position)
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if "age_days" not in positions and not {"birth_date", "measure_date"} <= positions.keys():
        missing.append("age_days (atau birth_date + measure_date)")
    if missing:
        raise MissingColumns(", ".join(missing))
    return positions


def _cell(row: Sequence[object], position: int | None) -> object:
    if position is None or position >= len(row):
        return None
    return row[position]


def _number(value: object) -> tuple[float, bool]:
    """(value, readable): blank -> (NaN, True); "12,5" is read as 12.5 (Indonesian decimal comma)."""
    if value is None:
        return math.nan, True
    if isinstance(value, bool):
        return math.nan, False
    if isinstance(value, int | float):
        return float(value), not math.isnan(float(value))
    text = str(value).strip()
    if not text:
        return math.nan, True
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return math.nan, False
    return number, math.isfinite(number)


def _date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            # A calendar date: the naive time part is dropped at once, no zone applies.
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _z_text(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4f}"


def compute_rows(positions: dict[str, int], rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Each input row (cells as read) followed by the OUTPUT_COLUMNS values, in the same order."""
    n = len(rows)
    sex = codes.parse_sex(_cell(row, positions["sex"]) for row in rows)
    measured = codes.parse_measured(_cell(row, positions.get("measured")) for row in rows)
    oedema, oedema_unreadable = codes.parse_oedema(_cell(row, positions.get("oedema")) for row in rows)
    weight = np.empty(n)
    height = np.empty(n)
    age = np.empty(n)
    parse_errors: list[list[str]] = [[] for _ in range(n)]
    for i, row in enumerate(rows):
        weight[i], weight_ok = _number(_cell(row, positions["weight_kg"]))
        if not weight_ok:
            weight[i] = -1.0  # unreadable: the engine reports "berat tidak valid"
        height[i], height_ok = _number(_cell(row, positions["height_cm"]))
        if not height_ok:
            height[i] = -1.0
        age[i] = _age_days(row, positions, parse_errors[i])
    result = zscores(
        sex=sex,
        age_days=age,
        weight_kg=weight,
        height_cm=height,
        measured=measured,
        oedema=oedema & ~oedema_unreadable,
    )
    error = result.error | (oedema_unreadable.view(np.uint8) * np.uint16(codes.ERROR_OEDEMA))
    for i, errors in enumerate(parse_errors):
        if errors:  # the unreadable age or date is the reason, not a missing age
            error[i] &= ~np.uint16(codes.ERROR_AGE_MISSING)
    out: list[list[object]] = []
    for i, row in enumerate(rows):
        reasons = parse_errors[i] + classify.error_reasons(int(error[i]))
        has = [not math.isnan(float(getattr(result, name)[i])) for name in ("waz", "haz", "whz", "baz")]
        out.append(
            [
                *row,
                _z_text(float(result.waz[i])),
                _z_text(float(result.haz[i])),
                _z_text(float(result.whz[i])),
                _z_text(float(result.baz[i])),
                *(
                    (str(int(flag[i])) if present else "")
                    for flag, present in zip(
                        (result.waz_flag, result.haz_flag, result.whz_flag, result.baz_flag), has, strict=True
                    )
                ),
                _label(classify.BBU_LABELS_ID, int(result.waz_category[i])),
                _label(classify.TBU_LABELS_ID, int(result.haz_category[i])),
                _label(classify.GIZI_LABELS_ID, int(result.whz_category[i])),
                _label(classify.GIZI_LABELS_ID, int(result.baz_category[i])),
                "; ".join(reasons),
            ]
        )
    return out


def _label(labels: dict[int, str], code: int) -> str:
    return "" if code == classify.NO_VALUE else labels[code]


def _age_days(row: Sequence[object], positions: dict[str, int], errors: list[str]) -> float:
    raw_age = _cell(row, positions.get("age_days"))
    if raw_age is not None and str(raw_age).strip() != "":
        value, readable = _number(raw_age)
        if not readable or value != math.floor(value):
            errors.append("umur (hari) tidak valid")
            return math.nan
        return value
    birth_raw = _cell(row, positions.get("birth_date"))
    measure_raw = _cell(row, positions.get("measure_date"))
    if birth_raw in (None, "") and measure_raw in (None, ""):
        return math.nan  # reported by the engine as "umur tidak ada"
    birth, measure = _date(birth_raw), _date(measure_raw)
    if birth is None or measure is None:
        errors.append(_PARSE_ERROR_DATE)
        return math.nan
    return float((measure - birth).days)
