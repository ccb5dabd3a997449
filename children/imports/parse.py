"""Parse step of the bulk import: a batch of cells to typed rows, checked (validate.py) as they are read.

Column by column first: each distinct cell text of a column is parsed once (a register repeats its
dates, weights, places) and the measurement columns go through the rule table at once; a row whose
every cell is valid and raises no warning is built from those results. Any other row (an error or a
warning, ~5% of a register) goes through `validate.RowCheck`, the cell-by-cell check that writes the
messages, so both paths agree by design. No query: places come from resolve.PosyanduFinder's dicts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from children import identity, rules
from children.imports import parsing, validate
from children.imports.layout import HeaderMatch
from children.imports.places import PlaceCells, PlaceMaker
from children.imports.readers import RaggedCells, Row, ShiftedCells
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


def aligned(batch: list[Row], header: HeaderMatch, issues: BatchIssues) -> list[Row]:
    """Reject the rows whose cells do not line up with the header; warn about the rows read with
    their missing Total Pengukuran cell put back (readers.align_rows marked both)."""
    kinds = set(map(type, [cells for _number, cells in batch]))
    if RaggedCells not in kinds and ShiftedCells not in kinds:
        return batch
    kept: list[Row] = []
    expected = len(header.headers)
    for number, cells in batch:
        if type(cells) is RaggedCells:
            message = _("Jumlah kolom tidak cocok: baris ini berisi %(found)s sel, baris judul %(expected)s.")
            issues.reject(number, [("", message % {"found": cells.found, "expected": expected})])
            continue
        if type(cells) is ShiftedCells:
            message = _(
                "Sel %(column)s tidak ada di baris ini (%(found)s sel, baris judul %(expected)s): "
                "sel sesudahnya dibaca bergeser satu kolom ke kanan."
            )
            column = header.header_of("total_measurements")
            issues.add(
                number,
                WARNING,
                column,
                message % {"column": column, "found": cells.found, "expected": expected},
            )
        kept.append((number, cells))
    return kept


def without_control_characters(batch: list[Row], header: HeaderMatch, issues: BatchIssues) -> list[Row]:
    """Reject the rows holding a control character (NUL...): PostgreSQL would refuse them at apply."""
    try:
        text = "".join([cell for _number, cells in batch for cell in cells])
    except TypeError:  # .xlsx rows mix numbers and dates with text
        text = "".join([cell for _number, cells in batch for cell in cells if type(cell) is str])
    if CONTROL_CHARACTERS.search(text) is None:
        return batch
    kept: list[Row] = []
    for number, cells in batch:
        for index, cell in enumerate(cells):
            found = CONTROL_CHARACTERS.search(cell) if type(cell) is str else None
            if found is not None:
                column = header.headers[index] if index < len(header.headers) else f"#{index + 1}"
                message = _("Sel berisi karakter kontrol %(code)s; hapus karakter itu dari berkas.")
                issues.reject(number, [(column, message % {"code": f"U+{ord(found[0]):04X}"})])
                break
        else:
            kept.append((number, cells))
    return kept


class Parser:
    """Parses the batches of one import; its caches (dates, weights, places) are kept across batches."""

    def __init__(self, *, today: datetime.date, finder: PosyanduFinder, places: PlaceMaker | None) -> None:
        self.today = today
        self.finder = finder
        self.places = places
        self.parse_date = parsing.DateParser()
        self.decimal = memo(parsing.parse_decimal)
        self.column_memo: dict[str, Memo] = {}
        self.nik_stems = {"L": NIKStems(0), "P": NIKStems(40)}

    def parse(
        self, batch: list[Row], header: HeaderMatch, issues: BatchIssues
    ) -> tuple[list[ImportRow], list[ImportRow]]:
        """(rows with a measurement, register template rows without one); rejected rows are reported."""
        batch = without_control_characters(aligned(batch, header, issues), header, issues)
        if not batch:
            return [], []
        width = len(header.headers)
        table: list[list[Any]] = []
        for _number, raw_cells in batch:
            cells = list(raw_cells[:width])
            # Missing columns point at one extra None cell appended to every row.
            cells.extend([None] * (width + 1 - len(cells)))
            table.append(cells)
        at = {key: header.positions.get(key, width) for key in PARSED_KEYS}
        parsed = self._columns(list(zip(*table, strict=True)), at)
        good: list[ImportRow] = []
        blank: list[ImportRow] = []
        for k, (number, _cells) in enumerate(batch):
            row = self._fast_row(k, number, table[k], parsed)
            if row is not None:
                good.append(row)
                continue
            row = self._checked_row(number, table[k], at, header, issues)
            if row is not None:
                (blank if row.blank else good).append(row)
        return good, blank

    def _column(
        self, columns: list[tuple[Any, ...]], index: int, key: str, parse: Callable[[Any], Any]
    ) -> list:
        cache = self.column_memo.setdefault(key, Memo(parse))
        if len(cache) > _MEMO_LIMIT:
            cache.clear()
        return cache.column(columns[index])

    def _columns(self, columns: list[tuple[Any, ...]], at: dict[str, int]) -> dict[str, Any]:
        """Each column of the batch parsed once per distinct cell (BAD where the row needs checking)."""

        def column(key: str, parse: Callable[[Any], Any]) -> list[Any]:
            return self._column(columns, at[key], key, parse)

        measures = {key: column(key, validate.measure_ok(key)) for key in rules.MEASUREMENT_FIELDS}
        parsed = {
            "name": Memo(validate.clean_name).column(columns[at["name"]]),  # free text: cached per batch
            "sex": column("sex", validate.sex_ok),
            "birth_date": column("birth_date", validate.date_ok(self.parse_date, self.today)),
            "measured_on": column("measured_on", validate.date_ok(self.parse_date, self.today)),
            "nik": columns[at["nik"]],
            "measures": measures,
            "broken": validate.measure_violations(measures).tolist(),
            "position": column("position", validate.position_ok),
            "vitamin_a": column("vitamin_a", validate.vitamin),
            "place": self._places([columns[at[key]] for key in PLACE_KEYS]),
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
        norm_cache = self.column_memo.setdefault("norm_name", Memo(identity.normalise_name))
        if len(norm_cache) > _MEMO_LIMIT:
            norm_cache.clear()
        parsed["norm_name"] = norm_cache
        return parsed

    def _places(self, place_columns: list[tuple[Any, ...]]) -> list[Any]:
        """(posyandu id, desa id) of each row, BAD when its place is not found (checked row by row)."""
        cache = self.column_memo.setdefault("place", Memo(self._place_ok))
        if all(set(map(type, cells)) <= _MEMO_TYPES for cells in place_columns):
            found = list(map(cache.__getitem__, zip(*place_columns, strict=True)))
        else:
            found = list(map(self._place_ok, zip(*place_columns, strict=True)))
        if self.places is not None:  # after the look-ups: they plan the new places the rows count for
            self.places.count_rows(zip(*place_columns, strict=True), cell_text)
        return found

    def _place_ok(self, cells: tuple[Any, ...]) -> Any:
        texts: PlaceCells = tuple(map(cell_text, cells))  # type: ignore[assignment]
        if not texts[2]:
            return BAD
        found, _error, _column = self.finder.find(texts)
        return BAD if found is None else found

    def _fast_row(self, k: int, number: int, cells: list[Any], c: dict[str, Any]) -> ImportRow | None:
        """The row built from the column-wise results, or None when any of its cells needs checking."""
        name, sex, birth_date, measured_on, place = (
            c["name"][k], c["sex"][k], c["birth_date"][k], c["measured_on"][k], c["place"][k]
        )  # fmt: skip
        if name is BAD or sex is BAD or birth_date is BAD or measured_on is BAD or place is BAD:
            return None
        age_days = (measured_on - birth_date).days
        nik = validate.nik_fast_ok(c["nik"][k], self.nik_stems, sex, birth_date)
        if nik is BAD or not 0 <= age_days <= MAX_AGE_DAYS or c["broken"][k]:
            return None
        values = {key: found[k] for key, found in c["measures"].items()}
        height = values["height_cm"]
        position = c["position"][k] if height is not None else ""
        if (
            (values["weight_kg"] is None and height is None)
            or position is BAD
            or (height is not None and not position)
        ):
            return None
        child = {name_: found[k] for name_, found in c["texts"]}
        for key, found in c["child_numbers"]:
            child[key] = found[k]
        if BAD in child.values():
            return None
        for key, found in c["whole"]:
            child[key] = found[k]
        child["early_breastfeeding"] = c["early_breastfeeding"][k]
        child["has_kia_book"] = c["kia"][k]
        values["position"] = position
        values["vitamin_a"] = c["vitamin_a"][k]
        values["posyandu_id"] = place[0]
        row = ImportRow(number, cells)
        row.name, row.sex, row.birth_date, row.measured_on, row.age_days = (
            name, sex, birth_date, measured_on, age_days
        )  # fmt: skip
        row.nik = nik
        row.posyandu_id, row.desa_id = place
        row.values = values
        row.child_values = child
        row.norm_name = c["norm_name"][name]
        return row

    def _checked_row(
        self, number: int, cells: list[Any], at: dict[str, int], header: HeaderMatch, issues: BatchIssues
    ) -> ImportRow | None:
        """The row checked cell by cell, or None when rejected (its errors are reported)."""
        check = RowCheck(today=self.today, parse_date=self.parse_date, label=header.header_of)
        row = ImportRow(number, cells)
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
