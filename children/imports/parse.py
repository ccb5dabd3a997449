"""Parse and validate steps of the bulk import: a batch of columns to typed rows, checked as they are read.

Column by column first (children.imports.columns): each distinct cell of a column is parsed once by the
function the row-by-row check uses, spread back to the rows as typed numpy arrays (day numbers, float64
measurements), and the rule table and every other check are applied to whole arrays; a row whose every
cell is valid and raises no warning is built from those results. Any other row (an error or a warning,
~5% of a register) goes through `validate.RowCheck`, the cell-by-cell check that writes the messages, so
both paths agree by design. No query: places come from resolve.PosyanduFinder's dicts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from django.utils.translation import gettext as _

from children import identity, rules
from children.imports import columns, parsing, validate
from children.imports.batch import Batch, Column
from children.imports.layout import HeaderMatch
from children.imports.places import PlaceCells, PlaceMaker
from children.imports.readers import RaggedCells, ShiftedCells
from children.imports.resolve import PosyanduFinder
from children.imports.rows import (
    CHILD_TEXTS,
    MAX_AGE_DAYS,
    PARSED_KEYS,
    PLACE_KEYS,
    WARNING,
    BatchIssues,
    ImportRow,
    cell_text,
)
from children.imports.validate import BAD, RowCheck
from convergence.uploads import CONTROL_CHARACTERS

_MEMO_TYPES = frozenset({str, type(None)})
# A cache of free text (names) never hits: past this many entries it is emptied.
_MEMO_LIMIT = 100_000


def memo(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Cache a cell parser per distinct text: a register repeats few values (weights, JK, Cara Ukur)."""
    cache: dict[str, Any] = {}
    missing = object()

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            found = cache.get(value, missing)
            if found is missing:
                found = cache[value] = function(value)
                if len(cache) > _MEMO_LIMIT:
                    cache.clear()
            return found
        return function(value)

    return parse


