"""Validate step of the bulk import: each cell's check, and the rule table (children.rules) applied to the
measurement columns of a batch at once.

Two paths agree by construction. The column-wise checks (`*_ok`) return a cell's value when it is valid
and raises no warning, else BAD; the row is then checked cell by cell (`RowCheck`), which says why.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from children import identity, rules
from children.imports import parsing
from children.imports.rows import DECIMALS, DECIMALS_CHILD, LYING_UNDER_DAYS, MAX_AGE_DAYS, cell_text

# (file field, Child field, low, high): child fields an import may fill or correct; a value outside is
# ignored with a warning (the child's record is kept as it is).
CHILD_NUMBERS = (
    ("birth_weight_kg", 0.5, 7.0),
    ("birth_length_cm", 20.0, 65.0),
    ("birth_head_circumference_cm", 20.0, 45.0),
)
WHOLE_NUMBERS = (("birth_order", 1, 30), ("gestational_age_weeks", 20, 45))
# A name starting like a spreadsheet formula is kept as text (exports escape it), with a warning: it
# usually means the sheet held a formula's text instead of the name.
FORMULA_START = ("=", "+", "-", "@")


class _Bad:
    """A cell the column-wise path leaves to the row-by-row check (an error or a warning)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BAD"


BAD = _Bad()


def clean_name(value: Any) -> Any:
    if not isinstance(value, str) or value.startswith(FORMULA_START):
        return BAD
    return value.strip()[:120] or BAD


