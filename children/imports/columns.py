"""Column tools of the parse step: a batch's columns as codes of their distinct cells, typed numpy arrays
and masks, computed in C (pyarrow, numpy) rather than row by row.

A register repeats its cells (dates, weights, places, JK, Cara Ukur): each column is dictionary-encoded
(`encode`), each distinct cell parsed once by the very function the row-by-row check uses, and the result
spread back to the rows through the codes (`Parsed`). So a value means the same on either path by
construction; only the spreading is vectorised. The NIK, nearly one distinct value a row, is checked
with pyarrow's string kernels instead (`nik_ok`). Pure: no Django.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from children import identity
from children.imports import parsing
from children.imports.batch import Column
from convergence.uploads import CONTROL_CHARACTERS

_EPOCH = datetime.date(1970, 1, 1)
NO_DAY = np.iinfo(np.int64).min  # a row's day number where it has none (or an unreadable one)
_ASCII_NIK = r"^[0-9]{16}$"
_PROVINCES = pa.array(sorted(identity.PROVINCE_CODES), type=pa.string())


def encode(column: Column) -> tuple[list[Any], np.ndarray]:
    """(distinct cells, each row's code into them: int64, shape (n,)). Text columns in C; a list of
    mixed cells (.xlsx numbers, dates) in Python, where 1, 1.0 and True stay apart."""
    if isinstance(column, pa.Array):
        encoded = pc.dictionary_encode(column)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return encoded.dictionary.to_pylist(), codes
    if column.count(None) == len(column):  # a missing column
        return column[:1], np.zeros(len(column), dtype=np.int64)
    index: dict[Any, int] = {}
    distinct: list[Any] = []
    codes = np.empty(len(column), dtype=np.int64)
    for i, cell in enumerate(column):
        key = cell if type(cell) is str else (type(cell), cell)
        code = index.get(key)
        if code is None:
            code = index[key] = len(distinct)
            distinct.append(cell)
        codes[i] = code
    return distinct, codes


@dataclass
class Parsed:
    """A column parsed once per distinct cell: `results[codes[k]]` is row k's value."""

    results: list[Any]
    codes: np.ndarray

    def where(self, test: Callable[[Any], bool]) -> np.ndarray:
        """Bool array: rows whose value passes `test` (evaluated once per distinct value)."""
        if not self.results:
            return np.zeros(len(self.codes), dtype=bool)
        return np.array([test(value) for value in self.results], dtype=bool)[self.codes]

    def floats(self) -> np.ndarray:
        """float64 array of numeric values, NaN for anything else (None, BAD)."""
        table = [value if type(value) is float else np.nan for value in self.results]
        return np.array(table or [np.nan], dtype=np.float64)[self.codes]

    def days(self) -> np.ndarray:
        """int64 day numbers (since 1970-01-01) of date values, NO_DAY for anything else."""
        table = [
            (value - _EPOCH).days if isinstance(value, datetime.date) else NO_DAY for value in self.results
        ]
        return np.array(table or [NO_DAY], dtype=np.int64)[self.codes]

    def values(self) -> list[Any]:
        """Each row's value as a Python object (for the rows built from the columns)."""
        results = self.results
        return [results[code] for code in self.codes.tolist()]


def parsed(column: Column, function: Callable[[Any], Any], cache: dict[Any, Any] | None = None) -> Parsed:
    """`function` of each distinct cell of `column`; `cache` (kept across batches) holds text cells."""
    distinct, codes = encode(column)
    if cache is None:
        return Parsed([function(cell) for cell in distinct], codes)
    results = []
    for cell in distinct:
        if type(cell) is str:
            found = cache.get(cell, cache)
            if found is cache:
                found = cache[cell] = function(cell)
            results.append(found)
        else:
            results.append(function(cell))
    return Parsed(results, codes)


def parsed_together(columns: Sequence[Column], function: Callable[[tuple[Any, ...]], Any]) -> Parsed:
    """`function` of each distinct combination of cells across `columns` (a row's place names)."""
    encoded = [encode(column) for column in columns]
    stacked = np.stack([codes for _distinct, codes in encoded], axis=1)
    if not len(stacked):
        return Parsed([], np.zeros(0, dtype=np.int64))
    combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    results = [
        function(tuple(distinct[code] for (distinct, _c), code in zip(encoded, combo, strict=True)))
        for combo in combos.tolist()
    ]
    return Parsed(results, inverse.reshape(-1).astype(np.int64))


# The bytes of CONTROL_CHARACTERS: in UTF-8 they stand only for themselves (a multibyte sequence's bytes
# are all 0x80 or more), so a text buffer without them holds no such character.
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] = True


def _may_hold_control_characters(column: pa.Array) -> bool:
    """False when the column's text bytes hold no control character (most columns: no regex run);
    a column of another type (numbers, all blank) holds no text."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    data = column.buffers()[2]
    return data is not None and bool(_CONTROL_BYTES[np.frombuffer(data, dtype=np.uint8)].any())


def with_control_characters(columns: Sequence[Column]) -> np.ndarray:
    """Bool array: rows holding a control character (NUL...) in any cell."""
    n = len(columns[0]) if columns else 0
    found = np.zeros(n, dtype=bool)
    for column in columns:
        if isinstance(column, pa.Array):
            if not _may_hold_control_characters(column):
                continue
            hit = pc.match_substring_regex(column, CONTROL_CHARACTERS.pattern)
            if pc.any(hit).as_py():
                found |= hit.to_numpy(zero_copy_only=False)
        else:
            for i, cell in enumerate(column):
                if type(cell) is str and CONTROL_CHARACTERS.search(cell) is not None:
                    found[i] = True
    return found


def nik_stems(sex_p: np.ndarray, birth_day: np.ndarray) -> np.ndarray:
    """The DDMMYY digits 7-12 of a NIK as an int64 (day + 40 for a girl), per row; from day numbers."""
    day = np.where(birth_day == NO_DAY, 0, birth_day).astype("datetime64[D]")
    month_start = day.astype("datetime64[M]")
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (month_start - day.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    dd = (day - month_start.astype("datetime64[D]")).astype(np.int64) + 1 + np.where(sex_p, 40, 0)
    return dd * 10_000 + month * 100 + year % 100


def nik_ok(column: pa.Array, stems: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a full NIK agreeing with the row's stem, blank or masked: no NIK): two bool arrays.

    Rows in neither are checked row by row (identity.check_nik says why). Only plain ASCII digits pass
    here; anything else is left to that check."""
    blank = pc.equal(column, "").to_numpy(zero_copy_only=False)
    maybe_masked = pc.match_substring_regex(column, "[•*]").to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(maybe_masked).tolist():
        blank[i] = parsing.is_masked_nik(column[i].as_py())
    digits = pc.match_substring_regex(column, _ASCII_NIK)
    safe = pc.if_else(digits, column, "0000000000000000")

    def part(start: int, stop: int) -> pa.Array:
        return pc.utf8_slice_codeunits(safe, start, stop)

    valid = pc.and_(digits, pc.is_in(part(0, 2), value_set=_PROVINCES))
    valid = pc.and_(valid, pc.and_(pc.not_equal(part(2, 4), "00"), pc.not_equal(part(4, 6), "00")))
    valid = pc.and_(valid, pc.not_equal(part(12, 16), "0000"))
    stem = pc.cast(part(6, 12), pa.int64()).to_numpy(zero_copy_only=False)
    return valid.to_numpy(zero_copy_only=False) & (stem == stems), blank