class Memo(dict):
    """`function` of each distinct cell, computed once: `column()` maps a whole column in one C loop."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Any], Any]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.function(key)
        return value

    def column(self, cells: Sequence[Any]) -> list[Any]:
        if set(map(type, cells)) <= _MEMO_TYPES:
            return list(map(self.__getitem__, cells))
        # Numbers, dates and booleans from .xlsx: 1, 1.0 and True are equal keys, so no cache.
        function = self.function
        return [self[c] if type(c) is str else function(c) for c in cells]


class NIKStems(dict):
    """birth date -> the DDMMYY digits 7-12 of a NIK of that sex (women: day + 40)."""

    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset

    def __missing__(self, day: datetime.date) -> str:
        stem = self[day] = f"{day.day + self.offset:02d}{day.month:02d}{day.year % 100:02d}"
        return stem


def aligned(batch: Batch, header: HeaderMatch, issues: BatchIssues) -> Batch:
    """Reject the rows whose cells do not line up with the header; warn about the rows read with
    their missing Total Pengukuran cell put back (readers.align_rows marked both)."""
    if not batch.marks:
        return batch
    keep = np.ones(len(batch), dtype=bool)
    expected = len(header.headers)
    for k, (kind, found) in sorted(batch.marks.items()):
        number = batch.numbers[k]
        if kind is RaggedCells:
            message = _("Jumlah kolom tidak cocok: baris ini berisi %(found)s sel, baris judul %(expected)s.")
            issues.reject(number, [("", message % {"found": found, "expected": expected})])
            keep[k] = False
        elif kind is ShiftedCells:
            message = _(
                "Sel %(column)s tidak ada di baris ini (%(found)s sel, baris judul %(expected)s): "
                "sel sesudahnya dibaca bergeser satu kolom ke kanan."
            )
            column = header.header_of("total_measurements")
            issues.add(
                number, WARNING, column, message % {"column": column, "found": found, "expected": expected}
            )
    return batch.select(keep)


def without_control_characters(batch: Batch, header: HeaderMatch, issues: BatchIssues) -> Batch:
    """Reject the rows holding a control character (NUL...): PostgreSQL would refuse them at apply."""
    found = columns.with_control_characters(batch.columns)
    if not found.any():
        return batch
    for k in np.flatnonzero(found).tolist():
        for index, cell in enumerate(batch.cells(k)):
            hit = CONTROL_CHARACTERS.search(cell) if type(cell) is str else None
            if hit is not None:
                column = header.headers[index] if index < len(header.headers) else f"#{index + 1}"
                message = _("Sel berisi karakter kontrol %(code)s; hapus karakter itu dari berkas.")
                issues.reject(batch.numbers[k], [(column, message % {"code": f"U+{ord(hit[0]):04X}"})])
                break
    return batch.select(~found)


def _no_lap(step: str) -> None:
    """No timing (a parse outside the pipeline)."""


class Parser:
    """Parses the batches of one import; its caches (dates, weights, places) are kept across batches."""

    def __init__(self, *, today: datetime.date, finder: PosyanduFinder, places: PlaceMaker | None) -> None:
        self.today = today
        self.finder = finder
        self.places = places
        self.parse_date = parsing.DateParser()
        self.decimal = memo(parsing.parse_decimal)
        self.column_memo: dict[str, dict[Any, Any]] = {}
        self.nik_stems = {"L": NIKStems(0), "P": NIKStems(40)}

    def parse(
        self, batch: Batch, header: HeaderMatch, issues: BatchIssues, lap: Callable[[str], None] = _no_lap
    ) -> tuple[list[ImportRow], list[ImportRow]]:
        """(rows with a measurement, register template rows without one); rejected rows are reported.

        Each row keeps where its cells are (`source`, `at`: raw values, write.raw_json). `lap(step)` is
        called after the typed columns ("parse") and after the checks and the rows ("validate")."""
        batch = without_control_characters(aligned(batch, header, issues), header, issues)
        if not len(batch):
            return [], []
        width = len(header.headers)
        at = {key: header.positions.get(key, width) for key in PARSED_KEYS}
        c = self._columns(batch, at)
        lap("parse")
        fast = self._fast_rows(batch, c)
        # The other rows' cells, taken from the columns at once (ragged rows never reach here).
        checked = [k for k in range(len(batch)) if k not in fast]
        cells_of = dict(zip(checked, zip(*batch.taken(checked), strict=True), strict=True)) if checked else {}
        good: list[ImportRow] = []
        blank: list[ImportRow] = []
        for k, number in enumerate(batch.numbers):
            row = fast.get(k)
            if row is None:
                cells = list(cells_of[k])
                cells.extend([None] * (width + 1 - len(cells)))  # missing columns point at a None cell
                row = self._checked_row(number, cells, at, header, issues)
                if row is None:
                    continue
                row.source, row.at = batch, k
            (blank if row.blank else good).append(row)
        lap("validate")
        return good, blank

    def _memo(self, key: str) -> dict[Any, Any]:
        cache = self.column_memo.setdefault(key, {})
        if len(cache) > _MEMO_LIMIT:
            cache.clear()
        return cache

    def _columns(self, batch: Batch, at: dict[str, int]) -> dict[str, Any]:
        """Each column of the batch parsed once per distinct cell, and the typed arrays of the checks."""

        def column(key: str, parse: Callable[[Any], Any]) -> columns.Parsed:
            return columns.parsed(batch.column(at[key]), parse, self._memo(key))

        today = self.today
        birth = column("birth_date", validate.date_ok(self.parse_date, today))
        measured = column("measured_on", validate.date_ok(self.parse_date, today))
        measures = {key: column(key, validate.measure_ok(key)) for key in rules.MEASUREMENT_FIELDS}
        sex = column("sex", validate.sex_ok)
        return {
            "name": columns.parsed(batch.column(at["name"]), validate.clean_name),
            "sex": sex,
            "birth_date": birth,
            "measured_on": measured,
            "birth_day": birth.days(),
            "measured_day": measured.days(),
            "nik": batch.column(at["nik"]),
            "measures": measures,
            "floats": {key: found.floats() for key, found in measures.items()},
            "position": column("position", validate.position_ok),
            "vitamin_a": column("vitamin_a", validate.vitamin),
            "place": self._places([batch.column(at[key]) for key in PLACE_KEYS]),
            "texts": [(name, column(key, validate.clean_text(limit))) for name, key, limit in CHILD_TEXTS],
            "child_numbers": [
                (key, column(key, validate.child_number_ok(key, low, high)))
                for key, low, high in validate.CHILD_NUMBERS
            ],
            "whole": [
                (key, column(key, validate.whole_number(low, high)))
                for key, low, high in validate.WHOLE_NUMBERS
            ],
            "early_breastfeeding": column("early_breastfeeding", parsing.parse_bool),
            "kia": column("kia", validate.kia),
        }

    def _places(self, place_columns: list[Column]) -> columns.Parsed:
        """(posyandu id, desa id) of each row, BAD when its place is not found (checked row by row)."""
        found = columns.parsed_together(place_columns, self._place_ok)
        if self.places is not None:  # after the look-ups: they plan the new places the rows count for
            lists = [c.to_pylist() if isinstance(c, pa.Array) else c for c in place_columns]
            self.places.count_rows(zip(*lists, strict=True), cell_text)
        return found

    def _place_ok(self, cells: tuple[Any, ...]) -> Any:
        texts: PlaceCells = tuple(map(cell_text, cells))  # type: ignore[assignment]
        if not texts[2]:
            return BAD
        found, _error, _column = self.finder.find(texts)
        return BAD if found is None else found

    def _ok(self, c: dict[str, Any]) -> tuple[np.ndarray, list[Any]]:
        """Rows every cell of which is valid and raises no warning (bool), and each row's NIK."""
        bad = lambda value: value is BAD  # noqa: E731
        ok = ~(c["name"].where(bad) | c["sex"].where(bad) | c["place"].where(bad))
        birth, measured = c["birth_day"], c["measured_day"]
        ok &= (birth != columns.NO_DAY) & (measured != columns.NO_DAY)
        age = np.where(ok, measured - birth, -1)
        ok &= (age >= 0) & (age <= MAX_AGE_DAYS)
        floats = c["floats"]
        for found in c["measures"].values():
            ok &= ~found.where(bad)
        for broken in rules.violations(floats).values():
            ok &= ~broken
        has_height = ~np.isnan(floats["height_cm"])
        ok &= has_height | ~np.isnan(floats["weight_kg"])
        ok &= ~has_height | c["position"].where(lambda value: value is not BAD and value != "")
        for _key, found in c["child_numbers"]:
            ok &= ~found.where(bad)
        return ok, self._niks(c, ok)

    def _niks(self, c: dict[str, Any], ok: np.ndarray) -> list[Any]:
        """Each row's NIK as the fast path keeps it ("" without one), BAD where it needs checking;
        `ok` is narrowed to the rows whose NIK passes."""
        column = c["nik"]
        sex = c["sex"].values()
        if isinstance(column, pa.Array):
            stems = columns.nik_stems(np.array([s == "P" for s in sex], dtype=bool), c["birth_day"])
            full, blank = columns.nik_ok(column, stems)
            niks: list[Any] = [BAD] * len(column)
            for k in np.flatnonzero(ok & full).tolist():
                niks[k] = column[k].as_py()
            for k in np.flatnonzero(blank).tolist():
                niks[k] = ""
        else:
            births = c["birth_date"].values()
            niks = [
                validate.nik_fast_ok(nik, self.nik_stems, s, born) if good else BAD
                for nik, s, born, good in zip(column, sex, births, ok.tolist(), strict=True)
            ]
        ok &= np.array([nik is not BAD for nik in niks], dtype=bool)
        return niks

    def _fast_rows(self, batch: Batch, c: dict[str, Any]) -> dict[int, ImportRow]:
        """The rows built from the column-wise results, by position; the others need checking."""
        ok, niks = self._ok(c)
        if not ok.any():
            return {}
        take = np.flatnonzero(ok)
        names = [c["name"].results[i] for i in c["name"].codes[take].tolist()]
        norm = self._memo("norm_name")
        fields = {key: _taken(found, take) for key, found in c["measures"].items()}
        child_fields = {name: _taken(found, take) for name, found in c["texts"]}
        child_fields.update((key, _taken(found, take)) for key, found in (*c["child_numbers"], *c["whole"]))
        child_fields["early_breastfeeding"] = _taken(c["early_breastfeeding"], take)
        child_fields["has_kia_book"] = _taken(c["kia"], take)
        value_rows = [dict(zip(fields, values, strict=True)) for values in zip(*fields.values(), strict=True)]
        child_rows = [
            dict(zip(child_fields, values, strict=True))
            for values in zip(*child_fields.values(), strict=True)
        ]
        height = c["floats"]["height_cm"][take]
        positions = [
            p if h == h else "" for p, h in zip(_taken(c["position"], take), height.tolist(), strict=True)
        ]
        ages = (c["measured_day"][take] - c["birth_day"][take]).tolist()
        built: dict[int, ImportRow] = {}
        for j, (k, name, sex, born, day, place, vitamin_a) in enumerate(
            zip(
                take.tolist(), names, _taken(c["sex"], take), _taken(c["birth_date"], take),
                _taken(c["measured_on"], take), _taken(c["place"], take), _taken(c["vitamin_a"], take),
                strict=True,
            )
        ):  # fmt: skip
            values = value_rows[j]
            values["position"] = positions[j]
            values["vitamin_a"] = vitamin_a
            values["posyandu_id"] = place[0]
            row = ImportRow(batch.numbers[k], batch, k)
            row.name, row.sex, row.birth_date, row.measured_on, row.age_days = name, sex, born, day, ages[j]
            row.nik = niks[k]
            row.posyandu_id, row.desa_id = place
            row.values = values
            row.child_values = child_rows[j]
            found = norm.get(name)
            if found is None:
                found = norm[name] = identity.normalise_name(name)
            row.norm_name = found
            built[k] = row
        return built

    def _checked_row(
        self, number: int, cells: list[Any], at: dict[str, int], header: HeaderMatch, issues: BatchIssues
    ) -> ImportRow | None:
        """The row checked cell by cell, or None when rejected (its errors are reported)."""
        check = RowCheck(today=self.today, parse_date=self.parse_date, label=header.header_of)
        row = ImportRow(number)
        row.name = check.name(cells[at["name"]])
        row.sex = check.sex(cells[at["sex"]])
        birth_date = check.birth_date(cells[at["birth_date"]])
        row.measured_on, row.age_days, day_missing = check.measured_on(cells[at["measured_on"]], birth_date)
        row.nik = check.nik(cells[at["nik"]], row.sex, birth_date)
        values = check.measures({key: cells[at[key]] for key in rules.MEASUREMENT_FIELDS}, self.decimal)
        row.blank = check.blank(values, day_missing, cells[at["position"]], cells[at["vitamin_a"]])
        if not row.blank:
            check.weight_or_height(values)
        values["position"] = check.position(cells[at["position"]], values["height_cm"], row.age_days)
        values["vitamin_a"] = validate.vitamin(cells[at["vitamin_a"]])
        values["posyandu_id"] = self._checked_place(row, cells, at, check)
        # A missing or unreadable day of birth is one of the errors (check.birth_date).
        if check.errors or birth_date is None:
            issues.reject(number, [(header.header_of(key), message) for key, message in check.errors])
            return None
        row.birth_date = birth_date
        row.warnings = check.warnings
        child_cells = {key: cells[at[key]] for key in PARSED_KEYS}
        texts = [(name, child_cells[key], limit) for name, key, limit in CHILD_TEXTS]
        row.child_values = check.child_values(child_cells, texts)
        row.values = values
        row.norm_name = identity.normalise_name(row.name)
        return row

    def _checked_place(
        self, row: ImportRow, cells: list[Any], at: dict[str, int], check: RowCheck
    ) -> int | None:
        if not cell_text(cells[at["posyandu"]]):
            check.errors.append(("posyandu", _("Posyandu wajib diisi")))
            return None
        place_cells: PlaceCells = tuple(cell_text(cells[at[key]]) for key in PLACE_KEYS)  # type: ignore[assignment]
        found, error, column = self.finder.find(place_cells)
        if found is None:
            check.errors.append((column, error))
            return None
        row.posyandu_id, row.desa_id = found
        return row.posyandu_id


def _taken(found: columns.Parsed, take: np.ndarray) -> list[Any]:
    """The values of rows `take` of a parsed column, as Python objects."""
    results = found.results
    return [results[code] for code in found.codes[take].tolist()]