def clean_text(limit: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        return cell_text(value)[:limit]

    return clean


def sex_ok(value: Any) -> Any:
    sex, error = parsing.parse_sex(value)
    return BAD if error else sex


def date_ok(parse_date: parsing.DateParser, today: datetime.date) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        day, error = parse_date(value)
        return BAD if error or day is None or day > today else day

    return check


def measure_ok(key: str) -> Callable[[Any], Any]:
    """A measurement cell as its stored (rounded) number, None when blank, BAD when unreadable; the
    bounds are checked on whole columns by `measure_violations`."""
    places = DECIMALS[key]

    def check(value: Any) -> Any:
        number, error = parsing.parse_decimal(value)
        if error:
            return BAD
        return None if number is None else round(number, places)

    return check


def measure_violations(measures: dict[str, list[Any]]) -> np.ndarray:
    """Rows of a batch whose measurement values break a rule of the table (or could not be read), as a
    bool array; `measures` maps each field to its column of `measure_ok` results."""
    n = len(next(iter(measures.values())))
    broken = np.zeros(n, dtype=bool)
    columns = {}
    for key, column in measures.items():
        unreadable = [value is BAD for value in column]
        if any(unreadable):
            broken |= np.array(unreadable)
        columns[key] = np.array(
            [np.nan if value is None or value is BAD else value for value in column], dtype=np.float64
        )
    for mask in rules.violations(columns).values():
        broken |= mask
    return broken


def child_number_ok(key: str, low: float, high: float) -> Callable[[Any], Any]:
    places = DECIMALS_CHILD[key]

    def check(value: Any) -> Any:
        number, error = parsing.parse_decimal(value)
        if error or (number is not None and not low <= number <= high):
            return BAD
        return None if number is None else round(number, places)

    return check


def whole_number(low: int, high: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        number, error = parsing.parse_decimal(value)
        if error or number is None or not low <= number <= high:
            return None
        return int(number)

    return check


def position_ok(value: Any) -> Any:
    position, error = parsing.parse_position(value)
    return BAD if error else position


def vitamin(value: Any) -> bool:
    count, error = parsing.parse_decimal(value)
    return bool(count) if not error else bool(parsing.parse_bool(value))


def kia(value: Any) -> bool:
    found = parsing.parse_bool(value)
    return True if found is None else found


def nik_fast_ok(nik: Any, stems: dict[str, Any], sex: str, birth_date: datetime.date) -> Any:
    """The NIK of a cell agreeing with JK and Tgl Lahir, "" when blank or masked, BAD for anything else
    (checked row by row then)."""
    if nik is None or nik == "" or parsing.is_masked_nik(nik):
        return ""
    if (
        type(nik) is str
        and len(nik) == 16
        and nik.isdecimal()
        and nik[:2] in identity.PROVINCE_CODES
        and nik[2:4] != "00"
        and nik[4:6] != "00"
        and nik[12:] != "0000"
        and nik[6:12] == stems[sex][birth_date]
    ):
        return nik
    return BAD


class RowCheck:
    """The cell-by-cell check of one row: its errors (the row is rejected) and warnings, by file field."""

    def __init__(self, *, today: datetime.date, parse_date: parsing.DateParser, label: Callable[[str], str]):
        self.today = today
        self.parse_date = parse_date
        self.label = label
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def name(self, cell: Any) -> str:
        name = cell.strip()[:120] if isinstance(cell, str) else parsing.cell_text(cell)[:120]
        if not name:
            self.errors.append(("name", _("Nama wajib diisi")))
        elif name.startswith(FORMULA_START):
            self.warnings.append(
                ("name", _("Nama diawali tanda rumus (=, +, -, @): disimpan sebagai teks biasa"))
            )
        return name

    def sex(self, cell: Any) -> str:
        sex, error = parsing.parse_sex(cell)
        if error:
            self.errors.append(("sex", _(error)))
        return sex

    def birth_date(self, cell: Any) -> datetime.date | None:
        birth_date, error = self.parse_date(cell)
        if error:
            self.errors.append(("birth_date", _(error)))
        elif birth_date is None:
            self.errors.append(("birth_date", _("Tanggal lahir wajib diisi")))
        elif birth_date > self.today:
            self.errors.append(("birth_date", _("Tanggal lahir tidak boleh di masa depan")))
        return birth_date

    def measured_on(
        self, cell: Any, birth_date: datetime.date | None
    ) -> tuple[datetime.date | None, int, int]:
        """(day, age in days, where a "required" error goes (-1: none pending)): a row without a day
        is a register template row when it carries no measurement either (see `blank`)."""
        measured_on, error = self.parse_date(cell)
        age_days, day_missing = 0, -1
        if error:
            self.errors.append(("measured_on", _(error)))
        elif measured_on is None:
            day_missing = len(self.errors)
        elif measured_on > self.today:
            self.errors.append(("measured_on", _("Tanggal pengukuran tidak boleh di masa depan")))
        elif birth_date is not None and birth_date <= self.today:
            age_days = (measured_on - birth_date).days
            if age_days < 0:
                self.errors.append(("measured_on", _("Tanggal pengukuran sebelum tanggal lahir anak")))
            elif age_days > MAX_AGE_DAYS:
                self.errors.append(("measured_on", _("Anak berumur lebih dari 60 bulan saat diukur")))
        return measured_on, age_days, day_missing

    def nik(self, cell: Any, sex: str, birth_date: datetime.date | None) -> str:
        if cell is None or cell == "":
            return ""
        check = parsing.parse_nik(cell, today=self.today, birth_date_hint=birth_date)
        if check.error:
            self.errors.append(("nik", _(check.error)))
        elif check.ok:
            for warning in identity.nik_warnings(check, sex=sex, birth_date=birth_date):
                self.warnings.append(("nik", _(warning)))
        return check.nik

    def measures(self, cells: dict[str, Any], decimal: Callable[[Any], Any]) -> dict[str, Any]:
        """The measurement values, rounded as stored; an unreadable value or one the rule table refuses
        is an error (and None)."""
        values: dict[str, Any] = {}
        for key, cell in cells.items():
            number, error = decimal(cell)
            if error:
                self.errors.append((key, _(error)))
                values[key] = None
                continue
            value = None if number is None else round(number, DECIMALS[key])
            refused = rules.measurement_errors({key: value}).get(key)
            if refused:
                self.errors.extend((key, message) for message in refused)
                value = None
            values[key] = value
        return values

    def blank(self, values: dict[str, Any], day_missing: int, position_cell: Any, vitamin_cell: Any) -> bool:
        """Whether a row without a day is a register template row as downloaded (no day, no measure):
        nothing to record, matched to its child on resolve; any other row without a day is refused."""
        if day_missing < 0:
            return False
        blank = (
            not any(k in values for k, _m in self.errors[day_missing:])
            and all(value is None for value in values.values())
            and cell_text(position_cell) == ""
            and cell_text(vitamin_cell) == ""
        )
        if not blank:
            self.errors.insert(day_missing, ("measured_on", _("Tanggal pengukuran wajib diisi")))
        return blank

    def weight_or_height(self, values: dict[str, Any]) -> None:
        if (
            values["weight_kg"] is None
            and values["height_cm"] is None
            and not any(k in ("weight_kg", "height_cm") for k, _m in self.errors)
        ):
            message = _("Isi %(weight)s atau %(height)s") % {
                "weight": self.label("weight_kg"),
                "height": self.label("height_cm"),
            }
            self.errors.append(("weight_kg", message))

    def position(self, cell: Any, height_cm: Any, age_days: int) -> str:
        position, error = parsing.parse_position(cell)
        if error:
            self.errors.append(("position", _(error)))
        if height_cm is None:
            return ""
        if not position and not error:
            position = "L" if age_days < LYING_UNDER_DAYS else "H"
            message = _("Cara ukur kosong: dianggap %(position)s menurut umur") % {
                "position": _("telentang") if position == "L" else _("berdiri")
            }
            self.warnings.append(("position", message))
        return position

    def child_values(self, cells: dict[str, Any], texts: Sequence[tuple[str, Any, int]]) -> dict[str, Any]:
        """The child fields of the row; a birth measure outside its range is ignored with a warning."""
        child: dict[str, Any] = {name: cell_text(cell)[:limit] for name, cell, limit in texts}
        for key, low, high in CHILD_NUMBERS:
            number, error = parsing.parse_decimal(cells[key])
            if error or (number is not None and not low <= number <= high):
                self.warnings.append((key, _("Nilai diabaikan: di luar rentang yang mungkin")))
                number = None
            child[key] = None if number is None else round(number, DECIMALS_CHILD[key])
        for key, low, high in WHOLE_NUMBERS:
            child[key] = whole_number(low, high)(cells[key])
        child["early_breastfeeding"] = parsing.parse_bool(cells["early_breastfeeding"])
        child["has_kia_book"] = kia(cells["kia"])
        return child
